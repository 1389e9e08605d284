/**
 * The cmsis-nn kernel provider: QConv → arm_convolve_wrapper_s8 (or
 * arm_depthwise_conv_wrapper_s8 when group == C_in), QFullyConnected →
 * arm_fully_connected_wrapper_s8, QAdd → arm_elementwise_add_s8, QMaxPool → arm_max_pool_s8,
 * QAveragePool → arm_avgpool_s8, QSoftmax → arm_softmax_s8 (with the exceptions of
 * cmsis-dispatch.ts for convolutions, and large adds without MVE, which read their input
 * rescaling from tables: qgc_add_lut_s8). Their scratch buffers are sized
 * here (cmsis-buffers.ts) and placed in the arena by the memory plan. Everything else
 * (QConcat, QClamp, Pad, layout copies, dilated pooling) uses the portable kernels.
 */
import { elementCount } from '../../ir/graph.js';
import {
  avgpoolS8BufferSize, convolveS8BufferSize, convolveWrapperS8BufferSize, depthwiseConvS8OptBufferSize, depthwiseConvWrapperS8BufferSize, fullyConnectedS8BufferSize, kernelSums,
  type CmsisIsa, type ConvGeometry, type NnDims,
} from './cmsis-buffers.js';
import { convFunction, depthwiseFunction, rowsScratchBytes, type ConvFunction, type DepthwiseFunction } from './cmsis-dispatch.js';
import {
  cInt, checkPool, checkShifts, constArray, constData, nhwcOf, perChannel, window2d,
  type CallContext, type KernelCall, type KernelProvider, type Window2d, addValues } from './kernel-call.js';
import { ADD_LUT_MIN_ELEMENTS, addLutCall, portableCall, portableProvider } from './kernels-portable.js';
import { weightsDepthwise, weightsForInputLayout, weightsOHWI, weightsOWHI } from './layout.js';
import type { NodeStep, Step } from './lower.js';

const geometry = (w: Window2d): ConvGeometry => ({
  strideW: w.strideW, strideH: w.strideH, padW: w.padW, padH: w.padH, dilationW: w.dilationW, dilationH: w.dilationH,
});

/** How a QConv maps onto CMSIS-NN. */
function convKind(step: NodeStep): 'conv' | 'depthwise' {
  if (step.node.op !== 'QConv') throw new Error('unreachable');
  const c = step.inputs[0].shape[1];
  return step.node.attrs.group === c && c > 1 ? 'depthwise' : 'conv';
}

function convDims(step: NodeStep): { input: NnDims; filter: NnDims; output: NnDims; win: Window2d } {
  if (step.node.op !== 'QConv') throw new Error('unreachable');
  const input = nhwcOf(step.inputs[0].shape);
  const output = nhwcOf(step.output.shape);
  const win = window2d(step.node.attrs);
  const filter: NnDims = convKind(step) === 'depthwise'
    ? { n: 1, h: win.kernelH, w: win.kernelW, c: output.c }
    : { n: output.c, h: win.kernelH, w: win.kernelW, c: input.c / step.node.attrs.group };
  return { input, filter, output, win };
}

/** True when CMSIS-NN has a kernel for the step (else the portable one runs). */
function usesCmsis(step: Step): step is NodeStep {
  if (step.kind !== 'node') return false;
  switch (step.node.op) {
    case 'QConv':
    case 'QFullyConnected':
    case 'QAdd':
    case 'QSoftmax':
      return true;
    case 'QMaxPool':
    case 'QAveragePool':
      return step.node.attrs.dilations.every((d) => d === 1);
    default:
      return false;
  }
}

/** The cmsis-nn provider for an ISA ('dsp' for Cortex-M4/M7/M33, 'mve' for M55/M85). */
export function cmsisProvider(isa: CmsisIsa): KernelProvider {
  const portable = portableProvider(isa);
  return {
    name: 'cmsis-nn',
    isa,
    scratchBytes(step: Step): number {
      portable.scratchBytes(step); // the same support checks
      if (!usesCmsis(step)) return 0;
      const n = step.node;
      switch (n.op) {
        case 'QConv':
          return convScratch(step, isa);
        case 'QAveragePool':
          return avgpoolS8BufferSize(isa, nhwcOf(step.output.shape).w, nhwcOf(step.inputs[0].shape).c);
        default:
          return 0; // FC's MVE buffer holds constant kernel sums: flash, not arena
      }
    },
    call(step: Step, ctx: CallContext): KernelCall {
      return usesCmsis(step) ? cmsisCall(step, ctx, isa) : portableCall(step, ctx);
    },
  };
}

