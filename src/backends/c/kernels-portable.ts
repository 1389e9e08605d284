/**
 * The portable kernel provider: every step becomes a call into qgc's own C kernels
 * (templates/c/portable/qgc_kernels.c), which compute what the integer interpreter computes.
 * The cmsis-nn provider falls back to these for ops CMSIS-NN lacks.
 */
import { CompileError, ErrorCode } from '../../errors.js';
import { elementCount, stridesOf } from '../../ir/graph.js';
import type { PadAttrs } from '../../ir/ops.js';
import { isIdentityOperand, requantize } from '../../ir/intmath.js';
import { batchWalk, broadcastWalk, inOutputOrder, isPlainElementwise, type WalkOperand } from '../../schedule/broadcast.js';
import { blockWalk, sliceWalk, type GatherWalk } from '../../interp/rearrange.js';
import { nearestWalk } from '../../interp/resize.js';
import { nhwcOf, window2d } from '../../schedule/geometry.js';
import { channelsLast, physicalShape, rowMajor, weightsForInputLayout, type Layout, type StridedCopy } from '../../schedule/layout.js';
import type { Int8Op, KernelQuery } from '../../schedule/provider.js';
import type { CopyStep, KernelChoice, NodeStep, StorageDType } from '../../schedule/types.js';
import type { CmsisIsa } from './cmsis-buffers.js';
import {
  cInt, checkPool, checkShifts, constArray, constData, perChannel, weightBits, weightBytes,
  type CallContext, type CKernel, type CKernelTable, type ConstArray, type ConstSource, type CProvider, type KernelCall, addValues, mulValues, softmaxValues } from './kernel-call.js';
import { floatKernels } from './kernels-float.js';
import { weightsOHWI } from './weights.js';
import { unaryTable, type Int8UnaryNode } from '../../interp/int8/activation.js';
import { slopeAxis } from '../../quant/lowering/activation.js';

/** numpy.pad index map of one dim: output index → source index, or -1 for the constant. */
export function padMap(mode: PadAttrs['mode'], size: number, begin: number, end: number): Int32Array {
  const lo = Math.max(0, -begin);
  const m = size - lo - Math.max(0, -end);
  const before = Math.max(0, begin);
  const out = new Int32Array(before + m + Math.max(0, end));
  for (let o = 0; o < out.length; o++) {
    let j = o - before;
    if (j < 0 || j >= m) {
      if (mode === 'constant') j = -1;
      else if (mode === 'edge') j = j < 0 ? 0 : m - 1;
      else if (mode === 'wrap') j = ((j % m) + m) % m;
      else if (m === 1) j = 0;
      else {
        const period = 2 * (m - 1);
        j = ((j % period) + period) % period;
        if (j >= m) j = period - j;
      }
    }
    out[o] = j < 0 ? -1 : j + lo;
  }
  return out;
}

const list = (xs: ArrayLike<number>): string => Array.from(xs, cInt).join(', ');

/** A strided copy as qgc_copy_params values. */
export function copyValues(c: StridedCopy): { rank: number; dims: string; strides: string } {
  if (c.dims.length > 8) throw new CompileError(ErrorCode.UnsupportedOp, `a layout change of rank ${c.dims.length} exceeds QGC_MAX_RANK (8)`);
  return { rank: c.dims.length, dims: list(c.dims), strides: list(c.srcStrides) };
}

function where(step: ConstSource) {
  return { node: step.node.name, op: step.node.op };
}

const INT8: readonly StorageDType[] = ['int8'];

/** A kernel that takes every node of its op (after `check`). */
const fixed = (kernel: string, check?: (q: KernelQuery) => void) => (q: KernelQuery): KernelChoice => {
  check?.(q);
  return { kernel, scratchBytes: 0 };
};

/** Conv and pooling run 1-D and 2-D windows over NHWC tensors. */
export function checkWindowRank(q: KernelQuery): void {
  const r = q.inputs[0].shape.length;
  if (r !== 3 && r !== 4) {
    throw new CompileError(ErrorCode.UnsupportedOp, `${r - 2}-D windows are not supported`, where(q), 'Use 1-D or 2-D convolution and pooling.');
  }
}

