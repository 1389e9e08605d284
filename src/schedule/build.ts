/**
 * Quantized IR graph → schedule: a list of steps over tensors that live in storages (arena
 * regions), with a physical layout per tensor (see layout.ts), the kernel each step runs (asked
 * of a kernel provider, see provider.ts) and the arena plan (memory-plan.ts).
 *
 * - The API boundary: any number of graph inputs and outputs, each int8 or float. A float input
 *   must feed exactly one Quantize node and a float output come from a Dequantize node; those
 *   nodes become the float API (`_run_f32` in C).
 * - Float inside: nodes the quantizer kept in float (between a Dequantize and a Quantize) are
 *   steps like the others, on float32 tensors (4 bytes an element, 4-byte aligned in the arena),
 *   where the provider declares float32 for the op; the Dequantize and Quantize are steps too.
 * - Views cost nothing: Reshape/Flatten/Squeeze/Unsqueeze/Identity, and a Transpose of a tensor
 *   with a canonical layout, give a new tensor over the same storage.
 * - In place: ops the provider marks `inPlace` write over an input that dies at that step.
 * - Each kernel gets its inputs in the layout the provider declares (NHWC for conv/pool,
 *   row-major for softmax, ...); where a tensor arrives in another layout a copy step converts it.
 *
 * Step 0 copies the inputs in, steps 1..n are the kernels, step n + 1 copies the outputs out.
 */
import { CompileError, ErrorCode } from '../errors.js';
import { elementCount, type Graph, type Node, type Tensor } from '../ir/graph.js';
import { OpGroups, inGroup, type OpName } from '../ir/ops.js';
import {
  batchRowsContiguous, channelsLast, fromRowMajor, isCanonical, isRowMajor, rowMajor, sameBytes, toRowMajor, transposeView, type Layout,
} from './layout.js';
import { isPlainElementwise } from './broadcast.js';
import { planMemory } from './memory-plan.js';
import type { InputLayout, KernelProvider, OpKernel } from './provider.js';
import { storageBytes, storageTypeOf, type Boundary, type Schedule, type ScheduledTensor, type Step, type Storage, type StorageDType } from './types.js';

/** Alignment of kernel scratch buffers and float32 tensors in the arena. */
const SCRATCH_ALIGN = 4;
const FLOAT_ALIGN = 4;

const VIEW_OPS: ReadonlySet<OpName> = new Set<OpName>(OpGroups.movement);

/** Builds the schedule of `graph` for `provider`; throws a CompileError naming the node for
 * anything the provider's kernels cannot run. */
export function buildSchedule(graph: Graph, provider: KernelProvider): Schedule {
  return new ScheduleBuilder(graph, provider).run();
}

interface QuantPair {
  scale: number;
  zeroPoint: number;
}

class ScheduleBuilder {
  private readonly storages: Storage[] = [];
  private readonly steps: Step[] = [];
  private readonly tensors = new Map<string, ScheduledTensor>();
  private readonly relayouts = new Map<string, ScheduledTensor>();
  private readonly consumers = new Map<string, Node[]>();
  /** Node index of the last read of each storage's base tensor (views followed). */
  private readonly lastUse = new Map<string, number>();
  private readonly base = new Map<string, string>();
  private readonly boundaryNodes = new Set<Node>();

  constructor(private readonly g: Graph, private readonly p: KernelProvider) {}