/** The function a QConv step calls (see cmsis-dispatch.ts). */
function convFunctionOf(step: NodeStep, isa: CmsisIsa): ConvFunction | DepthwiseFunction {
  const { input, filter, output, win } = convDims(step);
  return convKind(step) === 'depthwise' ? depthwiseFunction(geometry(win), input, filter, output) : convFunction(isa, geometry(win), input, filter, output);
}

/** Scratch bytes of the function a QConv step calls. */
function convScratch(step: NodeStep, isa: CmsisIsa): number {
  const { input, filter, output, win } = convDims(step);
  const g = geometry(win);
  switch (convFunctionOf(step, isa)) {
    case 'rows': return rowsScratchBytes(g, input, filter, output);
    case 'arm_convolve_s8': return convolveS8BufferSize(isa, input, filter);
    case 'arm_convolve_wrapper_s8': return convolveWrapperS8BufferSize(isa, g, input, filter, output);
    case 'arm_depthwise_conv_s8_opt': return depthwiseConvS8OptBufferSize(isa, input, filter);
    case 'arm_depthwise_conv_wrapper_s8': return depthwiseConvWrapperS8BufferSize(isa, g, input, filter, output);
  }
}

function convCall(step: NodeStep, ctx: CallContext, isa: CmsisIsa, io: { input: string; output: string; step: number; scratch: string }): KernelCall {
  if (step.node.op !== 'QConv') throw new Error('unreachable');
  const a = step.node.attrs;
  checkShifts(step, a.shift);
  const { input, filter, output, win } = convDims(step);
  const fn = convFunctionOf(step, isa);
  const wShape = step.consts[0]!.shape;
  const w = constData(step, 0, 'int8');
  const q = perChannel(step, a.multiplier, a.shift, output.c);
  const bias = constData(step, 1, 'int32') ?? new Int32Array(output.c);
  const consts = [
    fn.startsWith('arm_depthwise')
      ? constArray(ctx, 'w', 'int8_t', weightsDepthwise(w, wShape), `depthwise weights [1, ${filter.h}, ${filter.w}, ${output.c}]`)
      : fn === 'rows'
        ? constArray(ctx, 'w', 'int8_t', weightsOWHI(w, wShape), `weights [${output.c}, ${filter.w}, ${filter.h}, ${filter.c}] (OWHI: the order of the gathered rows)`)
        : constArray(ctx, 'w', 'int8_t', weightsOHWI(w, wShape), `weights [${output.c}, ${filter.h}, ${filter.w}, ${filter.c}] (OHWI)`),
    constArray(ctx, 'mult', 'int32_t', q.mult, 'requantization multipliers (Q31), one per output channel'),
    constArray(ctx, 'shift', 'int32_t', q.shift, 'requantization shifts, one per output channel'),
    constArray(ctx, 'bias', 'int32_t', bias, step.consts[1] ? 'bias (int32, scale s_in * s_w[c])' : 'bias (none in the model: zeros)'),
  ];
  const macs = output.n * output.h * output.w * output.c * elementCount(wShape.slice(1));
  const common = {
    ...io, in: input, filter, out: output, win, inputOffset: cInt(-a.inputZeroPoint), outputOffset: cInt(a.outputZeroPoint),
    actMin: a.actMin, actMax: a.actMax, w: consts[0].id, mult: consts[1].id, shift: consts[2].id, bias: consts[3].id,
  };
  if (fn === 'rows') {
    // One arm_nn_mat_mult_nt_t_s8 per output row over the rows qgc_gather_rows_s8 gathered.
    const width = (output.w - 1) * win.strideW + filter.w;
    return {
      partial: 'cmsis_conv_rows', kernel: 'qgc_gather_rows_s8+arm_nn_mat_mult_nt_t_s8', consts, macs,
      values: {
        ...common, rows: output.n * output.h, rowBytes: output.w * output.c, cols: filter.w * filter.h * input.c,
        lhsStride: win.strideW * filter.h * input.c, width, fill: cInt(a.inputZeroPoint),
      },
    };
  }
  return {
    partial: fn.startsWith('arm_depthwise') ? 'cmsis_dwconv' : 'cmsis_conv', kernel: fn, consts, macs,
    values: { ...common, fn, wrapper: fn.includes('wrapper'), chMult: output.c / input.c },
  };
}