/** Weights int8 and bias int32 constants, shifts in arm_nn_requantize's range. */
export function checkLinear(q: ConstSource, shift: Int32Array): void {
  constData(q, 0, 'int8');
  constData(q, 1, 'int32');
  checkShifts(q, shift);
}

/** Elementwise kernels take operands of one shape (no broadcasting). */
export function checkSameShapes(q: KernelQuery): void {
  const x = q.inputs[0];
  for (const t of q.inputs) {
    if (t.shape.join() !== x.shape.join()) {
      throw new CompileError(ErrorCode.UnsupportedOp, `inputs of shapes [${x.shape}] and [${t.shape}] need broadcasting`, where(q), 'Give both inputs the same shape (the C kernels do not broadcast).');
    }
  }
}

/** Broadcasting elementwise kernels (QAdd, QMul) write the output in operand 1's layout, so
 * operand 1 has the output's shape (the int8 lowering orders operands so whenever one does). */
export function checkBroadcast(q: KernelQuery): void {
  const x = q.inputs[0];
  const out = q.outputShape;
  if (x.shape.length !== out.length || x.shape.some((d, i) => d !== out[i])) {
    throw new CompileError(ErrorCode.UnsupportedOp, `operand 1 of shape [${x.shape}] is itself broadcast to the output's [${out}]`, where(q),
      'Give one operand the output\'s shape (Expand it in the float model); the kernels broadcast the second operand only.');
  }
  if (out.length > 8) throw new CompileError(ErrorCode.UnsupportedOp, `a broadcast of rank ${out.length} exceeds QGC_MAX_RANK (8)`, where(q), 'Reshape the operands to at most 8 dims.');
  const second = q.inputs[1] ?? q.consts[0];
  if (second && second.shape.length > out.length) throw new CompileError(ErrorCode.ShapeMismatch, `operand 2 of shape [${second.shape}] has a higher rank than the output`, where(q));
}

/** QBatchMatMul: two computed operands of rank 2 to 8, shifts arm_nn_requantize takes. */
export function checkBatchMatMul(q: KernelQuery): void {
  if (q.node.op !== 'QBatchMatMul') return;
  if (q.inputs.length !== 2) {
    throw new CompileError(ErrorCode.UnsupportedOp, 'a matrix product of a constant and an activation is not a QBatchMatMul', where(q),
      'Put the constant second (a fully connected layer), or compute both operands.');
  }
  if (q.outputShape.length > 8) throw new CompileError(ErrorCode.UnsupportedOp, `a matrix product of rank ${q.outputShape.length} exceeds QGC_MAX_RANK (8)`, where(q), 'Reshape the operands to at most 8 dims.');
  checkShifts(q, [q.node.attrs.shift]);
}

/** Operand 2 of a QAdd/QMul step (an arena tensor or a constant array in flash) and, when the
 * operands' shapes differ, the broadcast walk; a constant of the output's shape is stored in the
 * output's byte order. */
export interface BinaryOperands {
  input2: string;
  consts: ConstArray[];
  walk: { rank: number; dims: string; strides1: string; strides2: string } | null;
}

export function binaryOperands(step: NodeStep, ctx: CallContext): BinaryOperands {
  const out = step.output;
  const x1 = step.inputs[0];
  const x2 = step.inputs[1];
  const c = x2 ? undefined : step.consts[0];
  if (!x2 && !c) throw new CompileError(ErrorCode.BadGraph, 'operand 2 is missing', where(step));
  const second: WalkOperand = x2 ?? { shape: c!.shape, layout: rowMajor(c!.shape) };
  const plain = isPlainElementwise(out.shape, [x1.shape, second.shape]);
  const consts: ConstArray[] = [];
  let input2 = x2 ? `arena + ${ctx.offset(x2)}` : '';
  if (c) {
    const data = constData(step, 0, 'int8');
    consts.push(constArray(ctx, 'operand2', 'int8_t', plain ? inOutputOrder(data, out.layout) : data,
      `operand 2 [${c.shape.join(', ')}]${plain ? ' in the output\'s byte order' : ' (row-major, broadcast)'}`));
    input2 = consts[0].id;
  }
  if (plain) return { input2, consts, walk: null };
  const w = broadcastWalk(out, [x1, second]);
  return { input2, consts, walk: { rank: w.dims.length, dims: list(w.dims), strides1: list(w.strides[0]), strides2: list(w.strides[1]) } };
}

