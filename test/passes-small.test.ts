/** Pass tests on small hand-built models: the optimized graph, as printed text, and float
 * semantics before and after. */
import { describe, expect, it } from 'vitest';
import type { Graph } from '../src/ir/graph.js';
import { printGraph } from '../src/ir/printer.js';
import { runGraph } from '../src/interp/run.js';
import type { Value } from '../src/interp/types.js';
import { loadModelBytes } from '../src/onnx/load.js';
import { onnx } from '../src/onnx/proto.js';
import { runPipeline } from '../src/passes/pass.js';
import { optimizationPasses } from '../src/passes/pipeline.js';
import { quantizeGraph } from '../src/passes/quantize.js';
import { calibrationRanges, collectStats } from '../src/quant/calibrate.js';

const vi = (name: string, dims: number[]) => ({ name, type: { tensorType: { elemType: 1, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } });
const f32 = (name: string, dims: number[], values: number[]) => ({ name, dataType: 1, dims, floatData: values });
const i64 = (name: string, values: number[]) => ({ name, dataType: 7, dims: [values.length], int64Data: values });

/** x [1,2,4,4] → Pad(spatial 1) → op → y. */
function padThen(op: 'Conv' | 'AveragePool'): Graph {
  const weights = Array.from({ length: 2 * 2 * 3 * 3 }, (_, i) => ((i * 7) % 11) / 10 - 0.5);
  const node = op === 'Conv'
    ? { name: 'conv', opType: 'Conv', input: ['p', 'w'], output: ['y'], attribute: [{ name: 'kernel_shape', type: 7, ints: [3, 3] }] }
    : { name: 'pool', opType: 'AveragePool', input: ['p'], output: ['y'], attribute: [{ name: 'kernel_shape', type: 7, ints: [3, 3] }] };
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'g',
      node: [{ name: 'pad', opType: 'Pad', input: ['x', 'pads'], output: ['p'] }, node],
      initializer: [i64('pads', [0, 0, 1, 1, 0, 0, 1, 1]), f32('w', [2, 2, 3, 3], weights)],
      input: [vi('x', [1, 2, 4, 4])],
      output: [vi('y', [1, 2, 4, 4])],
    },
  });
  return loadModelBytes(onnx.ModelProto.encode(model).finish()).graph;
}

function sample(seed: number): Value {
  return { dtype: 'float32', shape: [1, 2, 4, 4], data: Float32Array.from({ length: 32 }, (_, i) => Math.sin(seed * 31 + i * 1.7)) };
}

function outputsEqual(a: Graph, b: Graph): void {
  for (let s = 0; s < 4; s++) {
    const x = new Map([['x', sample(s)]]);
    const ya = runGraph(a, x).get('y')!.data as Float32Array;
    const yb = runGraph(b, x).get('y')!.data as Float32Array;
    ya.forEach((v, i) => expect(yb[i]).toBeCloseTo(v, 6));
  }
}

describe('fold-pad', () => {
  it('merges zero padding into the following Conv', () => {
    const g = padThen('Conv');
    const opt = runPipeline(g, optimizationPasses, { verifyEach: true });
    expect(printGraph(opt)).toMatch(/%y:float32\[1x2x4x4\] = Conv\{kernel=\[3,3\] strides=\[1,1\] dilations=\[1,1\] pads=\[1,1,1,1\] group=1\}\(%x:float32\[1x2x4x4\]/);
    expect(opt.nodes.map((n) => n.op)).toEqual(['Conv']);
    outputsEqual(g, opt);
  });

  it('keeps a Pad before an AveragePool, so the padded model still quantizes (padding = zero point)', () => {
    const g = padThen('AveragePool');
    const opt = runPipeline(g, optimizationPasses, { verifyEach: true });
    expect(opt.nodes.map((n) => n.op)).toEqual(['Pad', 'AveragePool']);
    outputsEqual(g, opt);
    const stats = collectStats(opt, [0, 1, 2, 3].map((s) => ({ feeds: new Map([['x', sample(s)]]), file: '<test>', index: s, progress: (s + 1) / 4 })));
    const q = quantizeGraph(opt, calibrationRanges(stats, { method: 'minmax' })).graph;
    expect(q.nodes.map((n) => n.op)).toEqual(['Quantize', 'Pad', 'QAveragePool', 'Dequantize']);
  });
});
