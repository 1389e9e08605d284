/**
 * Quantized IR graph → the C backend's schedule: a list of steps over int8 tensors that live in
 * storages (arena regions), with a physical layout per tensor (see layout.ts).
 *
 * - The API boundary: exactly one float or int8 input and one output. A float input must feed
 *   a Quantize node and a float output come from a Dequantize node; those two nodes become the
 *   `_run_f32` wrapper. No other float op may remain (the int8 path has no float).
 * - Views cost nothing: Reshape/Flatten/Squeeze/Unsqueeze/Identity, and a Transpose of a tensor
 *   with a canonical layout, give a new tensor over the same storage.
 * - In place: QClamp, and QAdd on one operand, write over an input that dies at that step.
 * - Each kernel gets its inputs in the layout it reads (NHWC for conv/pool, row-major for
 *   softmax, ...); where a tensor arrives in another layout a `copy` step converts it.
 *
 * Step 0 is the copy-in of the API input, steps 1..n the kernels, step n + 1 the copy-out.
 */
import { CompileError, ErrorCode } from '../../errors.js';
import { elementCount, type Graph, type Node, type Tensor } from '../../ir/graph.js';
import type { OpName } from '../../ir/ops.js';
import {
  batchRowsContiguous, channelsLast, fromRowMajor, isCanonical, isRowMajor, rowMajor, sameBytes, toRowMajor, transposeView,
  type Layout, type StridedCopy,
} from './layout.js';

/** A region of the arena: one per produced tensor (views and in-place outputs share it) and one
 * per kernel scratch buffer. `first`/`last` are step indices (inclusive). */
export interface Storage {
  id: number;
  bytes: number;
  first: number;
  last: number;
  kind: 'tensor' | 'scratch';
  /** Required byte alignment of the offset. */
  align: number;
  /** The IR tensor (or step) it was made for, for comments and the report. */
  label: string;
}

/** An int8 tensor of the schedule. */
export interface CTensor {
  name: string;
  shape: readonly number[];
  layout: Layout;
  storage: Storage;
  scale: number;
  zeroPoint: number;
}

/** A kernel call for one IR node. `consts` are the node's constant inputs (weights, bias). */
export interface NodeStep {
  kind: 'node';
  index: number;
  node: Node;
  inputs: CTensor[];
  consts: (Tensor | undefined)[];
  output: CTensor;
  inPlace: boolean;
}

/** A strided copy between layouts (inserted by the lowering). */
export interface CopyStep {
  kind: 'copy';
  index: number;
  src: CTensor;
  dst: CTensor;
  copy: StridedCopy;
  why: string;
}

export type Step = NodeStep | CopyStep;

/** The API side of the int8 input or output: float scale and zero point for `_run_f32`. */
export interface Boundary {
  tensor: CTensor;
  /** The model's tensor name at the API (the float tensor when there is a Quantize/Dequantize). */
  apiName: string;
  /** Logical (ONNX, NCHW) shape; the API buffers are in this order. */
  shape: readonly number[];
  scale: number;
  zeroPoint: number;
  /** API order ↔ arena bytes. */
  copy: StridedCopy;
}

export interface Schedule {
  steps: Step[];
  storages: Storage[];
  input: Boundary;
  output: Boundary;
}

const VIEW_OPS: ReadonlySet<OpName> = new Set<OpName>(['Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Identity']);
const SPATIAL_OPS: ReadonlySet<OpName> = new Set<OpName>(['QConv', 'QMaxPool', 'QAveragePool']);
const LAYOUT_FOLLOWERS: ReadonlySet<OpName> = new Set<OpName>(['Pad', 'QClamp', 'QAdd', 'QConcat']);
/** Ops the C backend lowers; everything else fails with the node named. */
export const SUPPORTED_OPS: ReadonlySet<OpName> = new Set<OpName>([
  ...VIEW_OPS, ...SPATIAL_OPS, 'Transpose', 'Pad', 'QFullyConnected', 'QAdd', 'QSoftmax', 'QConcat', 'QClamp', 'Quantize', 'Dequantize',
]);

function unsupported(node: Node, why: string, hint: string): CompileError {
  return new CompileError(ErrorCode.UnsupportedOp, why, { node: node.name, op: node.op }, hint);
}

/** Builds the schedule; throws a CompileError naming the node for anything the C backend cannot do. */
export function lowerGraph(graph: Graph): Schedule {
  return new Lowering(graph).run();
}

class Lowering {
  private readonly storages: Storage[] = [];
  private readonly steps: Step[] = [];
  private readonly tensors = new Map<string, CTensor>();
  private readonly relayouts = new Map<string, CTensor>();
  private readonly consumers = new Map<string, Node[]>();
  /** Node index of the last read of each storage's base tensor (views followed). */
  private readonly lastUse = new Map<string, number>();
  private readonly base = new Map<string, string>();

