/**
 * The C backend's kernel providers: what each declares to the schedule (src/schedule/provider.ts:
 * layouts, storage types, the kernel and its scratch size per node) and how each step is printed:
 * one `KernelCall` per schedule step (the partial to print, plain values, constant arrays for the
 * weights file). Arena addresses reach the templates as offsets (numbers); the templates write
 * the C expressions.
 */
import { packInt4 } from '../../ir/dtype.js';
import type { QAddAttrs, QMulAttrs } from '../../ir/qops.js';
import { CompileError, ErrorCode } from '../../errors.js';
import { elementCount, type Node, type Tensor } from '../../ir/graph.js';
import type { OpName, PoolAttrs } from '../../ir/ops.js';
import type { KernelProvider, OpKernel } from '../../schedule/provider.js';
import type { CopyStep, NodeStep, ScheduledTensor, Step } from '../../schedule/types.js';
import type { CmsisIsa } from './cmsis-buffers.js';
import type { IdentifierTable } from './identifiers.js';

/** A constant array written to `<name>_weights.c` (flash). */
export interface ConstArray {
  id: string;
  ctype: 'int8_t' | 'int32_t' | 'float';
  data: Int8Array | Int32Array | Float32Array;
  /** One line (already escaped) saying what it holds. */
  comment: string;
}

/** One step's kernel call, ready to print. */
export interface KernelCall {
  /** The partial in templates/c/kernels/ that prints the call. */
  partial: string;
  /** The C function(s) called, for comments and the report. */
  kernel: string;
  consts: ConstArray[];
  /** Values the partial prints (numbers already formatted as C text where needed). */
  values: object;
}

/** A step's scratch buffer in the arena. */
export interface ScratchRef {
  offset: number;
  bytes: number;
}

/** What a provider needs to print a call. */
export interface CallContext {
  ids: IdentifierTable;
  /** Unique C identifier fragment of this step (derived from the node name). */
  stepId: string;
  /** Arena byte offset of a tensor. */
  offset: (t: ScheduledTensor) => number;
  /** The step's scratch buffer (null when it has none: the kernel gets NULL). */
  scratch: ScratchRef | null;
  /** 1-based step number returned by `<name>_run` when the kernel reports an error. */
  stepNumber: number;
}

/** One op of a C provider: its declaration to the schedule and how its steps are printed. */
export interface CKernel extends OpKernel {
  render(step: NodeStep, ctx: CallContext): KernelCall;
}

export type CKernelTable = Partial<Record<OpName, CKernel>>;

/** A C kernel provider (`cmsis-nn` or `portable`) for one ISA. */
export interface CProvider extends KernelProvider {
  readonly name: 'cmsis-nn' | 'portable';
  readonly isa: CmsisIsa;
  readonly kernels: CKernelTable;
  renderCopy(step: CopyStep, ctx: CallContext): KernelCall;
}

/** The call that prints `step`. */
export function renderStep(p: CProvider, step: Step, ctx: CallContext): KernelCall {
  if (step.kind === 'copy') return p.renderCopy(step, ctx);
  const k = p.kernels[step.node.op];
  if (!k) throw new CompileError(ErrorCode.Internal, `provider ${p.name} scheduled ${step.node.op} without a kernel`, { node: step.node.name, op: step.node.op });
  return k.render(step, ctx);
}

/** The node, its constant inputs (what the checks below read). */
export interface ConstSource {
  node: Node;
  consts: readonly (Tensor | undefined)[];
}

/** A C integer literal (INT32_MIN has no literal of its own). */
export function cInt(v: number): string {
  if (!Number.isInteger(v)) throw new CompileError(ErrorCode.Internal, `C integer literal for non-integer ${v}`);
  return v === -2147483648 ? '(-2147483647 - 1)' : String(v);
}

/** A float literal that round-trips a float32 value. */
export function cFloat(v: number): string {
  const f = Math.fround(v);
  if (!Number.isFinite(f)) throw new CompileError(ErrorCode.BadGraph, `scale ${v} is not a finite float32`);
  let s = f.toPrecision(9);
  if (!/[.e]/.test(s)) s += '.0';
  return `${s}f`;
}

/** Pools whose count-include-pad semantics the int8 contract cannot express fail here. */
export function checkPool(step: ConstSource, a: PoolAttrs): void {
  if (a.countIncludePad && a.pads.some((p) => p !== 0) && step.node.op === 'QAveragePool') {
    throw new CompileError(ErrorCode.BadAttribute, 'count_include_pad with padding is not representable in int8 average pooling',
      { node: step.node.name, op: step.node.op }, 'Pad explicitly with the zero point and pool without pads.');
  }
}