  run(): Schedule {
    const g = this.g;
    for (const n of g.nodes) for (const i of n.inputs) if (i) this.consumers.set(i, [...(this.consumers.get(i) ?? []), n]);
    const ins = g.inputs.map((name) => this.inputSide(name));
    const outs = g.outputs.map((name) => this.outputSide(name));
    this.computeLastUses(outs.map((o) => o.q8));

    const inputs = ins.map(({ name, q8, quantize }) => {
      const t = this.tensor(q8);
      const layout = this.wantsChannelsLast(q8, 0) ? channelsLast(t.shape) : rowMajor(t.shape);
      const tensor = this.newTensor(q8, t.shape, storageTypeOf(t) ?? 'int8', layout, 0, this.quantOf(q8, quantize));
      this.tensors.set(q8, tensor);
      return { tensor, apiName: name, shape: t.shape, scale: tensor.scale, zeroPoint: tensor.zeroPoint, copy: fromRowMajor(tensor.layout) };
    });

    g.nodes.forEach((node, i) => {
      if (!this.boundaryNodes.has(node)) this.lowerNode(node, i);
    });

    const end = this.steps.length + 1;
    const outputs: Boundary[] = outs.map(({ name, q8, dequantize }) => {
      const tensor = this.tensors.get(q8);
      if (!tensor) throw new CompileError(ErrorCode.BadGraph, `the output '${q8}' is not computed by any int8 op`, { tensor: q8 });
      this.touch(tensor, end);
      const q = dequantize?.op === 'Dequantize' ? { scale: dequantize.attrs.scale, zeroPoint: dequantize.attrs.zeroPoint } : this.quantOf(q8);
      return { tensor, apiName: name, shape: tensor.shape, scale: q.scale, zeroPoint: q.zeroPoint, copy: toRowMajor(tensor.layout) };
    });
    this.addScratch();
    return { steps: this.steps, storages: this.storages, inputs, outputs, plan: planMemory(this.storages), provider: this.p.name };
  }

  private unsupported(node: Node, why: string, hint: string): CompileError {
    return new CompileError(ErrorCode.UnsupportedOp, why, { node: node.name, op: node.op }, hint);
  }

  /** A graph input: int8 as it is, or float feeding one Quantize (the float API's quantization). */
  private inputSide(name: string): { name: string; q8: string; quantize?: Node } {
    if (this.tensor(name).dtype === 'int8') return { name, q8: name };
    const users = this.consumers.get(name) ?? [];
    const q = users[0];
    if (users.length !== 1 || q.op !== 'Quantize') {
      const bad = users.find((n) => n.op !== 'Quantize') ?? users[0];
      const where = bad ? { node: bad.name, op: bad.op } : { tensor: name };
      throw new CompileError(ErrorCode.UnsupportedOp, `the float input '${name}' must feed exactly one Quantize node`, where,
        'Quantize the model (qgc compile --calib, or a QDQ model) so that only int8 ops follow the input.');
    }
    this.boundaryNodes.add(q);
    return { name, q8: q.outputs[0], quantize: q };
  }

  /** A graph output: int8 as it is, or float from a Dequantize (the float API's dequantization). */
  private outputSide(name: string): { name: string; q8: string; dequantize?: Node } {
    if (this.tensor(name).dtype === 'int8') return { name, q8: name };
    const d = this.g.nodes.find((n) => n.outputs[0] === name);
    if (d?.op !== 'Dequantize') {
      const where = d ? { node: d.name, op: d.op } : { tensor: name };
      throw new CompileError(ErrorCode.UnsupportedOp,
        `the graph output '${name}' is ${this.tensor(name).dtype}; ${this.p.backend} needs an int8 output or a Dequantize at the end`, where,
        'Quantize the model so that its last op is int8 (a Dequantize may follow it).');
    }
    this.boundaryNodes.add(d);
    return { name, q8: d.inputs[0], dequantize: d };
  }

  /** True when a kernel reading `name` (directly or through ops whose output keeps their input's
   * layout) wants channels-last bytes: then the tensor is best stored NHWC. */
  private wantsChannelsLast(name: string, depth: number): boolean {
    if (depth > 8) return false;
    return (this.consumers.get(name) ?? []).some((n) => {
      const k = this.p.kernels[n.op];
      if (!k) return false;
      if (k.passesLayout) return n.inputs[0] === name && this.wantsChannelsLast(n.outputs[0], depth + 1);
      return k.inputLayout === 'channels-last';
    });
  }

  private tensor(name: string): Tensor {
    const t = this.g.tensors.get(name);
    if (!t) throw new CompileError(ErrorCode.BadGraph, `tensor '${name}' is not in the graph`, { tensor: name });
    return t;
  }

