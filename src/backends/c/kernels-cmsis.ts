/**
 * The cmsis-nn kernel provider: QConv → arm_convolve_wrapper_s8 (or
 * arm_depthwise_conv_wrapper_s8 when group == C_in), QFullyConnected →
 * arm_fully_connected_wrapper_s8, QAdd → arm_elementwise_add_s8, QMul → arm_elementwise_mul_s8 (both
 * on operands of one shape; broadcasts run the portable kernels), QMaxPool → arm_max_pool_s8,
 * QAveragePool → arm_avgpool_s8, QSoftmax → arm_softmax_s8 (with the exceptions of
 * cmsis-dispatch.ts for convolutions, and large adds without MVE, which read their input
 * rescaling from tables: qgc_add_lut_s8). Their scratch buffers are sized
 * here (cmsis-buffers.ts) and placed in the arena by the memory plan. Everything else
 * (QConcat, QClamp, Pad, layout copies, dilated pooling) uses the portable kernels.
 */
import { elementCount } from '../../ir/graph.js';
import { isPlainElementwise } from '../../schedule/broadcast.js';
import { nhwcOf, window2d, type Window2d } from '../../schedule/geometry.js';
import { weightsForInputLayout } from '../../schedule/layout.js';
import type { KernelQuery } from '../../schedule/provider.js';
import type { KernelChoice, NodeStep } from '../../schedule/types.js';
import { usesAddLut, type McuTarget } from '../../targets/target.js';
import {
  avgpoolS8BufferSize, convolveS4BufferSize, convolveS8BufferSize, convolveWrapperS8BufferSize, depthwiseConvS8OptBufferSize, depthwiseConvWrapperS8BufferSize, fullyConnectedS8BufferSize, kernelSums,
  type CmsisIsa, type ConvGeometry, type NnDims,
} from './cmsis-buffers.js';
import { convFunction, depthwiseFunction, rowsScratchBytes, type ConvFunction, type DepthwiseFunction } from './cmsis-dispatch.js';
import {
  cInt, checkShifts, constArray, constData, perChannel, weightBits, weightBytes,
  type CallContext, type CKernel, type CKernelTable, type CProvider, type KernelCall, addValues, mulValues, softmaxValues } from './kernel-call.js';
import { addLutCall, binaryOperands, portableKernels, portableProvider } from './kernels-portable.js';
import { weightsDepthwise, weightsOHWI, weightsOWHI } from './weights.js';

const geometry = (w: Window2d): ConvGeometry => ({
  strideW: w.strideW, strideH: w.strideH, padW: w.padW, padH: w.padH, dilationW: w.dilationW, dilationH: w.dilationH,
});

/** The report's name of the gathered-rows convolution. */
const ROWS_KERNEL = 'qgc_gather_rows_s8+arm_nn_mat_mult_nt_t_s8';

/** The node and shapes a QConv choice and call read (a query or a scheduled step). */
interface ConvSource {
  node: NodeStep['node'];
  inputs: readonly { shape: readonly number[] }[];
  outputShape: readonly number[];
}

/** How a QConv maps onto CMSIS-NN. */
function convKind(q: ConvSource): 'conv' | 'depthwise' {
  if (q.node.op !== 'QConv') throw new Error('unreachable');
  const c = q.inputs[0].shape[1];
  return q.node.attrs.group === c && c > 1 ? 'depthwise' : 'conv';
}

function convDims(q: ConvSource): { input: NnDims; filter: NnDims; output: NnDims; win: Window2d } {
  if (q.node.op !== 'QConv') throw new Error('unreachable');
  const input = nhwcOf(q.inputs[0].shape);
  const output = nhwcOf(q.outputShape);
  const win = window2d(q.node.attrs);
  const filter: NnDims = convKind(q) === 'depthwise'
    ? { n: 1, h: win.kernelH, w: win.kernelW, c: output.c }
    : { n: output.c, h: win.kernelH, w: win.kernelW, c: input.c / q.node.attrs.group };
  return { input, filter, output, win };
}

/** The function a QConv calls (see cmsis-dispatch.ts). */
function convFunctionOf(q: ConvSource, target: McuTarget): ConvFunction | DepthwiseFunction {
  const { input, filter, output, win } = convDims(q);
  return convKind(q) === 'depthwise' ? depthwiseFunction(geometry(win), input, filter, output) : convFunction(target, geometry(win), input, filter, output);
}

