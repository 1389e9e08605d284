/**
 * Which CMSIS-NN function runs a convolution. CMSIS-NN's wrappers pick a function from the
 * layer's geometry, with TFLite's padding in mind; ONNX pads are free per side, and for some
 * geometries the wrapper's pick reads outside the window or fails. qgc calls the wrapper where
 * its pick is right and the correct function directly elsewhere.
 *
 * Depthwise:
 * arm_depthwise_conv_wrapper_s8 (Source/ConvolutionFunctions/arm_depthwise_conv_wrapper_s8.c)
 * runs arm_depthwise_conv_3x3_s8 on non-MVE builds when ch_mult == 1, batch 1, no dilation,
 * a 3x3 filter and padding.h, padding.w <= 1. That kernel always reads the middle column of
 * each window (it only checks the left and right columns), so it is right only while every
 * window ends at most one column past the right edge, which TFLite's SAME padding guarantees
 * for a 3x3 filter. With ONNX pads such as W = 4, left 1 / right 2 the last window's middle
 * column lies past the row: the kernel reads the next row (or past the buffer) and the output
 * is wrong. There, qgc calls arm_depthwise_conv_s8_opt, which checks every column (it is also
 * what the wrapper runs on MVE builds for these layers, so the result is the same on every
 * ISA). The bottom edge needs nothing: the 3x3 kernel bounds its row loop by the input height.
 * The wrapper's other pick for such layers (ch_mult == 1, batch 1, no dilation),
 * arm_depthwise_conv_s8_opt, fills its im2col buffer on DSP builds with the rows of a window
 * above the input (`ker_y_start`) and below it (`kernel_y - ker_y_end`) counted from the window's
 * start: where a whole window lies more than its height in the top padding (pad_top > kernel_h)
 * or past the bottom edge (a window starting below row input_h), that count exceeds the kernel
 * height and the memset runs past the buffer (the output is wrong, the arena after the scratch
 * overwritten). ONNX pads may be that large; there qgc calls arm_depthwise_conv_s8, which bounds
 * every tap (the non-DSP build's choice; the MVE path checks each tap too).
 *
 * 1xN: arm_convolve_wrapper_s8 runs arm_convolve_1_x_n_s8 for 1-D layers (input height 1,
 * kernel height 1, stride_w * C_in % 4 == 0, no dilation). Without MVE that function is
 * arm_convolve_s8; with MVE it splits the row into a left-padded part, an unpadded part and a
 * right-padded part, rebuilt from padding.w alone as TFLite's SAME padding would give it. With
 * other pads it either returns ARM_CMSIS_NN_FAILURE (e.g. pads 0 / 2) or computes a wrong
 * value (e.g. W = 12, kernel 3, stride 2, no pads: the last window loses its last column).
 * `mve1xNExact` replays that split column by column; where it differs from the real window,
 * qgc calls arm_convolve_s8 directly (what the non-MVE build runs anyway).
 *
 * 1x1: the wrapper runs arm_convolve_1x1_s8_fast (stride 1) or arm_convolve_1x1_s8 whenever
 * padding.w and padding.h (the begin pads) are 0. ONNX may still pad the end: then some outputs
 * lie wholly in the padding (bias only), which the fast kernel never writes (it treats the input
 * as an H*W by C matrix) and the strided one reads past the row for. qgc calls arm_convolve_s8
 * there, which bounds every tap.
 *
 * Rows (DSP and MVE builds): the wrapper's general path, arm_convolve_s8, copies each window
 * tap separately (a memcpy of C_in bytes, ~45 instructions each on a Cortex-M4), which costs
 * most where C_in or C_out is small (10.5 instructions per MAC on the M4, 3.8 on the M55, for a
 * 3x3 conv with one input channel). qgc can instead gather, per output row, the kernel_h input
 * rows the row reads (qgc_gather_rows_s8, padding filled with the zero point) so that every
 * window is one contiguous run of bytes, and call arm_nn_mat_mult_nt_t_s8 once per output row
 * with a row stride of stride_w * kernel_h * C_in: the same arithmetic (bias + input offset
 * times the weight sums, then arm_nn_requantize), so the same bytes. Each call has a fixed
 * cost (on DSP it re-sums the weights, ~3.5 instructions per weight), so for short rows with
 * many channels arm_convolve_s8 stays cheaper; `convFunction` compares the estimates of
 * `layerCosts`, whose coefficients are the target's (`costModel.dispatch.convRows`). Without DSP
 * or MVE (Cortex-M0+) qgc keeps the wrapper: not measured (its convRows is null).
 */
import type { ConvRowsCost, McuTarget } from '../../targets/target.js';
import { isConv1x1, isConv1xN, type ConvGeometry, type NnDims } from './cmsis-buffers.js';

export type DepthwiseFunction = 'arm_depthwise_conv_wrapper_s8' | 'arm_depthwise_conv_s8_opt' | 'arm_depthwise_conv_s8';