  private quantOf(name: string, q?: Node): QuantPair {
    if (q?.op === 'Quantize') return { scale: q.attrs.scale, zeroPoint: q.attrs.zeroPoint };
    const t = this.tensor(name);
    if (!t.quant || t.quant.scale.length !== 1) {
      throw new CompileError(ErrorCode.BadGraph, `int8 tensor '${name}' has no per-tensor quantization parameters`, { tensor: name },
        'Every int8 activation needs a scale and zero point (the quantizer sets them).');
    }
    return { scale: t.quant.scale[0], zeroPoint: t.quant.zeroPoint[0] };
  }

  private computeLastUses(outputs: readonly string[]): void {
    const baseOf = (n: string): string => this.base.get(n) ?? n;
    this.g.nodes.forEach((node, i) => {
      for (const inp of node.inputs) if (inp) this.lastUse.set(baseOf(inp), i);
      if (VIEW_OPS.has(node.op) || node.op === 'Transpose') this.base.set(node.outputs[0], baseOf(node.inputs[0]));
    });
    for (const o of outputs) this.lastUse.set(baseOf(o), Infinity);
  }

  private newStorage(bytes: number, first: number, label: string, kind: Storage['kind'] = 'tensor', align = 1): Storage {
    const s: Storage = { id: this.storages.length, bytes, first, last: first, kind, align, label };
    this.storages.push(s);
    return s;
  }

  private newTensor(name: string, shape: readonly number[], dtype: StorageDType, layout: Layout, step: number, q: QuantPair): ScheduledTensor {
    const align = Math.max(dtype === 'float32' ? FLOAT_ALIGN : 1, this.p.storageAlign ?? 1);
    const storage = this.newStorage(storageBytes(dtype, elementCount(shape)), step, name, 'tensor', align);
    return { name, shape, dtype, layout, storage, ...q };
  }

  private touch(t: ScheduledTensor, step: number): void {
    t.storage.last = Math.max(t.storage.last, step);
  }

  /** `t` in the bytes of `want`, copying (once per tensor and layout) when it is not already. */
  private inLayout(t: ScheduledTensor, want: Layout, why: string): ScheduledTensor {
    if (sameBytes(t.layout, want)) return t;
    const key = `${t.name}\u0000${want.shape.join(',')}\u0000${want.perm.join(',')}`;
    const known = this.relayouts.get(key);
    if (known) return known;
    let src = t;
    if (!isRowMajor(t.layout) && !isRowMajor(want)) src = this.inLayout(t, rowMajor(t.shape), why);
    const index = this.steps.length + 1;
    const dst = this.newTensor(`${t.name}:${isRowMajor(want) ? 'rowmajor' : 'nhwc'}`, t.shape, t.dtype, want, index, { scale: t.scale, zeroPoint: t.zeroPoint });
    const copy = isRowMajor(src.layout) ? fromRowMajor(want) : toRowMajor(src.layout);
    this.touch(src, index);
    this.steps.push({ kind: 'copy', index, src, dst, copy, why, choice: this.p.copyKernel });
    this.relayouts.set(key, dst);
    return dst;
  }

  /** An input in the layout `need` asks for (`first` is the first input after conversion);
   * `why` names a copy it needs (the kernel's own reason, or one from the layout). */
  private arrange(t: ScheduledTensor, need: InputLayout, first: ScheduledTensor | undefined, op: string, why: string | undefined): ScheduledTensor {
    switch (need) {
      case 'channels-last':
        return this.inLayout(t, channelsLast(t.shape), why ?? `${op} reads NHWC`);
      case 'row-major':
        return this.inLayout(t, rowMajor(t.shape), why ?? `${op} reads row-major`);
      case 'rows-contiguous': {
        const k = t.shape[t.shape.length - 1];
        return batchRowsContiguous(t.layout, elementCount(t.shape) / k, k) ? t : this.inLayout(t, rowMajor(t.shape), 'FC rows');
      }
      case 'canonical': {
        if (isCanonical(t.layout, t.shape)) return t;
        const rm = this.inLayout(t, rowMajor(t.shape), `${op} of a reshaped view`);
        // A view whose bytes are already row-major comes back as it is: name its layout canonically.
        return isCanonical(rm.layout, t.shape) ? rm : { ...rm, layout: rowMajor(t.shape) };
      }
      case 'broadcast':
        throw new Error('unreachable: lowerNode resolves broadcast layouts');
      case 'as-first-input':
        return first ? this.inLayout(t, first.layout, `${op} operands in one layout`) : t;
    }
  }