/** Scratch bytes of the function a QConv calls. */
function convScratch(q: ConvSource, fn: ConvFunction | DepthwiseFunction, isa: CmsisIsa): number {
  const { input, filter, output, win } = convDims(q);
  const g = geometry(win);
  switch (fn) {
    case 'rows': return rowsScratchBytes(g, input, filter, output);
    case 'arm_convolve_s8': return convolveS8BufferSize(isa, input, filter);
    case 'arm_convolve_wrapper_s8': return convolveWrapperS8BufferSize(isa, g, input, filter, output);
    case 'arm_depthwise_conv_s8_opt': return depthwiseConvS8OptBufferSize(isa, input, filter);
    case 'arm_depthwise_conv_wrapper_s8': return depthwiseConvWrapperS8BufferSize(isa, g, input, filter, output);
    case 'arm_depthwise_conv_s8': return 0;
  }
}

/** The s4 functions CMSIS-NN has for int4 weights: arm_convolve_s4 (no groups: it reads C_in
 * from the input) and arm_depthwise_conv_s4 (no scratch). Grouped convolutions run qgc's
 * portable qgc_conv_s4. The s4 wrappers are not called: their 1x1 and 1xN picks carry the
 * padding assumptions cmsis-dispatch.ts describes for s8, and the direct calls bound every tap.
 *
 * arm_depthwise_conv_s4 is called for an even number of input channels with a channel
 * multiplier of 1 or an even one only. With an odd C_in it walks the packed weights by toggling
 * a nibble flag once per tap it visits, so where a window is clipped by the padding (taps
 * skipped) or C_in * ch_mult nibbles are not a whole number of bytes per tap, it reads the wrong
 * nibbles (found by test/random-graphs-mixed.test.ts: C_in 7 with dilation and padding); and its
 * even-C_in path takes output channels in pairs within one input channel, which an odd
 * multiplier above 1 does not have. Those layers run qgc_conv_s4. */
export function depthwiseS4Fits(inputChannels: number, chMult: number): boolean {
  return inputChannels % 2 === 0 && (chMult === 1 || chMult % 2 === 0);
}

function chooseConvS4(q: KernelQuery, isa: CmsisIsa, portable: KernelChoice): KernelChoice {
  if (convKind(q) === 'depthwise') {
    const c = q.inputs[0].shape[1];
    return depthwiseS4Fits(c, q.outputShape[1] / c) ? { kernel: 'arm_depthwise_conv_s4', scratchBytes: 0 } : portable;
  }
  if (q.node.op !== 'QConv' || q.node.attrs.group !== 1) return portable;
  const { input, filter } = convDims(q);
  return { kernel: 'arm_convolve_s4', scratchBytes: convolveS4BufferSize(isa, input, filter) };
}

function chooseConv(q: KernelQuery, target: McuTarget, isa: CmsisIsa): KernelChoice {
  const portable = portableKernels.QConv!.choose(q); // the same support checks
  if (weightBits(q) === 4) return chooseConvS4(q, isa, portable);
  const fn = convFunctionOf(q, target);
  return { kernel: fn === 'rows' ? ROWS_KERNEL : fn, scratchBytes: convScratch(q, fn, isa) };
}

/** The values every CMSIS-NN call prints: offsets, the step number, the scratch buffer. */
function cmsisIo(step: NodeStep, ctx: CallContext) {
  return { input: ctx.offset(step.inputs[0]), output: ctx.offset(step.output), step: ctx.stepNumber, scratch: ctx.scratch, scratchBytes: ctx.scratch?.bytes ?? 0 };
}