/** True when arm_depthwise_conv_wrapper_s8 runs arm_depthwise_conv_3x3_s8 (on a DSP or plain
 * build). `filter` is {n: 1, h, w, c: C_out}. */
export function wrapperRunsDepthwise3x3(p: ConvGeometry, input: NnDims, filter: NnDims, output: NnDims): boolean {
  return output.c === input.c && input.n === 1 && p.dilationW === 1 && p.dilationH === 1 &&
    filter.w === 3 && filter.h === 3 && p.padH <= 1 && p.padW <= 1;
}

/** Columns by which the last window of a row reaches past the input's right edge (0 or less:
 * it ends inside). */
export function rightOverhang(p: ConvGeometry, input: NnDims, filter: NnDims, output: NnDims): number {
  const lastStart = (output.w - 1) * p.strideW - p.padW;
  return lastStart + (filter.w - 1) * p.dilationW + 1 - input.w;
}

/** True when some window lies entirely in the padding above the input by more than the kernel
 * height, or starts below the input's last row: arm_depthwise_conv_s8_opt's DSP path overruns
 * its buffer there (see the file comment). */
export function windowRowsPastKernel(p: ConvGeometry, input: NnDims, filter: NnDims, output: NnDims): boolean {
  const lastStart = (output.h - 1) * p.strideH - p.padH;
  return p.padH > filter.h || lastStart > input.h;
}

/** The function to call for a depthwise convolution (see the file comment). */
export function depthwiseFunction(p: ConvGeometry, input: NnDims, filter: NnDims, output: NnDims): DepthwiseFunction {
  const optPath = output.c === input.c && input.n === 1 && p.dilationW === 1 && p.dilationH === 1;
  if (optPath && windowRowsPastKernel(p, input, filter, output)) return 'arm_depthwise_conv_s8';
  if (wrapperRunsDepthwise3x3(p, input, filter, output) && rightOverhang(p, input, filter, output) > 1) return 'arm_depthwise_conv_s8_opt';
  return 'arm_depthwise_conv_wrapper_s8';
}

export type ConvFunction = 'arm_convolve_wrapper_s8' | 'arm_convolve_s8' | 'rows';

const PAD = -1;
const WRONG = -2;

/** True when arm_convolve_1_x_n_s8's MVE path computes every window of a row exactly: each
 * window position reads the input column (or the padding) the true window covers, and never a
 * byte past the row or stale scratch. Mirrors Source/ConvolutionFunctions/arm_convolve_1_x_n_s8.c
 * (`filter` is {n: C_out, h: 1, w: kernel, c: C_in}). */
export function mve1xNExact(p: ConvGeometry, input: NnDims, filter: NnDims, output: NnDims): boolean {
  const k = filter.w;
  const s = p.strideW;
  const padX = p.padW;
  const w = input.w;
  const outX = output.w;
  const truth = (x: number) => (x < 0 || x >= w ? PAD : x);
  const totalPad = (outX - 1) * s + k - w;
  const asymPad = totalPad % 2; // C's % (sign of the dividend), as in the source
  if (padX * 2 + asymPad !== totalPad) return false; // ARM_CMSIS_NN_FAILURE
  const rightNum = padX + asymPad !== 0 ? Math.max(1, Math.trunc((padX + asymPad + s - 1) / s)) : 0;
  const leftNum = padX !== 0 ? Math.max(1, Math.trunc((padX + s - 1) / s)) : 0;
  const noPadNum = Math.max(outX - (rightNum + leftNum), 0);
  if (rightNum + noPadNum + leftNum !== outX) return true; // it runs arm_convolve_s8 itself
  if (s * leftNum - padX < 0 || k > w) return false;
  // Left part: padX columns of padding, then input columns 0..k-1; leftNum windows s apart.
  const left = (m: number) => (m < padX ? PAD : m - padX < k ? m - padX : WRONG);
  for (let i = 0; i < leftNum; i++) for (let t = 0; t < k; t++) if (left(i * s + t) !== truth(i * s - padX + t)) return false;
  // Middle: windows read the row directly.
  for (let i = leftNum; i < leftNum + noPadNum; i++) for (let t = 0; t < k; t++) if (truth(i * s - padX + t) === PAD) return false;
  // Right part: k - 1 input columns from x0, then the padding columns.
  const x0 = s * (leftNum + noPadNum) - padX;
  const padRight = asymPad ? rightNum : padX;
  const right = (m: number) => (m < k - 1 ? (x0 + m >= 0 && x0 + m < w ? x0 + m : WRONG) : m < k - 1 + padRight ? PAD : WRONG);
  for (let j = 0; j < outX - leftNum - noPadNum; j++) for (let t = 0; t < k; t++) if (right(j * s + t) !== truth(x0 + j * s + t)) return false;
  return true;
}