/** The walk of an int8 Slice / DepthToSpace / SpaceToDepth / nearest Resize over its row-major
 * input; a nearest Resize whose index map is no strided walk is refused here. */
export function gatherWalkOf(step: { node: NodeStep['node'] }, inputShape: readonly number[]): GatherWalk {
  const n = step.node;
  if (n.op === 'Slice') return sliceWalk(inputShape, n.attrs);
  if (n.op === 'DepthToSpace' || n.op === 'SpaceToDepth') return blockWalk(inputShape, n.attrs, n.op === 'DepthToSpace');
  if (n.op === 'Resize' && n.attrs.mode === 'nearest') {
    const w = nearestWalk(inputShape, n.attrs);
    if ('axis' in w) {
      throw new CompileError(ErrorCode.UnsupportedOp, `int8 nearest Resize of axis ${w.axis} from ${inputShape[w.axis]} to ${n.attrs.shape[w.axis]} (${n.attrs.coordinateMode}, ${n.attrs.nearestMode}) is no strided copy`,
        { node: n.name, op: n.op }, 'Resize by whole factors (2x, 3x, 1/2, ...), where each output index steps evenly or repeats.');
    }
    return w;
  }
  throw new CompileError(ErrorCode.UnsupportedOp, `${n.op} (${n.op === 'Resize' ? n.attrs.mode : ''}) has no int8 copy kernel`, { node: n.name, op: n.op });
}

/** Slice, DepthToSpace, SpaceToDepth, nearest Resize on int8: one strided copy (qgc_copy_s8) from the input's
 * first element read, over row-major bytes. */
const gatherKernel: CKernel = {
  inputLayout: 'row-major', outputLayout: 'row-major', dtypes: INT8,
  choose: fixed('qgc_copy_s8', (q) => {
    if (gatherWalkOf(q, q.inputs[0].shape).dims.length > 8) throw new CompileError(ErrorCode.UnsupportedOp, `${q.node.op} of rank above 8`, where(q), 'Reshape to at most 8 dims.');
  }),
  render(step, ctx) {
    const w = gatherWalkOf(step, step.inputs[0].shape);
    return {
      partial: 'portable_copy', kernel: 'qgc_copy_s8', consts: [],
      values: { input: ctx.offset(step.inputs[0]) + w.base, output: ctx.offset(step.output), step: ctx.stepNumber, ...copyValues({ dims: w.dims, srcStrides: w.strides }) },
    };
  },
};

const LUT_KERNEL = {
  inputLayout: 'as-first-input', outputLayout: 'as-first-input', passesLayout: true, inPlace: true, dtypes: INT8,
  choose: fixed('qgc_lut_s8'),
  render: lutCall,
} as const satisfies CKernel;