function cmsisCall(step: NodeStep, ctx: CallContext, isa: CmsisIsa): KernelCall {
  const n = step.node;
  const x = step.inputs[0];
  const y = step.output;
  const io = { input: ctx.ptr(x), output: ctx.ptr(y), step: ctx.stepNumber, scratch: ctx.scratch };
  switch (n.op) {
    case 'QConv':
      return convCall(step, ctx, isa, io);
    case 'QFullyConnected': {
      const a = n.attrs;
      checkShifts(step, a.shift);
      const [m, k] = step.consts[0]!.shape;
      const w = weightsForInputLayout(constData(step, 0, 'int8'), m, k, x.layout);
      const bias = constData(step, 1, 'int32');
      const per = a.multiplier.length !== 1;
      const consts = [
        constArray(ctx, 'w', 'int8_t', w, `weights [${m}, ${k}] (columns in the input's byte order)`),
        constArray(ctx, 'mult', 'int32_t', a.multiplier, per ? 'multipliers, one per output' : 'multiplier (per tensor)'),
        constArray(ctx, 'shift', 'int32_t', a.shift, per ? 'shifts, one per output' : 'shift (per tensor)'),
        constArray(ctx, 'bias', 'int32_t', bias ?? new Int32Array(m), bias ? 'bias (int32)' : 'bias (none in the model: zeros)'),
      ];
      let kernelSum = 'NULL';
      let kernelSumBytes = 0;
      if (isa === 'mve') {
        // The MVE kernels read bias + input_offset * sum(w) precomputed (TFLM does it in Prepare).
        const sums = constArray(ctx, 'kernel_sum', 'int32_t', kernelSums(w, m, k, -a.inputZeroPoint, 0, bias), 'MVE kernel sums: bias + input_offset * sum(w)');
        consts.push(sums);
        kernelSum = `(void *)${sums.id}`;
        kernelSumBytes = fullyConnectedS8BufferSize(isa, { n: k, h: 1, w: 1, c: m });
      }
      const batches = elementCount(x.shape) / k;
      return {
        partial: 'cmsis_fc', kernel: 'arm_fully_connected_wrapper_s8', consts, macs: batches * m * k,
        values: {
          ...io, batches, inFeatures: k, outFeatures: m, inputOffset: cInt(-a.inputZeroPoint), outputOffset: cInt(a.outputZeroPoint),
          actMin: a.actMin, actMax: a.actMax, perChannel: per ? 1 : 0, w: consts[0].id, mult: consts[1].id, shift: consts[2].id, bias: consts[3].id,
          kernelSum, kernelSumBytes,
        },
      };
    }
    case 'QAdd': {
      const a = n.attrs;
      checkShifts(step, [a.input1.shift, a.input2.shift, a.output.shift]);
      // Without MVE (whose add is vectorized) large adds read their input rescaling from tables.
      if (isa !== 'mve' && elementCount(y.shape) >= ADD_LUT_MIN_ELEMENTS) return addLutCall(step, ctx);
      return {
        partial: 'cmsis_add', kernel: 'arm_elementwise_add_s8', consts: [], macs: 0,
        values: { ...io, input2: ctx.ptr(step.inputs[1]), ...addValues(a, elementCount(y.shape)) },
      };
    }
    case 'QMaxPool':
    case 'QAveragePool': {
      const a = n.attrs;
      checkPool(step, a);
      const avg = n.op === 'QAveragePool';
      return {
        partial: 'cmsis_pool', kernel: avg ? 'arm_avgpool_s8' : 'arm_max_pool_s8', consts: [], macs: 0,
        values: { ...io, fn: avg ? 'arm_avgpool_s8' : 'arm_max_pool_s8', in: nhwcOf(x.shape), out: nhwcOf(y.shape), win: window2d(a), actMin: a.actMin, actMax: a.actMax },
      };
    }
    case 'QSoftmax': {
      const a = n.attrs;
      const rowSize = x.shape[x.shape.length - 1];
      return {
        partial: 'cmsis_softmax', kernel: 'arm_softmax_s8', consts: [], macs: 0,
        values: { ...io, rows: elementCount(x.shape) / rowSize, rowSize, mult: cInt(a.multiplier), shift: a.shift, diffMin: cInt(a.diffMin) },
      };
    }
    default:
      return portableCall(step, ctx);
  }
}