function convCall(step: NodeStep, ctx: CallContext): KernelCall {
  if (step.node.op !== 'QConv') throw new Error('unreachable');
  if (step.choice.kernel === 'qgc_conv_s4') return portableKernels.QConv!.render(step, ctx);
  const a = step.node.attrs;
  const bits = weightBits(step);
  const packed = bits === 4 ? ', int4 packed two per byte, low nibble first' : '';
  const conv = { node: step.node, inputs: step.inputs, outputShape: step.output.shape };
  const { input, filter, output, win } = convDims(conv);
  const fn = step.choice.kernel;
  const wShape = step.consts[0]!.shape;
  const w = constData(step, 0, 'int8');
  const q = perChannel(step, a.multiplier, a.shift, output.c);
  const bias = constData(step, 1, 'int32') ?? new Int32Array(output.c);
  const consts = [
    fn.startsWith('arm_depthwise')
      ? constArray(ctx, 'w', 'int8_t', weightBytes(weightsDepthwise(w, wShape), bits), `depthwise weights [1, ${filter.h}, ${filter.w}, ${output.c}]${packed}`)
      : fn === ROWS_KERNEL
        ? constArray(ctx, 'w', 'int8_t', weightsOWHI(w, wShape), `weights [${output.c}, ${filter.w}, ${filter.h}, ${filter.c}] (OWHI: the order of the gathered rows)`)
        : constArray(ctx, 'w', 'int8_t', weightBytes(weightsOHWI(w, wShape), bits), `weights [${output.c}, ${filter.h}, ${filter.w}, ${filter.c}] (OHWI${packed})`),
    constArray(ctx, 'mult', 'int32_t', q.mult, 'requantization multipliers (Q31), one per output channel'),
    constArray(ctx, 'shift', 'int32_t', q.shift, 'requantization shifts, one per output channel'),
    constArray(ctx, 'bias', 'int32_t', bias, step.consts[1] ? 'bias (int32, scale s_in * s_w[c])' : 'bias (none in the model: zeros)'),
  ];
  const common = {
    ...cmsisIo(step, ctx), in: input, filter, out: output, win, inputOffset: cInt(-a.inputZeroPoint), outputOffset: cInt(a.outputZeroPoint),
    actMin: a.actMin, actMax: a.actMax, w: consts[0].id, mult: consts[1].id, shift: consts[2].id, bias: consts[3].id,
  };
  if (fn === ROWS_KERNEL) {
    // One arm_nn_mat_mult_nt_t_s8 per output row over the rows qgc_gather_rows_s8 gathered.
    const width = (output.w - 1) * win.strideW + filter.w;
    return {
      partial: 'cmsis_conv_rows', kernel: fn, consts,
      values: {
        ...common, rows: output.n * output.h, rowBytes: output.w * output.c, cols: filter.w * filter.h * input.c,
        lhsStride: win.strideW * filter.h * input.c, width, fill: cInt(a.inputZeroPoint),
      },
    };
  }
  return {
    partial: fn.startsWith('arm_depthwise') ? 'cmsis_dwconv' : 'cmsis_conv', kernel: fn, consts,
    values: { ...common, fn, s4: bits === 4, wrapper: fn.includes('wrapper'), noScratch: fn === 'arm_depthwise_conv_s8' || fn === 'arm_depthwise_conv_s4', chMult: output.c / input.c },
  };
}

/** FC with int4 weights: arm_fully_connected_s4 takes one multiplier for the layer, so a
 * per-channel layer calls it once per output (batch 1; larger batches run qgc's portable
 * qgc_fully_connected_s4, whose output rows the per-output calls could not stride over). */
function chooseFc(q: KernelQuery): KernelChoice {
  const portable = portableKernels.QFullyConnected!.choose(q); // the same support checks
  if (weightBits(q) !== 4) return { ...portable, kernel: 'arm_fully_connected_wrapper_s8' };
  if (q.node.op !== 'QFullyConnected') throw new Error('unreachable');
  const k = q.consts[0]!.shape[1];
  const perChannel = q.node.attrs.multiplier.length !== 1;
  return perChannel && elementCount(q.inputs[0].shape) !== k ? portable : { kernel: 'arm_fully_connected_s4', scratchBytes: 0 };
}

/** arm_fully_connected_s4's call: per tensor one call over the packed [M, K] weights; per
 * channel one call per output row, each row packed from a byte boundary. */
function fcS4Call(step: NodeStep, ctx: CallContext): KernelCall {
  if (step.node.op !== 'QFullyConnected') throw new Error('unreachable');
  const a = step.node.attrs;
  const [m, k] = step.consts[0]!.shape;
  const w = weightsForInputLayout(constData(step, 0, 'int8'), m, k, step.inputs[0].layout);
  const perRow = a.multiplier.length !== 1;
  const rowBytes = Math.ceil(k / 2);
  const packed = new Int8Array(perRow ? m * rowBytes : Math.ceil((m * k) / 2));
  if (perRow) for (let r = 0; r < m; r++) packed.set(weightBytes(w.subarray(r * k, (r + 1) * k), 4), r * rowBytes);
  else packed.set(weightBytes(w, 4));
  const bias = constData(step, 1, 'int32');
  const consts = [
    constArray(ctx, 'w', 'int8_t', packed, `weights [${m}, ${k}] (columns in the input's byte order), int4 packed two per byte, low nibble first${perRow ? ', each row from a byte boundary' : ''}`),
    constArray(ctx, 'mult', 'int32_t', a.multiplier, perRow ? 'multipliers, one per output' : 'multiplier (per tensor)'),
    constArray(ctx, 'shift', 'int32_t', a.shift, perRow ? 'shifts, one per output' : 'shift (per tensor)'),
    constArray(ctx, 'bias', 'int32_t', bias ?? new Int32Array(m), bias ? 'bias (int32)' : 'bias (none in the model: zeros)'),
  ];
  return {
    partial: 'cmsis_fc_s4', kernel: step.choice.kernel, consts,
    values: {
      ...cmsisIo(step, ctx), batches: elementCount(step.inputs[0].shape) / k, inFeatures: k, outFeatures: m, rows: perRow ? 1 : m, rowBytes, perRow,
      inputOffset: cInt(-a.inputZeroPoint), outputOffset: cInt(a.outputZeroPoint), actMin: a.actMin, actMax: a.actMax,
      w: consts[0].id, mult: consts[1].id, shift: consts[2].id, bias: consts[3].id,
    },
  };
}