/** The portable kernels, op by op: what each declares to the schedule and how it prints. */
const PORTABLE_KERNELS = {
  QConv: {
    inputLayout: 'channels-last', outputLayout: 'channels-last', dtypes: INT8,
    choose: (q) => {
      checkWindowRank(q);
      if (q.node.op === 'QConv') checkLinear(q, q.node.attrs.shift);
      return { kernel: `qgc_conv_s${weightBits(q)}`, scratchBytes: 0 };
    },
    render: convCall,
  },
  QFullyConnected: {
    inputLayout: 'rows-contiguous', outputLayout: 'row-major', dtypes: INT8,
    choose: (q) => {
      if (q.node.op === 'QFullyConnected') checkLinear(q, q.node.attrs.shift);
      return { kernel: `qgc_fully_connected_s${weightBits(q)}`, scratchBytes: 0 };
    },
    render: fcCall,
  },
  QBatchMatMul: {
    inputLayout: 'row-major', outputLayout: 'row-major', dtypes: INT8, copyReason: 'matrix operands',
    choose: fixed('qgc_batch_matmul_s8', checkBatchMatMul),
    render: batchMatMulCall,
  },
  QMaxPool: {
    inputLayout: 'channels-last', outputLayout: 'channels-last', dtypes: INT8,
    choose: fixed('qgc_max_pool_s8', checkWindowRank),
    render: poolCall,
  },
  QAveragePool: {
    inputLayout: 'channels-last', outputLayout: 'channels-last', dtypes: INT8,
    choose: fixed('qgc_avg_pool_s8', (q) => {
      checkWindowRank(q);
      if (q.node.op === 'QAveragePool') checkPool(q, q.node.attrs);
    }),
    render: poolCall,
  },
  QAdd: {
    inputLayout: 'broadcast', outputLayout: 'as-first-input', passesLayout: true, inPlace: true, dtypes: INT8, copyReason: 'add operands',
    choose: fixed('qgc_add_s8', checkBroadcast),
    render: addCall,
  },
  QMul: {
    inputLayout: 'broadcast', outputLayout: 'as-first-input', passesLayout: true, inPlace: true, dtypes: INT8, copyReason: 'mul operands',
    choose: fixed('qgc_mul_s8', checkBroadcast),
    render: mulCall,
  },
  QClamp: {
    inputLayout: 'as-first-input', outputLayout: 'as-first-input', passesLayout: true, inPlace: true, dtypes: INT8,
    choose: fixed('qgc_clamp_s8', checkSameShapes),
    render: clampCall,
  },
  QSoftmax: {
    inputLayout: 'row-major', outputLayout: 'row-major', dtypes: INT8, copyReason: 'softmax rows',
    choose: fixed('qgc_softmax_s8'),
    render: softmaxCall,
  },
  QConcat: {
    inputLayout: 'channels-last', outputLayout: 'channels-last', passesLayout: true, dtypes: INT8, copyReason: 'concat operands',
    choose: fixed('qgc_concat_s8'),
    render: concatCall,
  },
  Pad: {
    inputLayout: 'canonical', outputLayout: 'perm-of-first-input', passesLayout: true, dtypes: INT8,
    choose: fixed('qgc_pad_s8', checkPad),
    render: padCall,
  },
  QSigmoid: LUT_KERNEL,
  QTanh: LUT_KERNEL,
  QHardSigmoid: LUT_KERNEL,
  QHardSwish: LUT_KERNEL,
  QLeakyRelu: LUT_KERNEL,
  QPRelu: {
    inputLayout: 'channels-last', outputLayout: 'channels-last', inPlace: true, dtypes: INT8,
    choose: fixed('qgc_prelu_s8', (q) => { preluChannels(q); }),
    render: preluCall,
  },
  QMean: {
    inputLayout: 'row-major', outputLayout: 'row-major', dtypes: INT8,
    choose: fixed('qgc_mean_s8', (q) => { reductionExtent(q); }),
    render: reduceCall,
  },
  QReduceMax: {
    inputLayout: 'row-major', outputLayout: 'row-major', dtypes: INT8,
    choose: fixed('qgc_reduce_max_s8', (q) => { reductionExtent(q); }),
    render: reduceCall,
  },
  Slice: gatherKernel,
  DepthToSpace: gatherKernel,
  SpaceToDepth: gatherKernel,
  Resize: gatherKernel,
} as const satisfies Record<Int8Op, CKernel>;

/** The slopes of a QPRelu, one per channel (axis 1, the innermost axis of channels-last) or one
 * for all; anything else is refused here (the lowering only makes these). */
export function preluChannels(q: ConstSource & { inputs: readonly { shape: readonly number[] }[] }): Int8Array {
  const slope = constData(q, 0, 'int8');
  const x = q.inputs[0].shape;
  const shape = q.consts[0]!.shape;
  const axis = slopeAxis(x, shape);
  if (!slope || shape.length > x.length || (axis !== -1 && axis !== 1)) {
    throw new CompileError(ErrorCode.UnsupportedOp, `PRelu slope of shape [${shape.join(', ')}] on [${x.join(', ')}]`, where(q),
      'Give PRelu a constant slope of one value or one per channel (axis 1).');
  }
  return slope;
}

/** A reduction over row-major `shape` as [outer, reduce, inner]: the reduced axes must be
 * adjacent once size-1 axes are ignored (spatial axes, the last axis, the channels, all). */
