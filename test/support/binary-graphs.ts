/** The hand-made graphs of QMul, broadcasting QAdd (Sub included), QBatchMatMul and the int8
 * copies (Slice, DepthToSpace, SpaceToDepth) that reach every path of their kernels, shared by
 * the C and Wasm test (test/int8-binary-c.test.ts) and the WebGPU one
 * (test/webgpu-int8-binary.test.ts): each with two seeds and its interpreter outputs. */
import type { Graph } from '../../src/ir/graph.js';
import { interpret, randomSamples, type Expected } from './c-harness.js';
import { QGraphBuilder, type Act } from './qgraph.js';

export interface BinaryCase {
  name: string;
  graph: Graph;
  expected: Expected;
}

type Make = (b: QGraphBuilder) => { x: Act; y: Act };

const conv = (b: QGraphBuilder, x: Act, outC: number) => b.conv(x, { outC, k: [3, 3], pads: [1, 1, 1, 1], bias: true, outScale: x.scale * 3 });

export const BINARY_SHAPES: Record<string, Make> = {
  'squeeze-excite x * avgpool(x)': (b) => {
    const x = b.input([1, 8, 5, 5]);
    const y = conv(b, x, 8);
    const s = b.pool('QAveragePool', y, [5, 5], [1, 1]);
    return { x, y: b.mul(y, s) };
  },
  'mul by a per-channel constant after a conv (NHWC)': (b) => {
    const x = b.input([1, 6, 4, 3]);
    return { x, y: b.mul(conv(b, x, 6), b.constOperand([1, 6, 1, 1]), { relu: true }) };
  },
  'mul by a full-shape constant after a conv (stored NHWC)': (b) => {
    const x = b.input([1, 5, 3, 4]);
    return { x, y: b.mul(conv(b, x, 5), b.constOperand([1, 5, 3, 4])) };
  },
  'add a per-position constant [H, W]': (b) => {
    const x = b.input([1, 3, 4, 5]);
    return { x, y: b.addBroadcast(conv(b, x, 3), b.constOperand([4, 5]), { outScale: 0.1 }) };
  },
  'sub a scalar constant': (b) => {
    const x = b.input([1, 4, 3, 3]);
    return { x, y: b.addBroadcast(conv(b, x, 4), b.constOperand([]), { sub: true, outScale: 0.08, relu: true }) };
  },
  'sub a computed [1, 1, H, W] (one-channel conv)': (b) => {
    const x = b.input([1, 4, 5, 3]);
    const a = conv(b, x, 4);
    return { x, y: b.addBroadcast(a, conv(b, x, 1), { sub: true, outScale: 0.1 }) };
  },
  'mul of a transposed view by a constant [C, 1]': (b) => {
    const x = b.input([1, 3, 4, 5]);
    const t = b.transpose(conv(b, x, 3), [0, 2, 1, 3]);
    return { x, y: b.mul(t, b.constOperand([3, 1])) };
  },
  'mul after a fully connected layer, [2, 12] * [2, 1]': (b) => {
    const x = b.input([2, 10]);
    const f = b.fc(x, 12);
    const g = b.fc(x, 1);
    return { x, y: b.mul(f, g) };
  },
  'mul of equal shapes, 16 x 7 x 7 (vector loops and tails)': (b) => {
    const x = b.input([1, 4, 7, 7]);
    return { x, y: b.mul(conv(b, x, 16), conv(b, x, 16)) };
  },
  'sub of equal shapes (negative multiplier in arm_elementwise_add_s8)': (b) => {
    const x = b.input([1, 8, 6, 5]);
    return { x, y: b.addBroadcast(conv(b, x, 8), conv(b, x, 8), { sub: true, outScale: 0.1 }) };
  },
  'batch matmul [1, 3, 4] x [1, 4, 5] of two FC outputs': (b) => {
    const x = b.input([1, 12]);
    return { x, y: b.batchMatMul(b.reshape(b.fc(x, 12), [1, 3, 4]), b.reshape(b.fc(x, 20), [1, 4, 5])) };
  },
  'batch matmul [2, 3, 4] x [1, 4, 5] (broadcast batch)': (b) => {
    const x = b.input([1, 24]);
    return { x, y: b.batchMatMul(b.reshape(b.fc(x, 24), [2, 3, 4]), b.reshape(b.fc(x, 20), [1, 4, 5])) };
  },
  'attention scores q @ k^T (a transposed view, copied row-major)': (b) => {
    const x = b.input([1, 24]);
    const q = b.reshape(b.fc(x, 24), [1, 4, 6]);
    const k = b.reshape(b.fc(x, 24), [1, 4, 6]);
    return { x, y: b.batchMatMul(q, b.transpose(k, [0, 2, 1])) };
  },
  'batch matmul [2, 1, 3, 4] x [3, 4, 2] (rank 4 by rank 3)': (b) => {
    const x = b.input([1, 24]);
    return { x, y: b.batchMatMul(b.reshape(b.fc(x, 24), [2, 1, 3, 4]), b.reshape(b.fc(x, 24), [3, 4, 2])) };
  },
  'slice (steps 2 and -1) of a conv output, then a conv': (b) => {
    const x = b.input([1, 4, 7, 6]);
    const s = b.slice(conv(b, x, 4), [0, 3, 1, 5], [1, -1, 2, -1], [1, 3, 3, 6]);
    return { x, y: conv(b, s, 3) };
  },
  'depth to space (DCR and CRD) and space to depth around convs': (b) => {
    const x = b.input([1, 3, 4, 4]);
    const d = b.block('DepthToSpace', conv(b, x, 8), 2, b.rand() < 0.5 ? 'DCR' : 'CRD');
    return { x, y: b.block('SpaceToDepth', conv(b, d, 2), 2, 'DCR') };
  },
  'add and mul of equal shapes with a constant, 3 x 5 x 7': (b) => {
    const x = b.input([1, 3, 5, 7]);
    const a = b.addBroadcast(conv(b, x, 3), b.constOperand([1, 3, 5, 7]), { outScale: 0.1 });
    return { x, y: b.mul(a, conv(b, x, 3)) };
  },
};

const SEEDS = [1, 2];

export function binaryCases(): BinaryCase[] {
  return Object.entries(BINARY_SHAPES).flatMap(([name, make]) => SEEDS.map((seed) => {
    const b = new QGraphBuilder(seed * 7919 + name.length);
    const { x, y } = make(b);
    const graph = b.build(y);
    return { name: `${name} (seed ${seed})`, graph, expected: interpret(graph, randomSamples(b.rand, x.shape, 2)) };
  }));
}
