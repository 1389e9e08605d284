/** Every optimization pass keeps float semantics: the interpreter runs each real model
 * before and after every pass on real inputs, and the outputs agree. */
import { describe, expect, it } from 'vitest';
import type { Graph } from '../src/ir/graph.js';
import { printGraph } from '../src/ir/printer.js';
import { runBatched } from '../src/interp/batch.js';
import type { Value } from '../src/interp/types.js';
import { loadModel } from '../src/onnx/load.js';
import { optimizationPasses } from '../src/passes/pipeline.js';
import { verifyGraph } from '../src/passes/verify.js';
import { availableExamples } from './support/examples.js';

function maxRelDiff(a: Value, b: Value): number {
  let worst = 0;
  for (let i = 0; i < a.data.length; i++) {
    const x = Number(a.data[i]);
    const y = Number(b.data[i]);
    worst = Math.max(worst, Math.abs(x - y) / Math.max(1, Math.abs(y)));
  }
  return worst;
}

function firstSamples(x: Value, n: number): Value {
  const per = x.data.length / x.shape[0];
  return { dtype: x.dtype, shape: [n, ...x.shape.slice(1)], data: x.data.subarray(0, n * per) as Value['data'] };
}

describe.each(availableExamples().map((e) => [e.name, e] as const))('passes on %s', (_n, ex) => {
  it('keep the outputs of every pass within 1e-5 of the imported graph', () => {
    const { graph } = loadModel(ex.model);
    const x = firstSamples(ex.testX(), 32);
    const feeds = new Map([[graph.inputs[0], x]]);
    const reference = runBatched(graph, feeds).get(graph.outputs[0])!;
    let g: Graph = graph;
    for (const pass of optimizationPasses) {
      g = pass.run(g, {});
      verifyGraph(g, pass.name);
      const out = runBatched(g, feeds).get(g.outputs[0])!;
      expect(maxRelDiff(out, reference), `after ${pass.name}`).toBeLessThan(1e-5);
    }
    const ops = g.nodes.map((n) => n.op);
    expect(ops).not.toContain('BatchNormalization');
    expect(ops).not.toContain('Identity');
    expect(ops).not.toContain('Relu');
    expect(g.nodes.length).toBeLessThan(graph.nodes.length);
  });

  it('are deterministic: the same model prints the same optimized graph twice', () => {
    const run = () => optimizationPasses.reduce((g, p) => p.run(g, {}), loadModel(ex.model).graph);
    expect(printGraph(run())).toBe(printGraph(run()));
  });
});
