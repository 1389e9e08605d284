/** Hand-made quantized graphs that together reach every C-backend path: each CMSIS-NN
 * convolution variant (general, 1x1, 1xN, depthwise 3x3, depthwise with a channel multiplier,
 * grouped, dilated), pooling with padding and ceil mode, in-place add and clamp, concat with and
 * without requantization, Pad in every mode, Transpose views, softmax, batches, 1-D windows,
 * boundary transposes, and windows wholly in the padding (depthwise, 1x1). */
import type { Graph } from '../../src/ir/graph.js';
import { QGraphBuilder } from './qgraph.js';

export interface GraphCase {
  name: string;
  graph: Graph;
  inputShape: number[];
  rand: () => number;
}

function make(name: string, seed: number, inputShape: number[], body: (b: QGraphBuilder, x: ReturnType<QGraphBuilder['input']>) => ReturnType<QGraphBuilder['input']>): GraphCase {
  const b = new QGraphBuilder(seed);
  const x = b.input(inputShape);
  return { name, graph: b.build(body(b, x)), inputShape, rand: b.rand };
}

/** conv → maxpool → flatten → FC → softmax (the classic small CNN). */
export const cnn = (): GraphCase =>
  make('cnn', 7, [1, 3, 9, 9], (b, x) => {
    let y = b.conv(x, { outC: 4, k: [3, 3], pads: [1, 1, 1, 1], relu: true });
    y = b.pool('QMaxPool', y, [2, 2], [2, 2]);
    y = b.reshape(y, [1, 64]);
    y = b.fc(y, 10);
    return b.softmax(y);
  });

/** Depthwise-separable blocks with a residual add, a clamp, a depthwise conv with channel
 * multiplier 2, a dilated grouped conv and padded average pooling. */
export const dwsepResidual = (): GraphCase =>
  make('dwsep-residual', 11, [1, 4, 10, 10], (b, x) => {
    const a = b.conv(x, { outC: 8, k: [3, 3], pads: [1, 1, 1, 1], relu: true });
    let y = b.conv(a, { outC: 8, k: [3, 3], pads: [1, 1, 1, 1], group: 8 });
    y = b.conv(y, { outC: 8, k: [1, 1] });
    y = b.add(y, a, true);
    y = b.clamp(y, -100, 100);
    y = b.conv(y, { outC: 16, k: [5, 5], pads: [2, 2, 2, 2], stride: [2, 2], group: 8 });
    y = b.conv(y, { outC: 8, k: [3, 3], pads: [2, 2, 2, 2], dilation: [2, 2], group: 2, perTensor: true });
    y = b.pool('QAveragePool', y, [2, 2], [2, 2], [1, 1, 0, 0]);
    y = b.reshape(y, [1, 8 * 3 * 3]);
    return b.fc(y, 5, true);
  });

/** Pad (reflect and constant), a 1x1 conv without bias, concat along channels (requantized)
 * and along H (copied), a Transpose to NHWC that is a free view, softmax over the last axis. */
export const layouts = (): GraphCase =>
  make('layouts', 5, [1, 6, 5, 7], (b, x) => {
    const p = b.pad(x, [0, 0, 1, 2, 0, 0, 2, 1], 'reflect');
    const c1 = b.conv(p, { outC: 4, k: [1, 1], bias: false, perTensor: true });
    const c2 = b.conv(p, { outC: 3, k: [3, 3], pads: [1, 1, 1, 1], relu: true });
    const cat = b.concat([c1, c2], 1);
    const cat2 = b.concatSame([cat, cat], 2);
    const padded = b.pad(cat2, [0, 0, 1, 0, 0, 0, 0, 1]);
    const t = b.transpose(padded, [0, 2, 3, 1]);
    return b.softmax(t);
  });

/** Batch 2, 1-D: a 1xN conv, ceil-mode max pooling with padding, a dilated conv, a global
 * average pool, a batched FC and softmax. */
export const conv1d = (): GraphCase =>
  make('conv1d', 3, [2, 8, 16], (b, x) => {
    let y = b.conv(x, { outC: 8, k: [3] });
    y = b.pool('QMaxPool', y, [2], [2], [1, 0], true);
    y = b.conv(y, { outC: 6, k: [3], pads: [2, 2], dilation: [2] });
    y = b.pool('QAveragePool', y, [y.shape[2]], [1]);
    y = b.reshape(y, [2, 6]);
    y = b.fc(y, 4);
    return b.softmax(y);
  });