function fcCall(step: NodeStep, ctx: CallContext, isa: CmsisIsa): KernelCall {
  if (step.node.op !== 'QFullyConnected') throw new Error('unreachable');
  if (step.choice.kernel === 'qgc_fully_connected_s4') return portableKernels.QFullyConnected!.render(step, ctx);
  if (step.choice.kernel === 'arm_fully_connected_s4') return fcS4Call(step, ctx);
  const a = step.node.attrs;
  const [m, k] = step.consts[0]!.shape;
  const w = weightsForInputLayout(constData(step, 0, 'int8'), m, k, step.inputs[0].layout);
  const bias = constData(step, 1, 'int32');
  const per = a.multiplier.length !== 1;
  const consts = [
    constArray(ctx, 'w', 'int8_t', w, `weights [${m}, ${k}] (columns in the input's byte order)`),
    constArray(ctx, 'mult', 'int32_t', a.multiplier, per ? 'multipliers, one per output' : 'multiplier (per tensor)'),
    constArray(ctx, 'shift', 'int32_t', a.shift, per ? 'shifts, one per output' : 'shift (per tensor)'),
    constArray(ctx, 'bias', 'int32_t', bias ?? new Int32Array(m), bias ? 'bias (int32)' : 'bias (none in the model: zeros)'),
  ];
  let kernelSum: string | null = null;
  let kernelSumBytes = 0;
  if (isa === 'mve') {
    // The MVE kernels read bias + input_offset * sum(w) precomputed (TFLM does it in Prepare).
    const sums = constArray(ctx, 'kernel_sum', 'int32_t', kernelSums(w, m, k, -a.inputZeroPoint, 0, bias), 'MVE kernel sums: bias + input_offset * sum(w)');
    consts.push(sums);
    kernelSum = sums.id;
    kernelSumBytes = fullyConnectedS8BufferSize(isa, { n: k, h: 1, w: 1, c: m });
  }
  const batches = elementCount(step.inputs[0].shape) / k;
  return {
    partial: 'cmsis_fc', kernel: step.choice.kernel, consts,
    values: {
      ...cmsisIo(step, ctx), batches, inFeatures: k, outFeatures: m, inputOffset: cInt(-a.inputZeroPoint), outputOffset: cInt(a.outputZeroPoint),
      actMin: a.actMin, actMax: a.actMax, perChannel: per ? 1 : 0, w: consts[0].id, mult: consts[1].id, shift: consts[2].id, bias: consts[3].id,
      kernelSum, kernelSumBytes,
    },
  };
}

/** True when a QAdd/QMul reads operands of the output's shape (CMSIS-NN's elementwise kernels
 * take no broadcasting; the portable kernels broadcast). */
const plainQuery = (q: KernelQuery) => isPlainElementwise(q.outputShape, [...q.inputs.map((t) => t.shape), ...q.consts.map((c) => c?.shape ?? [])]);

function chooseAdd(q: KernelQuery, target: McuTarget): KernelChoice {
  const portable = portableKernels.QAdd!.choose(q); // the same support checks
  if (q.node.op !== 'QAdd') throw new Error('unreachable');
  if (!plainQuery(q)) return portable;
  const a = q.node.attrs;
  checkShifts(q, [a.input1.shift, a.input2.shift, a.output.shift]);
  // Large adds read their input rescaling from tables where the target's cost model says so
  // (not on MVE, whose add is vectorized).
  const lut = usesAddLut(target, elementCount(q.outputShape));
  return { kernel: lut ? 'qgc_add_lut_s8' : 'arm_elementwise_add_s8', scratchBytes: 0 };
}