export function reductionExtent(q: { node: KernelQuery['node']; inputs: readonly { shape: readonly number[] }[] }): { outer: number; reduce: number; inner: number } {
  if (q.node.op !== 'QMean' && q.node.op !== 'QReduceMax') throw new Error('unreachable');
  const shape = q.inputs[0].shape;
  const axes = q.node.attrs.axes;
  if (axes.length === 0) return { outer: elementCount(shape), reduce: 1, inner: 1 };
  const lo = Math.min(...axes);
  const hi = Math.max(...axes);
  for (let i = lo; i <= hi; i++) {
    if (!axes.includes(i) && shape[i] !== 1) {
      throw new CompileError(ErrorCode.UnsupportedOp, `reduction over axes [${axes.join(', ')}] of [${shape.join(', ')}], which are not adjacent`, { node: q.node.name, op: q.node.op },
        'Reduce over adjacent axes (transpose them together first), or reduce in two steps.');
    }
  }
  const product = (from: number, to: number) => shape.slice(from, to).reduce((p, d) => p * d, 1);
  return { outer: product(0, lo), reduce: axes.reduce((p, a) => p * shape[a], 1), inner: product(hi + 1, shape.length) };
}

function checkPad(q: KernelQuery): void {
  if (q.node.op !== 'Pad') return;
  if (q.inputs[0].shape.length > 8) throw new CompileError(ErrorCode.UnsupportedOp, 'Pad of rank above 8', where(q));
  const a = q.node.attrs;
  const fill = Math.round(a.value);
  if (a.mode === 'constant' && (fill < -128 || fill > 127)) {
    throw new CompileError(ErrorCode.BadAttribute, `pad value ${a.value} is outside int8`, where(q), 'Pad with a quantized value (usually the zero point).');
  }
}

/** The int8 functions of one value (QSigmoid, QTanh, QHardSigmoid, QHardSwish, QLeakyRelu):
 * a 256-byte table of the interpreter's values, looked up per element, in place. */
function lutCall(step: NodeStep, ctx: CallContext): KernelCall {
  const table = constArray(ctx, 'lut', 'int8_t', unaryTable(step.node as Int8UnaryNode), `${step.node.op} of every int8 value (index q + 128)`);
  return { partial: 'portable_lut', kernel: 'qgc_lut_s8', consts: [table], values: { ...io(step, ctx), size: elementCount(step.output.shape), table: table.id } };
}

function preluCall(step: NodeStep, ctx: CallContext): KernelCall {
  if (step.node.op !== 'QPRelu') throw new Error('unreachable');
  const a = step.node.attrs;
  const slope = preluChannels(step);
  const consts = [constArray(ctx, 'slope', 'int8_t', slope, slope.length === 1 ? 'slope (one for all channels)' : 'slope, one per channel')];
  const m = (q: { multiplier: number; shift: number }) => ({ mult: cInt(q.multiplier), shift: q.shift });
  return {
    partial: 'portable_prelu', kernel: 'qgc_prelu_s8', consts,
    values: {
      ...io(step, ctx), size: elementCount(step.output.shape), channels: slope.length, slope: consts[0].id,
      inputOffset: cInt(-a.inputZeroPoint), slopeOffset: cInt(-a.slopeZeroPoint), outputOffset: cInt(a.outputZeroPoint), identity: m(a.identity), negative: m(a.negative),
    },
  };
}

function reduceCall(step: NodeStep, ctx: CallContext): KernelCall {
  if (step.node.op !== 'QMean' && step.node.op !== 'QReduceMax') throw new Error('unreachable');
  const ext = reductionExtent(step);
  const a = step.node.op === 'QMean' ? step.node.attrs : undefined;
  const fn = a ? 'qgc_mean_s8' : 'qgc_reduce_max_s8';
  return {
    partial: 'portable_reduce', kernel: fn, consts: [],
    values: {
      ...io(step, ctx), fn, ...ext,
      inputOffset: cInt(a ? -a.inputZeroPoint : 0), outputOffset: cInt(a ? a.outputZeroPoint : 0), mult: cInt(a ? a.multiplier : 0), shift: a ? a.shift : 0,
    },
  };
}

/** The kernels every C provider shares for ops CMSIS-NN lacks, and the float kernels. */
export const portableKernels: CKernelTable = { ...PORTABLE_KERNELS, ...floatKernels };