/** A rank-4 output: NHWC inside, so the output is transposed back to NCHW on the way out. */
export const nchwOutput = (): GraphCase =>
  make('nchw-output', 9, [1, 3, 6, 6], (b, x) => b.conv(x, { outC: 4, k: [3, 3], stride: [2, 2], pads: [0, 0, 1, 1] }));

/** Depthwise 3x3 layers whose last window ends two columns past the right edge (ONNX pads
 * left 1 / right 2, and left 0 / right 2): CMSIS-NN's wrapper would pick
 * arm_depthwise_conv_3x3_s8, which reads one column too far there (the next row, or past the
 * buffer). Six and five channels: the 4-channel loop and the leftover loop. */
export const dwOverhang = (): GraphCase =>
  make('dw-overhang', 13, [1, 6, 4, 4], (b, x) => {
    let y = b.conv(x, { outC: 6, k: [3, 3], pads: [1, 1, 2, 2], group: 6, relu: true }); // [1,6,5,5]
    y = b.conv(y, { outC: 6, k: [3, 3], pads: [0, 0, 1, 2], group: 6 }); // [1,6,4,5]
    y = b.conv(y, { outC: 5, k: [1, 1] });
    return b.conv(y, { outC: 5, k: [3, 3], pads: [1, 1, 1, 2], stride: [1, 1], group: 5 }); // [1,5,4,6]
  });

/** 1-D convolutions whose ONNX pads are not TFLite's SAME: CMSIS-NN's arm_convolve_1_x_n_s8
 * (picked by the wrapper) fails on MVE for pads 0 / 2 and 2 / 1, and drops a column for
 * W = 12, kernel 3, stride 2 without pads; one layer with SAME-like pads keeps the 1xN path. */
export const conv1dPads = (): GraphCase =>
  make('conv1d-pads', 17, [1, 4, 12], (b, x) => {
    let y = b.conv(x, { outC: 8, k: [3], stride: [2] }); // W 5
    y = b.conv(y, { outC: 4, k: [3], pads: [0, 2], relu: true }); // W 5
    y = b.conv(y, { outC: 8, k: [4], pads: [2, 1] }); // W 5
    y = b.conv(y, { outC: 8, k: [3], pads: [1, 1] }); // W 5, SAME: the 1xN kernel is exact
    return b.conv(y, { outC: 6, k: [5], pads: [2, 2], stride: [2] }); // W 3
  });

/** Depthwise layers with windows wholly in the padding by more than the kernel height (top pad
 * 4 over a 3-row kernel; a 1-row kernel whose last windows start below the input): CMSIS-NN's
 * arm_depthwise_conv_s8_opt (the wrapper's pick) overruns its im2col buffer there on DSP builds. */
export const dwPadsPastKernel = (): GraphCase =>
  make('dw-pads-past-kernel', 19, [1, 4, 3, 5], (b, x) => {
    let y = b.conv(x, { outC: 4, k: [3, 3], pads: [4, 1, 1, 1], group: 4 }); // [1,4,6,5]
    y = b.conv(y, { outC: 4, k: [1, 3], pads: [0, 1, 3, 1], group: 4, relu: true }); // [1,4,9,5]
    return b.conv(y, { outC: 6, k: [1, 1] });
  });

/** 1x1 convolutions with ONNX end pads only (stride 1 and 2), so some outputs lie wholly in the
 * padding: CMSIS-NN's wrapper sees padding 0 and runs arm_convolve_1x1_s8_fast / _s8, which
 * assume every output reads an input pixel. */
export const conv1x1EndPads = (): GraphCase =>
  make('conv1x1-end-pads', 23, [1, 4, 3, 3], (b, x) => {
    let y = b.conv(x, { outC: 8, k: [1, 1], pads: [0, 0, 1, 2] }); // [1,8,4,5]
    y = b.conv(y, { outC: 4, k: [1, 1], pads: [0, 0, 1, 1], stride: [2, 2], relu: true }); // [1,4,3,3]
    return b.conv(y, { outC: 4, k: [1, 1] });
  });

export const ALL_CASES = [cnn, dwsepResidual, layouts, conv1d, nchwOutput, dwOverhang, conv1dPads, dwPadsPastKernel, conv1x1EndPads];