  private activation(node: Node, name: string): ScheduledTensor {
    const t = this.tensors.get(name);
    if (t) return t;
    const ir = this.tensor(name);
    if (ir.data) throw this.unsupported(node, `input '${name}' is a constant; ${this.p.backend} expects it to be computed`, 'Fold constant subgraphs before compiling.');
    throw new CompileError(ErrorCode.BadGraph, `input '${name}' of node '${node.name}' is not computed before it`, { node: node.name, op: node.op });
  }

  private dies(name: string, nodeIndex: number): boolean {
    return (this.lastUse.get(this.base.get(name) ?? name) ?? -1) <= nodeIndex;
  }

  private kernelOf(node: Node): OpKernel | undefined {
    return this.p.kernels[node.op];
  }

  private lowerNode(node: Node, nodeIndex: number): void {
    const isView = VIEW_OPS.has(node.op) || node.op === 'Transpose';
    const kernel = this.kernelOf(node);
    if (!kernel && !isView) {
      // A Dequantize into a float node: name the float node, the one the user knows.
      const subject = node.op === 'Dequantize' ? (this.consumers.get(node.outputs[0]) ?? []).find((n) => !this.p.kernels[n.op]) ?? node : node;
      const float = this.tensor(subject.outputs[0]).dtype === 'float32';
      const hint = float && this.p.floatHint ? this.p.floatHint : this.p.unsupportedHint;
      throw this.unsupported(subject, `${this.p.backend} has no ${float ? 'float ' : ''}kernel for ${subject.op}`, hint);
    }
    const outName = node.outputs[0];
    const outIr = this.tensor(outName);
    const outType = storageTypeOf(outIr);
    if (node.clamp && outType !== 'float32') throw this.unsupported(node, 'fused float clamps are not part of the int8 IR', 'Quantize the model: int8 ops carry actMin/actMax.');
    if (outType === undefined) throw new CompileError(ErrorCode.UnsupportedDType, `output '${outName}' is ${outIr.dtype}; ${this.p.backend} runs int8 and float32 tensors only`, { node: node.name, op: node.op });
    const actNames = activationInputs(node, this.g, (n) => this.tensors.has(n));
    const arriving = actNames.map((n) => this.activation(node, n));
    const consts = (inGroup('floatFallback', node.op) ? node.inputs.filter((n) => !actNames.includes(n)) : node.inputs.slice(actNames.length))
      .map((n) => (n ? this.tensor(n) : undefined));
    const x = arriving[0];
    const keepsQuant = node.op === 'Transpose' || node.op === 'Pad' || VIEW_OPS.has(node.op);
    const q = keepsQuant ? { scale: x.scale, zeroPoint: x.zeroPoint } : outType === 'float32' ? FLOAT_QUANT : this.quantOf(outName);

    if (VIEW_OPS.has(node.op) || (node.op === 'Transpose' && isCanonical(x.layout, x.shape))) {
      const layout = node.op === 'Transpose' ? transposeView(x.layout, node.attrs.perm, outIr.shape) : x.layout;
      this.tensors.set(outName, { name: outName, shape: outIr.shape, dtype: x.dtype, layout, storage: x.storage, ...q });
      return;
    }
    if (node.op === 'Transpose') {
      const rm = this.inLayout(x, rowMajor(x.shape), 'Transpose of a reshaped view');
      // inLayout keeps a view whose bytes are already row-major as it is (its layout may be over
      // another shape, e.g. an Unsqueeze of a graph input); the transpose is taken over the
      // canonical row-major layout of the same bytes.
      const base = isCanonical(rm.layout, x.shape) ? rm.layout : rowMajor(x.shape);
      this.tensors.set(outName, { name: outName, shape: outIr.shape, dtype: x.dtype, layout: transposeView(base, node.attrs.perm, outIr.shape), storage: rm.storage, ...q });
      return;
    }
    if (!kernel) throw new Error('unreachable');

    const dtype: StorageDType = outType;
    for (const t of [...arriving.map((a) => a.dtype), dtype]) {
      if (!kernel.dtypes.includes(t)) {
        throw new CompileError(ErrorCode.UnsupportedDType, `${this.p.name} kernels of ${node.op} take ${kernel.dtypes.join(', ')} activations, not ${t}`, { node: node.name, op: node.op },
          'Quantize this layer\'s activations to a width the target has kernels for.');
      }
    }
    const choice = kernel.choose({ node, inputs: arriving, consts, outputShape: outIr.shape });
    const inputs: ScheduledTensor[] = [];
    const need = kernel.inputLayout !== 'broadcast' ? kernel.inputLayout
      : isPlainElementwise(outIr.shape, [...arriving.map((t) => t.shape), ...consts.map((c) => c?.shape ?? [])]) ? 'as-first-input' : 'canonical';
    for (const t of arriving) inputs.push(this.arrange(t, need, inputs[0], node.op, kernel.copyReason));
    const outLayout = this.outputLayout(kernel, inputs[0], outIr.shape);

    // After any layout copies the inputs needed: this node's step comes next.
    const index = this.steps.length + 1;
    // In place: the output takes over an input's storage when that input dies here.
    let output: ScheduledTensor | undefined;
    if (kernel.inPlace) {
      const victim = inputs.find((t, i) => this.dies(actNames[i], nodeIndex) && t.storage.kind === 'tensor' && t === this.tensors.get(actNames[i]) &&
        elementCount(t.shape) === elementCount(outIr.shape) && t.dtype === dtype);
      if (victim) output = { name: outName, shape: outIr.shape, dtype, layout: outLayout, storage: victim.storage, ...q };
    }
    for (const t of inputs) this.touch(t, index);
    output ??= this.newTensor(outName, outIr.shape, dtype, outLayout, index, q);
    this.touch(output, index);
    const out = output;
    this.steps.push({ kind: 'node', index, node, inputs, consts, output: out, inPlace: inputs.some((t) => t.storage === out.storage), choice });
    this.tensors.set(outName, output);
  }