const FLOAT_HINT = 'Let qgc quantize this node (drop it from --float-nodes), or replace the op; the C float kernels cover the ops of OpGroups.floatFallback (docs/float-fallback.md).';

export const UNSUPPORTED_HINT = 'Quantize the model so that it uses only qgc\'s int8 ops (QConv, QFullyConnected, QBatchMatMul, QAdd, QMul, pooling, QSoftmax, QConcat, QClamp, the activations, QMean, QReduceMax) and Reshape/Transpose/Pad/Slice/DepthToSpace/SpaceToDepth/nearest Resize.';

/** The portable provider (any core, any host). */
export function portableProvider(isa: CmsisIsa = 'plain'): CProvider {
  return {
    name: 'portable', backend: 'the C backend', isa, kernels: portableKernels, unsupportedHint: UNSUPPORTED_HINT, floatHint: FLOAT_HINT,
    copyKernel: { kernel: 'qgc_copy_s8', scratchBytes: 0 }, renderCopy: copyCall,
  };
}

/** The offsets every call prints. */
function io(step: NodeStep, ctx: CallContext) {
  return { input: ctx.offset(step.inputs[0]), output: ctx.offset(step.output), step: ctx.stepNumber };
}

function convCall(step: NodeStep, ctx: CallContext): KernelCall {
  if (step.node.op !== 'QConv') throw new Error('unreachable');
  const a = step.node.attrs;
  const w = constData(step, 0, 'int8');
  const bias = constData(step, 1, 'int32');
  const wShape = step.consts[0]!.shape;
  const inD = nhwcOf(step.inputs[0].shape);
  const outD = nhwcOf(step.output.shape);
  const q = perChannel(step, a.multiplier, a.shift, outD.c);
  const bits = weightBits(step);
  const consts = [
    constArray(ctx, 'w', 'int8_t', weightBytes(weightsOHWI(w, wShape), bits), `weights [${outD.c}, kH, kW, ${inD.c / a.group}] (OHWI${bits === 4 ? ', int4 packed two per byte, low nibble first' : ''})`),
    constArray(ctx, 'mult', 'int32_t', q.mult, 'requantization multipliers (Q31), one per output channel'),
    constArray(ctx, 'shift', 'int32_t', q.shift, 'requantization shifts, one per output channel'),
  ];
  if (bias) consts.push(constArray(ctx, 'bias', 'int32_t', bias, 'bias (int32, scale s_in * s_w[c])'));
  return {
    partial: 'portable_conv', kernel: step.choice.kernel, consts,
    values: {
      ...io(step, ctx), fn: step.choice.kernel, in: inD, out: outD, win: window2d(a), groups: a.group, inputOffset: cInt(-a.inputZeroPoint), outputOffset: cInt(a.outputZeroPoint),
      actMin: a.actMin, actMax: a.actMax, w: consts[0].id, mult: consts[1].id, shift: consts[2].id, bias: bias ? consts[3].id : null,
    },
  };
}

function fcCall(step: NodeStep, ctx: CallContext): KernelCall {
  if (step.node.op !== 'QFullyConnected') throw new Error('unreachable');
  const a = step.node.attrs;
  const x = step.inputs[0];
  const [m, k] = step.consts[0]!.shape;
  const w = weightsForInputLayout(constData(step, 0, 'int8'), m, k, x.layout);
  const bias = constData(step, 1, 'int32');
  const per = a.multiplier.length !== 1;
  const bits = weightBits(step);
  const reordered = w.some((v, i) => v !== constData(step, 0, 'int8')[i]);
  const consts = [
    constArray(ctx, 'w', 'int8_t', weightBytes(w, bits), `weights [${m}, ${k}]${reordered ? ', columns in the input\'s byte order' : ''}${bits === 4 ? ', int4 packed two per byte, low nibble first' : ''}`),
    constArray(ctx, 'mult', 'int32_t', a.multiplier, per ? 'multipliers, one per output' : 'multiplier (per tensor)'),
    constArray(ctx, 'shift', 'int32_t', a.shift, per ? 'shifts, one per output' : 'shift (per tensor)'),
  ];
  if (bias) consts.push(constArray(ctx, 'bias', 'int32_t', bias, 'bias (int32)'));
  const batches = elementCount(x.shape) / k;
  return {
    partial: 'portable_fc', kernel: step.choice.kernel, consts,
    values: {
      ...io(step, ctx), fn: step.choice.kernel, batches, inFeatures: k, outFeatures: m, inputOffset: cInt(-a.inputZeroPoint), outputOffset: cInt(a.outputZeroPoint),
      actMin: a.actMin, actMax: a.actMax, perChannel: per ? 1 : 0, w: consts[0].id, mult: consts[1].id, shift: consts[2].id, bias: bias ? consts[3].id : null,
    },
  };
}

