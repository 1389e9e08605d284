/**
 * What a kernel selector hands to the templates: one `KernelCall` per schedule step (the
 * partial to print, plain values, constant arrays for the weights file) and the geometry
 * helpers both providers share (NHWC dims and windows of conv/pool steps, 1-D as H = 1).
 */
import type { QAddAttrs } from '../../ir/qops.js';
import { CompileError, ErrorCode } from '../../errors.js';
import type { Tensor } from '../../ir/graph.js';
import type { PoolAttrs, WindowAttrs } from '../../ir/ops.js';
import type { CmsisIsa } from './cmsis-buffers.js';
import type { IdentifierTable } from './identifiers.js';
import type { CTensor, NodeStep, Step } from './lower.js';
import { physicalShape } from './layout.js';

/** A constant array written to `<name>_weights.c` (flash). */
export interface ConstArray {
  id: string;
  ctype: 'int8_t' | 'int32_t';
  data: Int8Array | Int32Array;
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
  /** Multiply-accumulates of the step (0 for data movement). */
  macs: number;
}

/** What a selector needs to print a call. */
export interface CallContext {
  ids: IdentifierTable;
  /** Unique C identifier fragment of this step (derived from the node name). */
  stepId: string;
  /** C expression of a tensor's address in the arena. */
  ptr: (t: CTensor) => string;
  /** C expression of the step's scratch buffer (`NULL` when it has none). */
  scratch: string;
  /** 1-based step number returned by `<name>_run` when the kernel reports an error. */
  stepNumber: number;
}

/** A kernel provider: scratch sizes (and support checks, which throw) first, calls later. */
export interface KernelProvider {
  readonly name: 'cmsis-nn' | 'portable';
  readonly isa: CmsisIsa;
  /** Checks the step has a kernel (CompileError naming the node otherwise); returns the arena
   * scratch bytes the kernel needs. */
  scratchBytes(step: Step): number;
  call(step: Step, ctx: CallContext): KernelCall;
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

/** An NHWC dims record of a rank-3 ([N,C,L]) or rank-4 ([N,C,H,W]) logical shape. */
export interface Nhwc {
  n: number;
  h: number;
  w: number;
  c: number;
}

export function nhwcOf(shape: readonly number[]): Nhwc {
  return shape.length === 3 ? { n: shape[0], h: 1, w: shape[2], c: shape[1] } : { n: shape[0], h: shape[2], w: shape[3], c: shape[1] };
}

/** A 2-D window; 1-D windows become kernel_h = 1 with no padding along H. */
export interface Window2d {
  kernelH: number;
  kernelW: number;
  strideH: number;
  strideW: number;
  padH: number;
  padW: number;
  dilationH: number;
  dilationW: number;
  /** Trailing pads (CMSIS-NN derives them from the output size; kept for the report). */
  padBottom: number;
  padRight: number;
}

export function window2d(a: WindowAttrs): Window2d {
  if (a.kernel.length === 1) {
    return { kernelH: 1, kernelW: a.kernel[0], strideH: 1, strideW: a.strides[0], padH: 0, padW: a.pads[0], dilationH: 1, dilationW: a.dilations[0], padBottom: 0, padRight: a.pads[1] };
  }
  return {
    kernelH: a.kernel[0], kernelW: a.kernel[1], strideH: a.strides[0], strideW: a.strides[1], padH: a.pads[0], padW: a.pads[1],
    dilationH: a.dilations[0], dilationW: a.dilations[1], padBottom: a.pads[2], padRight: a.pads[3],
  };
}

/** Pools whose count-include-pad semantics the int8 contract cannot express fail here. */
export function checkPool(step: NodeStep, a: PoolAttrs): void {
  if (a.countIncludePad && a.pads.some((p) => p !== 0) && step.node.op === 'QAveragePool') {
    throw new CompileError(ErrorCode.BadAttribute, 'count_include_pad with padding is not representable in int8 average pooling',
      { node: step.node.name, op: step.node.op }, 'Pad explicitly with the zero point and pool without pads.');
  }
}

/** The constant input `i` of a node step as typed data, checked. */
export function constData(step: NodeStep, i: number, dtype: 'int8'): Int8Array;
export function constData(step: NodeStep, i: number, dtype: 'int32'): Int32Array | undefined;
export function constData(step: NodeStep, i: number, dtype: 'int8' | 'int32'): Int8Array | Int32Array | undefined {
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

/** Per-channel multiplier and shift arrays of length `m` (a per-tensor pair is repeated). */
export function perChannel(step: NodeStep, multiplier: Int32Array, shift: Int32Array, m: number): { mult: Int32Array; shift: Int32Array } {
  if (multiplier.length === m && shift.length === m) return { mult: multiplier, shift };
  if (multiplier.length === 1 && shift.length === 1) return { mult: new Int32Array(m).fill(multiplier[0]), shift: new Int32Array(m).fill(shift[0]) };
  throw new CompileError(ErrorCode.BadGraph, `needs 1 or ${m} multipliers, has ${multiplier.length}`, { node: step.node.name, op: step.node.op });
}

/** Checks that arm_nn_requantize accepts every shift (CMSIS-NN: [-31, 30]). */
export function checkShifts(step: NodeStep, shifts: ArrayLike<number>): void {
  for (let i = 0; i < shifts.length; i++) {
    if (shifts[i] < -31 || shifts[i] > 30) {
      throw new CompileError(ErrorCode.BadAttribute, `requantization shift ${shifts[i]} is outside [-31, 30]`, { node: step.node.name, op: step.node.op },
        'The scales of this layer are too far apart for Q31 requantization; recalibrate or requantize the layer.');
    }
  }
}

/** A constant array with a unique name derived from the step. */
export function constArray(ctx: CallContext, suffix: string, ctype: ConstArray['ctype'], data: Int8Array | Int32Array, comment: string): ConstArray {
  return { id: ctx.ids.get('', `${ctx.stepId}_${suffix}`), ctype, data, comment };
}

/** Physical dims as a C initializer list. */
export function physDims(t: CTensor): string {
  return physicalShape(t.layout).join(', ');
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