  constructor(private readonly g: Graph) {}

  run(): Schedule {
    const g = this.g;
    if (g.inputs.length !== 1 || g.outputs.length !== 1) {
      throw new CompileError(ErrorCode.UnsupportedOp, `the C backend takes models with one input and one output; this one has ${g.inputs.length} and ${g.outputs.length}`,
        {}, 'Export the model with a single input and a single output tensor.');
    }
    for (const n of g.nodes) for (const i of n.inputs) if (i) this.consumers.set(i, [...(this.consumers.get(i) ?? []), n]);
    const [inName] = g.inputs;
    const [outName] = g.outputs;
    const inT = this.tensor(inName);
    const outT = this.tensor(outName);
    const quantizeIn = inT.dtype === 'int8' ? undefined : this.boundaryNode(inName, 'Quantize');
    const dequantizeOut = outT.dtype === 'int8' ? undefined : g.nodes.find((n) => n.outputs[0] === outName);
    if (dequantizeOut && dequantizeOut.op !== 'Dequantize') {
      throw unsupported(dequantizeOut, `the graph output '${outName}' is ${outT.dtype}; the C backend needs an int8 output or a Dequantize at the end`,
        'Quantize the model so that its last op is int8 (a Dequantize may follow it).');
    }
    const qIn = quantizeIn ? quantizeIn.outputs[0] : inName;
    const qOut = dequantizeOut ? dequantizeOut.inputs[0] : outName;
    this.computeLastUses(qOut);

    const inTensor = this.tensor(qIn);
    const inLayout = this.wantsChannelsLast(qIn, 0) ? channelsLast(inTensor.shape) : rowMajor(inTensor.shape);
    const input = this.newTensor(qIn, inTensor.shape, inLayout, 0, this.quantOf(qIn, quantizeIn));
    this.tensors.set(qIn, input);

    for (const node of g.nodes) {
      if (node === quantizeIn || node === dequantizeOut) continue;
      this.lowerNode(node);
    }
    const output = this.tensors.get(qOut);
    if (!output) throw new CompileError(ErrorCode.BadGraph, `the output '${qOut}' is not computed by any int8 op`, { tensor: qOut });
    const end = this.steps.length + 1;
    this.touch(output, end);
    const oq = dequantizeOut?.op === 'Dequantize' ? { scale: dequantizeOut.attrs.scale, zeroPoint: dequantizeOut.attrs.zeroPoint } : this.quantOf(qOut);
    return {
      steps: this.steps,
      storages: this.storages,
      input: { tensor: input, apiName: inName, shape: inTensor.shape, scale: input.scale, zeroPoint: input.zeroPoint, copy: fromRowMajor(input.layout) },
      output: { tensor: output, apiName: outName, shape: output.shape, scale: oq.scale, zeroPoint: oq.zeroPoint, copy: toRowMajor(output.layout) },
    };
  }

  /** True when a conv or pool reads `name`, directly or through ops whose output keeps their
   * input's layout (Pad, QClamp, QAdd, QConcat): then the tensor is best stored NHWC. */
  private wantsChannelsLast(name: string, depth: number): boolean {
    if (depth > 8) return false;
    return (this.consumers.get(name) ?? []).some((n) => SPATIAL_OPS.has(n.op) ||
      (LAYOUT_FOLLOWERS.has(n.op) && n.inputs[0] === name && this.wantsChannelsLast(n.outputs[0], depth + 1)));
  }

  private tensor(name: string): Tensor {
    const t = this.g.tensors.get(name);
    if (!t) throw new CompileError(ErrorCode.BadGraph, `tensor '${name}' is not in the graph`, { tensor: name });
    return t;
  }

  private boundaryNode(inName: string, op: 'Quantize'): Node {
    const users = this.consumers.get(inName) ?? [];
    const q = users[0];
    if (users.length !== 1 || q.op !== op) {
      const bad = users.find((n) => n.op !== op) ?? users[0];
      const where = bad ? { node: bad.name, op: bad.op } : { tensor: inName };
      throw new CompileError(ErrorCode.UnsupportedOp, `the float input '${inName}' must feed exactly one Quantize node`, where,
        'Quantize the model (qgc compile --calib, or a QDQ model) so that only int8 ops follow the input.');
    }
    return q;
  }