function addCall(step: NodeStep, ctx: CallContext): KernelCall {
  if (step.node.op !== 'QAdd') throw new Error('unreachable');
  const { input2, consts, walk } = binaryOperands(step, ctx);
  return {
    partial: 'portable_add', kernel: walk ? 'qgc_add_broadcast_s8' : 'qgc_add_s8', consts,
    values: { ...io(step, ctx), input2, walk, ...addValues(step.node.attrs, elementCount(step.output.shape)) },
  };
}

function batchMatMulCall(step: NodeStep, ctx: CallContext): KernelCall {
  if (step.node.op !== 'QBatchMatMul') throw new Error('unreachable');
  const a = step.node.attrs;
  const [lhs, rhs] = step.inputs;
  const [m, k] = lhs.shape.slice(lhs.shape.length - 2);
  const n = rhs.shape[rhs.shape.length - 1];
  const w = batchWalk(lhs.shape, rhs.shape, step.output.shape);
  return {
    partial: 'portable_batch_matmul', kernel: 'qgc_batch_matmul_s8', consts: [],
    values: {
      ...io(step, ctx), input2: ctx.offset(rhs), m, k, n, lhsOffset: cInt(-a.lhsZeroPoint), rhsOffset: cInt(-a.rhsZeroPoint), outOffset: cInt(a.outputZeroPoint),
      mult: cInt(a.multiplier), shift: a.shift, actMin: a.actMin, actMax: a.actMax,
      walk: { rank: w.dims.length, dims: list(w.dims), strides1: list(w.strides[0]), strides2: list(w.strides[1]) },
    },
  };
}

function mulCall(step: NodeStep, ctx: CallContext): KernelCall {
  if (step.node.op !== 'QMul') throw new Error('unreachable');
  const { input2, consts, walk } = binaryOperands(step, ctx);
  return {
    partial: 'portable_mul', kernel: walk ? 'qgc_mul_broadcast_s8' : 'qgc_mul_s8', consts,
    values: { ...io(step, ctx), input2, walk, ...mulValues(step.node.attrs, elementCount(step.output.shape)) },
  };
}

function poolCall(step: NodeStep, ctx: CallContext): KernelCall {
  if (step.node.op !== 'QMaxPool' && step.node.op !== 'QAveragePool') throw new Error('unreachable');
  const a = step.node.attrs;
  const fn = step.node.op === 'QAveragePool' ? 'qgc_avg_pool_s8' : 'qgc_max_pool_s8';
  return {
    partial: 'portable_pool', kernel: fn, consts: [],
    values: { ...io(step, ctx), fn, in: nhwcOf(step.inputs[0].shape), out: nhwcOf(step.output.shape), win: window2d(a), actMin: a.actMin, actMax: a.actMax },
  };
}

function softmaxCall(step: NodeStep, ctx: CallContext): KernelCall {
  return { partial: 'portable_softmax', kernel: 'qgc_softmax_s8', consts: [], values: { ...io(step, ctx), ...softmaxValues(step) } };
}

function clampCall(step: NodeStep, ctx: CallContext): KernelCall {
  if (step.node.op !== 'QClamp') throw new Error('unreachable');
  return {
    partial: 'portable_clamp', kernel: 'qgc_clamp_s8', consts: [],
    values: { ...io(step, ctx), size: elementCount(step.output.shape), actMin: step.node.attrs.actMin, actMax: step.node.attrs.actMax },
  };
}