function addCall(step: NodeStep, ctx: CallContext): KernelCall {
  if (step.node.op !== 'QAdd') throw new Error('unreachable');
  if (step.choice.kernel === 'qgc_add_lut_s8') return addLutCall(step, ctx);
  if (step.choice.kernel !== 'arm_elementwise_add_s8') return portableKernels.QAdd!.render(step, ctx);
  const { input2, consts } = binaryOperands(step, ctx);
  return {
    partial: 'cmsis_add', kernel: step.choice.kernel, consts,
    values: { ...cmsisIo(step, ctx), input2, ...addValues(step.node.attrs, elementCount(step.output.shape)) },
  };
}

function chooseMul(q: KernelQuery): KernelChoice {
  const portable = portableKernels.QMul!.choose(q);
  if (q.node.op !== 'QMul') throw new Error('unreachable');
  if (!plainQuery(q)) return portable;
  checkShifts(q, [q.node.attrs.shift]);
  return { kernel: 'arm_elementwise_mul_s8', scratchBytes: 0 };
}

function mulCall(step: NodeStep, ctx: CallContext): KernelCall {
  if (step.node.op !== 'QMul') throw new Error('unreachable');
  if (step.choice.kernel !== 'arm_elementwise_mul_s8') return portableKernels.QMul!.render(step, ctx);
  const { input2, consts } = binaryOperands(step, ctx);
  return {
    partial: 'cmsis_mul', kernel: step.choice.kernel, consts,
    values: { ...cmsisIo(step, ctx), input2, ...mulValues(step.node.attrs, elementCount(step.output.shape)) },
  };
}

/** CMSIS-NN's pooling kernels take no dilation: dilated pools run the portable kernels. */
function pool(op: 'QMaxPool' | 'QAveragePool', isa: CmsisIsa): CKernel {
  const portable = portableKernels[op]!;
  const fn = op === 'QAveragePool' ? 'arm_avgpool_s8' : 'arm_max_pool_s8';
  return {
    ...portable,
    choose(q) {
      const base = portable.choose(q);
      if (q.node.op !== op || q.node.attrs.dilations.some((d) => d !== 1)) return base;
      const scratchBytes = op === 'QAveragePool' ? avgpoolS8BufferSize(isa, nhwcOf(q.outputShape).w, nhwcOf(q.inputs[0].shape).c) : 0;
      return { kernel: fn, scratchBytes };
    },
    render(step, ctx) {
      if (step.choice.kernel !== fn) return portable.render(step, ctx);
      if (step.node.op !== op) throw new Error('unreachable');
      const a = step.node.attrs;
      return {
        partial: 'cmsis_pool', kernel: fn, consts: [],
        values: { ...cmsisIo(step, ctx), fn, in: nhwcOf(step.inputs[0].shape), out: nhwcOf(step.output.shape), win: window2d(a), actMin: a.actMin, actMax: a.actMax },
      };
    },
  };
}

function softmaxCall(step: NodeStep, ctx: CallContext): KernelCall {
  return { partial: 'cmsis_softmax', kernel: 'arm_softmax_s8', consts: [], values: { ...cmsisIo(step, ctx), ...softmaxValues(step) } };
}

/** The cmsis-nn provider for a target: its ISA ('dsp' for Cortex-M4/M7/M33, 'mve' for M55/M85)
 * decides the scratch sizes, its cost model the convolution and add kernels. */
export function cmsisProvider(target: McuTarget, isa: CmsisIsa): CProvider {
  const p = portableKernels;
  const kernels: CKernelTable = {
    ...p,
    QConv: { ...p.QConv!, choose: (q) => chooseConv(q, target, isa), render: convCall },
    QFullyConnected: {
      ...p.QFullyConnected!,
      choose: chooseFc, // FC's MVE buffer holds constant kernel sums: flash, not arena
      render: (s, c) => fcCall(s, c, isa),
    },
    QAdd: { ...p.QAdd!, choose: (q) => chooseAdd(q, target), render: addCall },
    QMul: { ...p.QMul!, choose: chooseMul, render: mulCall },
    QMaxPool: pool('QMaxPool', isa),
    QAveragePool: pool('QAveragePool', isa),
    QSoftmax: { ...p.QSoftmax!, choose: () => ({ kernel: 'arm_softmax_s8', scratchBytes: 0 }), render: softmaxCall },
  };
  return { ...portableProvider(isa), name: 'cmsis-nn', kernels };
}