  private quantOf(name: string, q?: Node): { scale: number; zeroPoint: number } {
    if (q?.op === 'Quantize') return { scale: q.attrs.scale, zeroPoint: q.attrs.zeroPoint };
    const t = this.tensor(name);
    if (!t.quant || t.quant.scale.length !== 1) {
      throw new CompileError(ErrorCode.BadGraph, `int8 tensor '${name}' has no per-tensor quantization parameters`, { tensor: name },
        'Every int8 activation needs a scale and zero point (the quantizer sets them).');
    }
    return { scale: t.quant.scale[0], zeroPoint: t.quant.zeroPoint[0] };
  }

  private computeLastUses(qOut: string): void {
    const baseOf = (n: string): string => this.base.get(n) ?? n;
    this.g.nodes.forEach((node, i) => {
      for (const inp of node.inputs) if (inp) this.lastUse.set(baseOf(inp), i);
      if (VIEW_OPS.has(node.op) || node.op === 'Transpose') this.base.set(node.outputs[0], baseOf(node.inputs[0]));
    });
    this.lastUse.set(baseOf(qOut), Infinity);
  }

  private newStorage(bytes: number, first: number, label: string): Storage {
    const s: Storage = { id: this.storages.length, bytes, first, last: first, kind: 'tensor', align: 1, label };
    this.storages.push(s);
    return s;
  }

  private newTensor(name: string, shape: readonly number[], layout: Layout, step: number, q: { scale: number; zeroPoint: number }): CTensor {
    return { name, shape, layout, storage: this.newStorage(elementCount(shape), step, name), ...q };
  }

  private touch(t: CTensor, step: number): void {
    t.storage.last = Math.max(t.storage.last, step);
  }

  /** `t` in the bytes of `want`, copying (once per tensor and layout) when it is not already. */
  private inLayout(t: CTensor, want: Layout, why: string): CTensor {
    if (sameBytes(t.layout, want)) return t;
    const key = `${t.name}\u0000${want.shape.join(',')}\u0000${want.perm.join(',')}`;
    const known = this.relayouts.get(key);
    if (known) return known;
    let src = t;
    if (!isRowMajor(t.layout) && !isRowMajor(want)) src = this.inLayout(t, rowMajor(t.shape), why);
    const index = this.steps.length + 1;
    const dst = this.newTensor(`${t.name}:${isRowMajor(want) ? 'rowmajor' : 'nhwc'}`, t.shape, want, index, { scale: t.scale, zeroPoint: t.zeroPoint });
    const copy = isRowMajor(src.layout) ? fromRowMajor(want) : toRowMajor(src.layout);
    this.touch(src, index);
    this.steps.push({ kind: 'copy', index, src, dst, copy, why });
    this.relayouts.set(key, dst);
    return dst;
  }

  private activation(node: Node, name: string): CTensor {
    const t = this.tensors.get(name);
    if (t) return t;
    const ir = this.tensor(name);
    if (ir.data) throw unsupported(node, `input '${name}' is a constant; the C backend expects it to be computed`, 'Fold constant subgraphs before compiling.');
    throw new CompileError(ErrorCode.BadGraph, `input '${name}' of node '${node.name}' is not computed before it`, { node: node.name, op: node.op });
  }

  private dies(name: string, nodeIndex: number): boolean {
    return (this.lastUse.get(this.base.get(name) ?? name) ?? -1) <= nodeIndex;
  }