/** QAdd as qgc_add_lut_s8: the tables hold, for every int8 value, what the interpreter's QAdd
 * (and arm_elementwise_add_s8) computes for that input before the sum. */
export function addLutCall(step: NodeStep, ctx: CallContext): KernelCall {
  if (step.node.op !== 'QAdd') throw new Error('unreachable');
  const a = step.node.attrs;
  const table = (op: typeof a.input1) => Int32Array.from({ length: 256 }, (_, k) => requantize((k - 128 - op.zeroPoint) << a.leftShift, op.multiplier, op.shift));
  const consts = [
    constArray(ctx, 'lut1', 'int32_t', table(a.input1), 'input 1 rescaled, per int8 value + 128'),
    constArray(ctx, 'lut2', 'int32_t', table(a.input2), 'input 2 rescaled, per int8 value + 128'),
  ];
  const base = addCall(step, ctx);
  return { ...base, partial: 'portable_add_lut', kernel: 'qgc_add_lut_s8', consts: [...base.consts, ...consts], values: { ...base.values, lut1: consts[0].id, lut2: consts[1].id } };
}

function copyCall(step: CopyStep, ctx: CallContext): KernelCall {
  const float = step.src.dtype === 'float32';
  return {
    partial: float ? 'float_copy' : 'portable_copy', kernel: float ? 'qgc_copy_f32' : 'qgc_copy_s8', consts: [],
    values: { input: ctx.offset(step.src), output: ctx.offset(step.dst), step: ctx.stepNumber, ...copyValues(step.copy) },
  };
}

/** Concatenation in physical order: along the concat axis' physical position, every input is a
 * block of rows; each input's rows land at its column offset in the output's rows. */
function concatCall(step: NodeStep, ctx: CallContext): KernelCall {
  if (step.node.op !== 'QConcat') throw new Error('unreachable');
  const a = step.node.attrs;
  const outLayout: Layout = channelsLast(step.output.shape);
  const pa = outLayout.perm.indexOf(a.axis);
  const outPhys = physicalShape(outLayout);
  const outer = outPhys.slice(0, pa).reduce((p, d) => p * d, 1);
  const dstRow = outPhys.slice(pa).reduce((p, d) => p * d, 1);
  let offset = 0;
  const parts = step.inputs.map((t, i) => {
    const inPhys = physicalShape(channelsLast(t.shape));
    const srcRow = inPhys.slice(pa).reduce((p, d) => p * d, 1);
    const op = a.inputs[i];
    const part = {
      input: ctx.offset(t), output: ctx.offset(step.output), column: offset, outer, srcRow, dstRow, copy: isIdentityOperand(op, a.outputZeroPoint) ? 1 : 0,
      inputOffset: cInt(-op.zeroPoint), mult: cInt(op.multiplier), shift: op.shift, outputOffset: cInt(a.outputZeroPoint), name: `p${i}`,
    };
    offset += srcRow;
    return part;
  });
  return { partial: 'portable_concat', kernel: 'qgc_concat_s8', consts: [], values: { parts, step: ctx.stepNumber } };
}

function padCall(step: NodeStep, ctx: CallContext): KernelCall {
  if (step.node.op !== 'Pad') throw new Error('unreachable');
  const a = step.node.attrs;
  const x = step.inputs[0];
  const rank = x.shape.length;
  const perm = x.layout.perm;
  const inStrides = stridesOf(physicalShape(x.layout));
  const maps = perm.map((d) => padMap(a.mode, x.shape[d], a.pads[d], a.pads[d + rank]));
  const flat = new Int32Array(maps.reduce((s, m) => s + m.length, 0));
  let o = 0;
  for (const m of maps) {
    flat.set(m, o);
    o += m.length;
  }
  const fill = Math.round(a.value);
  const consts = [constArray(ctx, 'pad_map', 'int32_t', flat, `source index per output index, per dim (${a.mode} pad; -1: fill)`)];
  return {
    partial: 'portable_pad', kernel: 'qgc_pad_s8', consts,
    values: {
      input: ctx.offset(x), output: ctx.offset(step.output), step: ctx.stepNumber, rank, dims: list(maps.map((m) => m.length)),
      strides: list(inStrides), fill: a.mode === 'constant' ? fill : 0, maps: consts[0].id,
    },
  };
}
