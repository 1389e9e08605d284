/** Five tiny quantized graphs whose emitted C is snapshotted under test/golden/<name>/: one
 * per basic layer shape (convolution, depthwise convolution, residual add, pooling into a fully
 * connected layer, channel concat). Small on purpose, so a diff of the goldens stays readable. */
import type { GraphCase } from './c-graphs.js';
import { QGraphBuilder } from './qgraph.js';

type Act = ReturnType<QGraphBuilder['input']>;

function make(name: string, seed: number, inputShape: number[], body: (b: QGraphBuilder, x: Act) => Act): GraphCase {
  const b = new QGraphBuilder(seed);
  const x = b.input(inputShape);
  return { name, graph: b.build(body(b, x)), inputShape, rand: b.rand };
}

/** A padded 3x3 convolution with a fused ReLU. */
export const goldenConv = (): GraphCase =>
  make('conv', 21, [1, 3, 5, 5], (b, x) => b.conv(x, { outC: 4, k: [3, 3], pads: [1, 1, 1, 1], relu: true }));

/** A 3x3 depthwise convolution (group = channels), stride 2. */
export const goldenDepthwise = (): GraphCase =>
  make('depthwise', 22, [1, 4, 6, 6], (b, x) => b.conv(x, { outC: 4, k: [3, 3], pads: [1, 1, 1, 1], stride: [2, 2], group: 4 }));

/** A 1x1 convolution added back to its own input. */
export const goldenResidualAdd = (): GraphCase =>
  make('residual-add', 23, [1, 4, 4, 4], (b, x) => b.add(b.conv(x, { outC: 4, k: [1, 1] }), x));

/** 2x2 max pooling, flatten, a fully connected layer. */
export const goldenPoolFc = (): GraphCase =>
  make('pool-fc', 24, [1, 2, 6, 6], (b, x) => b.fc(b.reshape(b.pool('QMaxPool', x, [2, 2], [2, 2]), [1, 18]), 3));

/** Two 1x1 convolution branches joined by a requantizing concat along channels. */
export const goldenConcat = (): GraphCase =>
  make('concat', 25, [1, 2, 4, 4], (b, x) => b.concat([b.conv(x, { outC: 2, k: [1, 1] }), b.conv(x, { outC: 3, k: [1, 1], relu: true })], 1));

export const GOLDEN_CASES = [goldenConv, goldenDepthwise, goldenResidualAdd, goldenPoolFc, goldenConcat];