/** Estimated executed instructions of a layer run by arm_convolve_s8 and by gathered rows, from
 * the target's fitted coefficients (`costModel.dispatch.convRows` in targets/*.json: least-squares
 * fits over 420 layers each, measured under QEMU -icount; the cheaper estimate is the cheaper
 * layer in 95% of those cases). The formula is the ISA's (`model`): on a DSP build per output
 * pixel; the MVE matrix multiplication works on four output columns at a time, hence the split
 * into groups of four and the rest, and on 16-byte lanes. */
export function layerCosts(model: ConvRowsCost, p: ConvGeometry, input: NnDims, filter: NnDims, output: NnDims): { convS8: number; rows: number } {
  const c = input.c;
  const k = filter.h * filter.w * c;
  const taps = filter.h * filter.w;
  const rows = output.n * output.h;
  const pixels = rows * output.w;
  const gathered = ((output.w - 1) * p.strideW + filter.w) * filter.h;
  if (model.model === 'dsp') {
    const a = model.convS8;
    const b = model.rows;
    return {
      convS8: pixels * (a.mac * output.c * k + a.outChannel * output.c + a.tap * taps + a.tapChannel * taps * c),
      rows: pixels * (b.mac * output.c * k + b.outChannel * output.c) + rows * (b.rowWeight * output.c * k + gathered * (b.gathered + b.gatheredChannel * c) + b.row),
    };
  }
  const a = model.convS8;
  const b = model.rows;
  const lanes = Math.ceil(k / 16);
  const fours = Math.floor(output.w / 4);
  return {
    convS8: pixels * ((a.lane * lanes + a.quad) * output.c / 4 + taps * (a.tap + a.tapChannel * c) + a.pixel),
    rows: rows * (fours * output.c * (b.quadLane * lanes + b.quad) + (output.w % 4) * output.c * (b.restLane * lanes + b.rest) + gathered * (b.gathered + b.gatheredChannel * c) + b.row),
  };
}

/** True when a conv may run as gathered rows: no groups and no dilation along W (the windows
 * must be contiguous in the gathered row). */
export function rowsEligible(p: ConvGeometry, input: NnDims, filter: NnDims): boolean {
  return input.c === filter.c && p.dilationW === 1;
}

/** The function to call for a (non-depthwise) convolution on `target` (see the file comment):
 * rows where the target's cost model (`costModel.dispatch.convRows`) says they are cheaper.
 * `filter` is {n: C_out, h, w, c: C_in / group}. A CmsisIsa string instead of a target is
 * transitional (kernels-cmsis.ts passes one until it passes the target): it reads the cost model
 * of the shipped target with that ISA (cortex-m4 for 'dsp', cortex-m55 for 'mve'). */
export function convFunction(target: McuTarget, p: ConvGeometry, input: NnDims, filter: NnDims, output: NnDims): ConvFunction {
  if (isConv1x1(p, input, filter)) return windowsStartInInput(p, input, output) ? 'arm_convolve_wrapper_s8' : 'arm_convolve_s8';
  const mve = target.features.mve;
  const model = target.costModel.dispatch.convRows;
  const oneByN = isConv1xN(p, input, filter);
  const exact1xN = !oneByN || mve1xNExact(p, input, filter, output);
  // On MVE an exact 1xN layer already runs as one matrix multiplication per row.
  if (model !== null && !(mve && oneByN && exact1xN) && rowsEligible(p, input, filter) && rowsScratchFits(p, input, filter, output)) {
    const cost = layerCosts(model, p, input, filter, output);
    if (cost.rows < cost.convS8) return 'rows';
  }
  return exact1xN ? 'arm_convolve_wrapper_s8' : 'arm_convolve_s8';
}

/** True when every window starts inside the input (none lies wholly in the end padding): what
 * arm_convolve_1x1_s8 and arm_convolve_1x1_s8_fast assume (they read the input pixel under each
 * output, the fast one the whole input as one matrix), see the file comment. */
export function windowsStartInInput(p: ConvGeometry, input: NnDims, output: NnDims): boolean {
  return (output.w - 1) * p.strideW - p.padW < input.w && (output.h - 1) * p.strideH - p.padH < input.h;
}

/** Bytes qgc_gather_rows_s8 writes for one output row (the scratch of the rows path). */
export function rowsScratchBytes(p: ConvGeometry, input: NnDims, filter: NnDims, output: NnDims): number {
  return ((output.w - 1) * p.strideW + filter.w) * filter.h * input.c;
}

/** The rows path must not cost much RAM: its scratch (kernel_h gathered input rows) may be at
 * most an eighth of the layer's input and output bytes, or no larger than arm_convolve_s8's. */
function rowsScratchFits(p: ConvGeometry, input: NnDims, filter: NnDims, output: NnDims): boolean {
  const bytes = rowsScratchBytes(p, input, filter, output);
  const io = input.n * input.h * input.w * input.c + output.n * output.h * output.w * output.c;
  return bytes * 8 <= io || bytes <= 4 * filter.h * filter.w * input.c;
}