  private outputLayout(k: OpKernel, first: ScheduledTensor, shape: readonly number[]): Layout {
    switch (k.outputLayout) {
      case 'channels-last': return channelsLast(shape);
      case 'row-major': return rowMajor(shape);
      case 'as-first-input': return first.layout;
      case 'perm-of-first-input': return { shape, perm: first.layout.perm };
    }
  }

  /** One scratch storage per step whose kernel asks for one, live at that step only. */
  private addScratch(): void {
    for (const step of this.steps) {
      if (step.kind !== 'node' || step.choice.scratchBytes <= 0) continue;
      step.scratch = this.newStorage(step.choice.scratchBytes, step.index, `scratch of step ${step.index}`, 'scratch', Math.max(SCRATCH_ALIGN, this.p.storageAlign ?? 1));
    }
  }
}

/** What a float32 tensor's scale and zero point are said to be (real = value). */
const FLOAT_QUANT: QuantPair = { scale: 1, zeroPoint: 0 };

/** Names of the node's activation (computed) inputs: the leading inputs that are computed (an
 * int8 op of OpGroups.constantSecondOperand stops at its first constant); for a float op, every
 * input computed before it (its other inputs are constants, in `consts`). */
function activationInputs(node: Node, g: Graph, computed: (name: string) => boolean): string[] {
  if (inGroup('firstInputComputed', node.op)) return [node.inputs[0]];
  if (inGroup('floatFallback', node.op)) return node.inputs.filter((n) => n !== '' && computed(n));
  const named = node.inputs.filter((n) => n !== '');
  if (!inGroup('constantSecondOperand', node.op)) return named;
  const first = named.findIndex((n) => g.tensors.get(n)?.data !== undefined);
  return first <= 0 ? named : named.slice(0, first);
}
