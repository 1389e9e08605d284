/**
 * Scratch-buffer sizes of the CMSIS-NN s8 kernels, computed in TypeScript from the formulas of
 * CMSIS-NN's `*_get_buffer_size*` functions (Source/ConvolutionFunctions/
 * arm_convolve_get_buffer_sizes_s8.c, arm_depthwise_conv_get_buffer_sizes_s8.c,
 * FullyConnectedFunctions/arm_fully_connected_get_buffer_sizes_s8.c,
 * PoolingFunctions/arm_avgpool_get_buffer_sizes_s8.c), for the ISA the firmware is built for:
 *
 * - 'plain': no DSP, no MVE (Cortex-M0/M3, and host builds);
 * - 'dsp':   ARM_MATH_DSP (Cortex-M4/M7/M33) — the `*_get_buffer_size_dsp` functions;
 * - 'mve':   ARM_MATH_MVEI (Cortex-M55/M85) — the `*_get_buffer_size_mve` functions.
 *
 * Where CMSIS-NN's size depends on the compiler, the value is the one for GCC (the toolchain
 * qgc builds and tests with) and the emitted call passes a NULL buffer when that size is 0, which
 * the kernels accept and which keeps armclang builds safe (arm_convolve_1x1_s8_fast then takes
 * its unbuffered path). For MVE depthwise with one input channel the larger of the GCC and
 * armclang sizes is used, as `arm_depthwise_conv_wrapper_s8_get_buffer_size_mve` does.
 * test/c-backend.test.ts compiles the real functions on the host and compares them on many shapes.
 */

export type CmsisIsa = 'plain' | 'dsp' | 'mve';

/** CMSIS-NN's cmsis_nn_dims: n (batch or output channels), h, w, c. */
export interface NnDims {
  n: number;
  h: number;
  w: number;
  c: number;
}

/** The fields of cmsis_nn_conv_params / cmsis_nn_dw_conv_params that the sizes read. */
export interface ConvGeometry {
  strideW: number;
  strideH: number;
  padW: number;
  padH: number;
  dilationW: number;
  dilationH: number;
}

/** CH_IN_BLOCK_MVE of arm_nnsupportfunctions.h. */
const CH_IN_BLOCK_MVE = 124;
/** CONVERT_DW_CONV_WITH_ONE_INPUT_CH_AND_OUTPUT_CH_ABOVE_THRESHOLD: 8 with armclang, 1 otherwise. */
const DW_ONE_CH_THRESHOLD_GCC = 1;

/** arm_nn_is_convolve_1x1 (Source/NNSupportFunctions): the wrapper runs a 1x1 kernel. */
export const isConv1x1 = (p: ConvGeometry, input: NnDims, filter: NnDims): boolean =>
  p.padW === 0 && p.padH === 0 && filter.w === 1 && filter.h === 1 && p.dilationW === 1 && p.dilationH === 1 && input.c === filter.c;
/** arm_nn_is_convolve_1_x_n: the wrapper runs arm_convolve_1_x_n_s8. */
export const isConv1xN = (p: ConvGeometry, input: NnDims, filter: NnDims): boolean =>
  input.h === 1 && p.dilationW === 1 && filter.h === 1 && (p.strideW * input.c) % 4 === 0 && input.c === filter.c;

/** arm_convolve_s8_get_buffer_size{,_dsp,_mve} (for a direct call, without the wrapper). */
export function convolveS8BufferSize(isa: CmsisIsa, input: NnDims, filter: NnDims): number {
  return isa === 'mve' ? convolveS8Mve(input, filter) : convolveS8(input, filter);
}

/** arm_convolve_s8_get_buffer_size (non-MVE): two im2col columns of int16, 4-aligned. */
function convolveS8(input: NnDims, filter: NnDims): number {
  const rhsCols = filter.w * filter.h * input.c;
  const rem = rhsCols % 4;
  const aligned = rem !== 0 ? rhsCols + 4 - rem : rhsCols;
  return 2 * aligned * 2;
}

/** arm_convolve_s8_get_buffer_size_mve: four im2col columns rounded up to 16 lanes. */
function convolveS8Mve(input: NnDims, filter: NnDims): number {
  const lanes = Math.trunc((input.c * filter.w * filter.h + 15) / 16);
  return 4 * lanes * 16;
}

/** arm_convolve_1_x_n_s8_get_buffer_size_mve. */
function convolve1xNMve(p: ConvGeometry, input: NnDims, filter: NnDims, output: NnDims): number {
  const totalPad = (output.w - 1) * p.strideW + filter.w - input.w;
  const asymPad = totalPad % 2;
  const rightPadNum = p.padW + asymPad !== 0 ? Math.max(1, Math.trunc((p.padW + asymPad + p.strideW - 1) / p.strideW)) : 0;
  const leftPadNum = p.padW !== 0 ? Math.max(1, Math.trunc((p.padW + p.strideW - 1) / p.strideW)) : 0;
  const noPadNum = Math.max(output.w - (rightPadNum + leftPadNum), 0);
  if (rightPadNum + noPadNum + leftPadNum !== output.w) return convolveS8Mve(input, filter);
  const padSizeLeft = p.padW * input.c;
  const padSizeRight = asymPad ? rightPadNum * input.c : padSizeLeft;
  const numElemLeft = filter.w * input.c;
  const numElemRight = numElemLeft - input.c;
  return Math.max(numElemLeft + padSizeLeft, numElemRight + padSizeRight);
}