/** The constant input `i` of a node step as typed data, checked. */
export function constData(step: ConstSource, i: number, dtype: 'int8'): Int8Array;
export function constData(step: ConstSource, i: number, dtype: 'int32'): Int32Array | undefined;
export function constData(step: ConstSource, i: number, dtype: 'int8' | 'int32'): Int8Array | Int32Array | undefined {
  const t: Tensor | undefined = step.consts[i];
  const where = { node: step.node.name, op: step.node.op };
  if (!t) {
    if (dtype === 'int32') return undefined;
    throw new CompileError(ErrorCode.BadGraph, `constant input ${i + 1} is missing`, where);
  }
  if (!t.data) throw new CompileError(ErrorCode.UnsupportedOp, `input '${t.name}' must be a constant (weights and bias are stored in flash)`, where, 'Fold the computation of weights into constants before compiling.');
  if (t.dtype !== dtype) throw new CompileError(ErrorCode.UnsupportedDType, `input '${t.name}' is ${t.dtype}; expected ${dtype}`, where, 'Quantize weights to int8 and biases to int32.');
  return t.data as Int8Array | Int32Array;
}

/** The bit-width of a node's weights (constant input 0): 4 for packed int4, else 8. */
export function weightBits(step: ConstSource): 4 | 8 {
  return step.consts[0]?.quant?.bits === 4 ? 4 : 8;
}

/** The bytes of weights `w` as a kernel of `bits`-bit weights reads them (int4: two per byte,
 * low nibble first, CMSIS-NN's _s4 packing; int8: as they are). */
export function weightBytes(w: Int8Array, bits: 4 | 8): Int8Array {
  return bits === 4 ? new Int8Array(packInt4(w).buffer) : w;
}

/** Per-channel multiplier and shift arrays of length `m` (a per-tensor pair is repeated). */
export function perChannel(step: ConstSource, multiplier: Int32Array, shift: Int32Array, m: number): { mult: Int32Array; shift: Int32Array } {
  if (multiplier.length === m && shift.length === m) return { mult: multiplier, shift };
  if (multiplier.length === 1 && shift.length === 1) return { mult: new Int32Array(m).fill(multiplier[0]), shift: new Int32Array(m).fill(shift[0]) };
  throw new CompileError(ErrorCode.BadGraph, `needs 1 or ${m} multipliers, has ${multiplier.length}`, { node: step.node.name, op: step.node.op });
}

/** Checks that arm_nn_requantize accepts every shift (CMSIS-NN: [-31, 30]). */
export function checkShifts(step: ConstSource, shifts: ArrayLike<number>): void {
  for (let i = 0; i < shifts.length; i++) {
    if (shifts[i] < -31 || shifts[i] > 30) {
      throw new CompileError(ErrorCode.BadAttribute, `requantization shift ${shifts[i]} is outside [-31, 30]`, { node: step.node.name, op: step.node.op },
        'The scales of this layer are too far apart for Q31 requantization; recalibrate or requantize the layer.');
    }
  }
}

/** A constant array with a unique name derived from the step. */
export function constArray(ctx: CallContext, suffix: string, ctype: ConstArray['ctype'], data: ConstArray['data'], comment: string): ConstArray {
  return { id: ctx.ids.get('', `${ctx.stepId}_${suffix}`), ctype, data, comment };
}

/** The template values of an elementwise add (the same for CMSIS-NN's arm_elementwise_add_s8 and
 * qgc's portable add): offsets are negated zero points, as CMSIS-NN takes them. */
export function addValues(a: QAddAttrs, size: number): Record<string, unknown> {
  return {
    size, leftShift: a.leftShift,
    in1: { offset: cInt(-a.input1.zeroPoint), mult: cInt(a.input1.multiplier), shift: a.input1.shift },
    in2: { offset: cInt(-a.input2.zeroPoint), mult: cInt(a.input2.multiplier), shift: a.input2.shift },
    out: { offset: cInt(a.output.zeroPoint), mult: cInt(a.output.multiplier), shift: a.output.shift },
    actMin: a.actMin, actMax: a.actMax,
  };
}

/** The template values of an elementwise multiply (CMSIS-NN's arm_elementwise_mul_s8 and qgc's
 * portable mul): offsets are negated zero points, as CMSIS-NN takes them. */
export function mulValues(a: QMulAttrs, size: number): Record<string, unknown> {
  return {
    size, in1Offset: cInt(-a.input1ZeroPoint), in2Offset: cInt(-a.input2ZeroPoint), outOffset: cInt(a.outputZeroPoint),
    mult: cInt(a.multiplier), shift: a.shift, actMin: a.actMin, actMax: a.actMax,
  };
}

/** The template values of a softmax over the last axis (CMSIS-NN's arm_softmax_s8 and qgc's
 * portable softmax take the same arguments). */
export function softmaxValues(step: NodeStep): Record<string, unknown> {
  if (step.node.op !== 'QSoftmax') throw new Error('unreachable');
  const a = step.node.attrs;
  const x = step.inputs[0];
  const rowSize = x.shape[x.shape.length - 1];
  return { rows: elementCount(x.shape) / rowSize, rowSize, mult: cInt(a.multiplier), shift: a.shift, diffMin: cInt(a.diffMin) };
}
