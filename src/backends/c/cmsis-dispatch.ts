/**
 * Which CMSIS-NN function runs a depthwise convolution. CMSIS-NN's wrappers pick a function
 * from the layer's geometry, with TFLite's padding in mind; ONNX pads are free per side, and
 * for some geometries the wrapper's pick reads outside the window. qgc calls the wrapper
 * where its pick is right and the correct function directly elsewhere.
 *
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
 */
import type { ConvGeometry, NnDims } from './cmsis-buffers.js';

export type DepthwiseFunction = 'arm_depthwise_conv_wrapper_s8' | 'arm_depthwise_conv_s8_opt';

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

/** The function to call for a depthwise convolution (see the file comment). */
export function depthwiseFunction(p: ConvGeometry, input: NnDims, filter: NnDims, output: NnDims): DepthwiseFunction {
  if (wrapperRunsDepthwise3x3(p, input, filter, output) && rightOverhang(p, input, filter, output) > 1) return 'arm_depthwise_conv_s8_opt';
  return 'arm_depthwise_conv_wrapper_s8';
}
