/** The hand-made int8 Resize graphs (nearest by whole factors, every coordinate mode qgc runs as a
 * strided gather, a downsample; between convs) shared by the C and Wasm test
 * (test/int8-resize-c.test.ts) and the WebGPU one (test/webgpu-int8-binary.test.ts): each with
 * two seeds and its interpreter outputs. */
import type { Graph } from '../../src/ir/graph.js';
import { interpret, randomSamples, type Expected } from './c-harness.js';
import { QGraphBuilder, type Act } from './qgraph.js';

export interface ResizeCase {
  name: string;
  graph: Graph;
  expected: Expected;
}

type Make = (b: QGraphBuilder) => { x: Act; y: Act };

const conv = (b: QGraphBuilder, x: Act, outC: number) => b.conv(x, { outC, k: [3, 3], pads: [1, 1, 1, 1], bias: true, outScale: x.scale * 3 });
const up = (x: Act, f: number[]) => x.shape.map((d, i) => d * f[i]);

export const RESIZE_SHAPES: Record<string, Make> = {
  'nearest 2x, asymmetric floor (PyTorch), between convs': (b) => {
    const x = b.input([1, 3, 4, 5]);
    const c = conv(b, x, 4);
    return { x, y: conv(b, b.resize(c, up(c, [1, 1, 2, 2]), { mode: 'nearest', coordinateMode: 'asymmetric', nearestMode: 'floor' }), 3) };
  },
  'nearest 3x, half_pixel round_prefer_floor': (b) => {
    const x = b.input([1, 2, 3, 4]);
    return { x, y: b.resize(conv(b, x, 3), [1, 3, 9, 12], { mode: 'nearest', coordinateMode: 'half_pixel', nearestMode: 'round_prefer_floor' }) };
  },
  'nearest 2x by 3x, align_corners round_prefer_ceil (rows only)': (b) => {
    const x = b.input([2, 6, 2]);
    return { x, y: b.resize(b.fc(x, 3), [2, 12, 6], { mode: 'nearest', coordinateMode: 'align_corners', nearestMode: 'round_prefer_ceil' }) };
  },
  'nearest 2x, TF half-pixel centers (tf_half_pixel_for_nn, floor)': (b) => {
    const x = b.input([1, 4, 3, 3]);
    return { x, y: b.resize(conv(b, x, 4), [1, 4, 6, 6], { mode: 'nearest', coordinateMode: 'tf_half_pixel_for_nn', nearestMode: 'floor' }) };
  },
  'nearest downsample by 2 (asymmetric floor), then a conv': (b) => {
    const x = b.input([1, 3, 8, 6]);
    const c = conv(b, x, 5);
    return { x, y: conv(b, b.resize(c, [1, 5, 4, 3], { mode: 'nearest', coordinateMode: 'asymmetric', nearestMode: 'floor' }), 2) };
  },
};

const SEEDS = [1, 2];

export function resizeCases(): ResizeCase[] {
  return Object.entries(RESIZE_SHAPES).flatMap(([name, make]) => SEEDS.map((seed) => {
    const b = new QGraphBuilder(seed * 7919 + name.length);
    const { x, y } = make(b);
    const graph = b.build(y);
    return { name: `${name} (seed ${seed})`, graph, expected: interpret(graph, randomSamples(b.rand, x.shape, 2)) };
  }));
}