/** arm_convolve_wrapper_s8_get_buffer_size{,_dsp,_mve}. `filter` is {n: C_out, h, w, c: C_in/group}. */
export function convolveWrapperS8BufferSize(isa: CmsisIsa, p: ConvGeometry, input: NnDims, filter: NnDims, output: NnDims): number {
  if (isConv1x1(p, input, filter)) return 0; // 1x1 (fast or not): no buffer with GCC on any ISA
  if (isConv1xN(p, input, filter)) return isa === 'mve' ? convolve1xNMve(p, input, filter, output) : convolveS8(input, filter);
  return isa === 'mve' ? convolveS8Mve(input, filter) : convolveS8(input, filter);
}

/** arm_depthwise_conv_wrapper_s8_get_buffer_size{,_dsp,_mve}. `filter` is {n: 1, h, w, c: C_out}. */
export function depthwiseConvWrapperS8BufferSize(isa: CmsisIsa, p: ConvGeometry, input: NnDims, filter: NnDims, output: NnDims): number {
  const optEligible = input.c === output.c && input.n === 1 && p.dilationW === 1 && p.dilationH === 1;
  if (isa === 'mve') {
    let size = optEligible ? 4 * CH_IN_BLOCK_MVE * filter.w * filter.h : 0;
    if (input.c === 1 && output.c > DW_ONE_CH_THRESHOLD_GCC) {
      // arm_deptwise_conv_s8_one_in_ch_get_buffer_size_mve: the depthwise conv run as a conv.
      const convFilter: NnDims = { n: filter.c, h: filter.h, w: filter.w, c: filter.n };
      const toConv = convolveWrapperS8BufferSize('mve', p, input, convFilter, output) + filter.c * filter.h * filter.w * filter.n;
      if (toConv > size) size = toConv;
    }
    return size;
  }
  if (!optEligible) return 0;
  if (filter.w === 3 && filter.h === 3 && p.padH <= 1 && p.padW <= 1) return 0; // arm_depthwise_conv_3x3_s8
  return depthwiseConvS8OptBufferSize(isa, input, filter);
}

/** arm_depthwise_conv_s8_opt_get_buffer_size{,_dsp,_mve} (for a direct call, without the wrapper). */
export function depthwiseConvS8OptBufferSize(isa: CmsisIsa, input: NnDims, filter: NnDims): number {
  if (isa === 'mve') return 4 * CH_IN_BLOCK_MVE * filter.w * filter.h;
  return isa === 'dsp' ? input.c * filter.w * filter.h * 2 : 0;
}

/** arm_fully_connected_s8_get_buffer_size{,_dsp,_mve} (`filter.c` is the output depth). On MVE
 * the buffer holds precomputed kernel sums, which qgc places in flash (see kernelSums). */
export function fullyConnectedS8BufferSize(isa: CmsisIsa, filter: NnDims): number {
  return isa === 'mve' ? filter.c * 4 : 0;
}

/** arm_avgpool_s8_get_buffer_size{,_dsp,_mve}: one int32 per channel on DSP. */
export function avgpoolS8BufferSize(isa: CmsisIsa, _outputW: number, channels: number): number {
  return isa === 'dsp' ? channels * 4 : 0;
}

/** arm_vector_sum_s8 (what TFLM runs once in Prepare for MVE fully connected layers):
 * kernel_sum[r] = bias[r] + lhsOffset * (sum_c w[r][c] + cols * rhsOffset), int32 wrap-around. */
export function kernelSums(w: Int8Array, rows: number, cols: number, lhsOffset: number, rhsOffset: number, bias?: Int32Array): Int32Array {
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let c = 0; c < cols; c++) s += w[r * cols + c];
    const b = bias ? bias[r] : 0;
    out[r] = lhsOffset !== 0 ? (b + Math.imul(s + cols * rhsOffset, lhsOffset)) | 0 : b;
  }
  return out;
}

/** arm_convolve_s4_get_buffer_size (two int16 im2col columns); on MVE the larger of that and
 * arm_convolve_s4_get_buffer_size_mve (four int8 columns in whole 16-byte lanes), which is what
 * arm_convolve_s4's MVE path fills. */
export function convolveS4BufferSize(isa: CmsisIsa, input: NnDims, filter: NnDims): number {
  const cols = filter.w * filter.h * input.c;
  const dsp = 2 * cols * 2;
  return isa === 'mve' ? Math.max(dsp, 4 * Math.ceil(cols / 16) * 16) : dsp;
}