  private lowerNode(node: Node): void {
    const nodeIndex = this.g.nodes.indexOf(node);
    if (!SUPPORTED_OPS.has(node.op) || node.op === 'Quantize' || node.op === 'Dequantize') {
      const hint = node.op === 'Quantize' || node.op === 'Dequantize'
        ? 'Only the graph input may be quantized and only the graph output dequantized: the C backend has no float ops.'
        : 'Quantize the model so that it uses only qgc\'s int8 ops (QConv, QFullyConnected, QAdd, pooling, QSoftmax, QConcat, QClamp) and Reshape/Transpose/Pad.';
      throw unsupported(node, `the C backend has no kernel for ${node.op}`, hint);
    }
    if (node.clamp) throw unsupported(node, 'fused float clamps are not part of the int8 IR', 'Quantize the model: int8 ops carry actMin/actMax.');
    const outName = node.outputs[0];
    const outIr = this.tensor(outName);
    if (outIr.dtype !== 'int8') throw new CompileError(ErrorCode.UnsupportedDType, `output '${outName}' is ${outIr.dtype}; the C backend runs int8 only`, { node: node.name, op: node.op });
    const actNames = this.activationInputs(node);
    let inputs = actNames.map((n) => this.activation(node, n));
    for (const t of inputs) if (this.tensor(t.name).dtype !== 'int8') {
      throw new CompileError(ErrorCode.UnsupportedDType, `input '${t.name}' is not int8`, { node: node.name, op: node.op });
    }
    const consts = node.inputs.slice(actNames.length).map((n) => (n ? this.tensor(n) : undefined));
    const x = inputs[0];
    const q = node.op === 'Transpose' || node.op === 'Pad' || VIEW_OPS.has(node.op) ? { scale: x.scale, zeroPoint: x.zeroPoint } : this.quantOf(outName);

    if (VIEW_OPS.has(node.op) || (node.op === 'Transpose' && isCanonical(x.layout, x.shape))) {
      const layout = node.op === 'Transpose' ? transposeView(x.layout, node.attrs.perm, outIr.shape) : x.layout;
      this.tensors.set(outName, { name: outName, shape: outIr.shape, layout, storage: x.storage, ...q });
      return;
    }
    if (node.op === 'Transpose') {
      const rm = this.inLayout(x, rowMajor(x.shape), 'Transpose of a reshaped view');
      this.tensors.set(outName, { name: outName, shape: outIr.shape, layout: transposeView(rm.layout, node.attrs.perm, outIr.shape), storage: rm.storage, ...q });
      return;
    }

    let outLayout: Layout;
    switch (node.op) {
      case 'QConv':
      case 'QMaxPool':
      case 'QAveragePool':
        if (x.shape.length !== 3 && x.shape.length !== 4) throw unsupported(node, `${x.shape.length - 2}-D windows are not supported`, 'Use 1-D or 2-D convolution and pooling.');
        inputs = [this.inLayout(x, channelsLast(x.shape), `${node.op} reads NHWC`)];
        outLayout = channelsLast(outIr.shape);
        break;
      case 'QFullyConnected': {
        const k = x.shape[x.shape.length - 1];
        if (!batchRowsContiguous(x.layout, elementCount(x.shape) / k, k)) inputs = [this.inLayout(x, rowMajor(x.shape), 'FC rows')];
        outLayout = rowMajor(outIr.shape);
        break;
      }
      case 'QAdd':
      case 'QClamp':
        for (const t of inputs) if (t.shape.join() !== x.shape.join()) throw unsupported(node, `inputs of shapes [${x.shape}] and [${t.shape}] need broadcasting`, 'Give both inputs the same shape (the C kernels do not broadcast).');
        inputs = inputs.map((t) => this.inLayout(t, x.layout, `${node.op} operands in one layout`));
        outLayout = x.layout;
        break;
      case 'QSoftmax':
        inputs = [this.inLayout(x, rowMajor(x.shape), 'softmax rows')];
        outLayout = rowMajor(outIr.shape);
        break;
      case 'QConcat': {
        // Channels-last for rank >= 3 (the layout conv/pool producers write), row-major below.
        inputs = inputs.map((t) => this.inLayout(t, channelsLast(t.shape), 'concat operands'));
        outLayout = channelsLast(outIr.shape);
        break;
      }
      case 'Pad':
        if (!isCanonical(x.layout, x.shape)) inputs = [this.inLayout(x, rowMajor(x.shape), 'Pad of a reshaped view')];
        outLayout = { shape: outIr.shape, perm: inputs[0].layout.perm };
        break;
      default:
        throw unsupported(node, `the C backend has no kernel for ${node.op}`, 'Report this model: the op list and the lowering disagree.');
    }

    // After any layout copies the inputs needed: this node's step comes next.
    const index = this.steps.length + 1;
    // In place: the output takes over an input's storage when that input dies here.
    let output: CTensor | undefined;
    if (node.op === 'QClamp' || node.op === 'QAdd') {
      const victim = inputs.find((t, i) => this.dies(actNames[i], nodeIndex) && t.storage.kind === 'tensor' && t === this.tensors.get(actNames[i]) && elementCount(t.shape) === elementCount(outIr.shape));
      if (victim) output = { name: outName, shape: outIr.shape, layout: outLayout, storage: victim.storage, ...q };
    }
    for (const t of inputs) this.touch(t, index);
    output ??= this.newTensor(outName, outIr.shape, outLayout, index, q);
    this.touch(output, index);
    const out = output;
    this.steps.push({ kind: 'node', index, node, inputs, consts, output: out, inPlace: inputs.some((t) => t.storage === out.storage) });
    this.tensors.set(outName, output);
  }

  /** Names of the node's activation (non-constant) inputs: the leading inputs that are computed. */
  private activationInputs(node: Node): string[] {
    switch (node.op) {
      case 'QConv':
      case 'QFullyConnected':
      case 'Reshape':
      case 'Pad':
      case 'Squeeze':
      case 'Unsqueeze':
        return [node.inputs[0]];
      default:
        return node.inputs.filter((n) => n !== '');
    }
  }
}
