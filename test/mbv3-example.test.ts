/** examples/fashion-mnist-mbv3: a MobileNetV3-style network (Hard-Swish, squeeze-excite with
 * HardSigmoid and a broadcast Mul, a residual Add) exported by torch 2.13 at opset 18. Float: the
 * interpreter agrees with onnxruntime-node and reproduces the accuracy train.py printed. int8:
 * every node goes int8 (HardSwish, HardSigmoid, ReduceMean and the broadcast Mul have int8 rows),
 * within 1 point of the float accuracy; the same with the HardSwish and HardSigmoid nodes named to
 * run in float; and the compiled C, with the broadcast Muls named to run in float, is verified on
 * the host. */
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { int8GraphFor } from '../src/cli/quantize.js';
import { runBatched } from '../src/interp/batch.js';
import type { Graph } from '../src/ir/graph.js';
import { loadModel } from '../src/onnx/load.js';
import { runPipeline } from '../src/passes/pass.js';
import { optimizationPasses } from '../src/passes/pipeline.js';
import { cli } from './support/cli.js';
import { accuracy, example } from './support/examples.js';
import { GCC, CMSIS_NN, needs } from './support/tools.js';
import { tempFolders } from './support/tmp.js';

const ex = example('fashion-mnist-mbv3');
const tmp = tempFolders('qgc-mbv3-');

/** The names of the nodes of these ops in the optimized graph (what --float-nodes takes). */
function nodesOf(graph: Graph, ops: readonly string[]): string[] {
  return runPipeline(graph, optimizationPasses).nodes.filter((n) => ops.includes(n.op)).map((n) => n.name);
}

describe('examples/fashion-mnist-mbv3', () => {
  it('is an opset-18 model with HardSwish, HardSigmoid, a broadcast Mul and a residual Add', () => {
    const { graph } = loadModel(ex.model);
    const ops = new Set(graph.nodes.map((n) => n.op));
    for (const op of ['HardSwish', 'HardSigmoid', 'Mul', 'Add', 'Conv', 'Gemm']) expect(ops).toContain(op);
    expect(graph.opset).toBeGreaterThanOrEqual(18);
  });

  it('float: matches onnxruntime-node to 1e-4 and reaches the accuracy train.py printed', async () => {
    const { graph } = loadModel(ex.model);
    const x = ex.testX();
    const ours = runBatched(graph, new Map([[graph.inputs[0], x]])).get(graph.outputs[0])!;
    const session = await ort.InferenceSession.create(ex.model, { intraOpNumThreads: 1, interOpNumThreads: 1 });
    const theirs = (await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', x.data as Float32Array, [...x.shape]) }))[session.outputNames[0]];
    const ref = theirs.data as Float32Array;
    const got = ours.data as Float32Array;
    let worst = 0;
    for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(got[i] - ref[i]) / Math.max(1, Math.abs(ref[i])));
    expect(worst).toBeLessThanOrEqual(1e-4);
    expect(accuracy(ours, ex.testY())).toBeCloseTo(ex.expected().accuracy, 5);
    await session.release();
  }, 60_000);

  const int8Accuracy = (graph: Graph, floatNodes: string[]) => {
    const q = int8GraphFor(graph, { calib: [join(ex.dir, 'calib.npy')], floatNodes });
    const floatOps = new Set(q.warnings.flatMap((w) => /^node '.*' \((\w+)\) runs in float/.exec(w)?.[1] ?? []));
    const logits = runBatched(q.graph, new Map([[graph.inputs[0], ex.testX()]])).get(graph.outputs[0])!;
    return { floatOps: [...floatOps].sort(), acc: accuracy(logits, ex.testY()) };
  };

  it('int8: every node goes int8, none falls back to float; within 1 point of float on the 256 test images', () => {
    const { graph } = loadModel(ex.model, { inputShapes: new Map([['input', [1, 1, 28, 28]]]) });
    const { floatOps, acc } = int8Accuracy(graph, []);
    console.log(`fashion-mnist-mbv3: ops run in float: ${floatOps.join(', ') || 'none'}; float ${(100 * ex.expected().accuracy).toFixed(2)}%, int8 ${(100 * acc).toFixed(2)}% on 256 images`);
    expect(floatOps).toEqual([]);
    expect(Math.abs(acc - ex.expected().accuracy)).toBeLessThanOrEqual(0.01);
  }, 60_000);

  it('int8 with the HardSwish and HardSigmoid nodes named to run in float: within 1 point of float', () => {
    const { graph } = loadModel(ex.model, { inputShapes: new Map([['input', [1, 1, 28, 28]]]) });
    const named = nodesOf(graph, ['HardSwish', 'HardSigmoid']);
    expect(named).toHaveLength(8);
    const { floatOps, acc } = int8Accuracy(graph, named);
    console.log(`fashion-mnist-mbv3: with ${named.length} nodes named, ops run in float: ${floatOps.join(', ')}; int8 ${(100 * acc).toFixed(2)}% on 256 images`);
    for (const op of ['HardSwish', 'HardSigmoid']) expect(floatOps).toContain(op);
    expect(Math.abs(acc - ex.expected().accuracy)).toBeLessThanOrEqual(0.01);
  }, 60_000);

  it('compiles for cortex-m4 and qgc verify finds the C bit-exact (float steps within tolerance) on the host', async (ctx) => {
    needs(ctx, GCC, CMSIS_NN);
    const dir = join(tmp(), 'net');
    // The broadcast Muls named: they run in float whether or not qgc has an int8 row for them.
    const muls = nodesOf(loadModel(ex.model, { inputShapes: new Map([['input', [1, 1, 28, 28]]]) }).graph, ['Mul']);
    expect(muls).toHaveLength(2);
    const c = await cli('compile', ex.model, '--target', 'cortex-m4', '--calib', join(ex.dir, 'calib.npy'), '--float-nodes', muls.join(','), '-o', dir);
    expect(c.code, c.err).toBe(0);
    expect(c.out).toMatch(/^float: 2 nodes run in float \(Mul '\w+', Mul '\w+'\): 10 float steps/m);
    const v = await cli('verify', dir, '--inputs', join(ex.dir, 'test_x.npy'), '--targets', 'host', '--limit', '16');
    expect(v.code, v.out + v.err).toBe(0);
    expect(v.out).toMatch(/host \(cc, ASan \+ UBSan, cmsis-nn\)\s+folder\s+16\s+\S+\s+bit-exact/);
    expect(v.out).toMatch(/^float steps on host: \d+ compared on sample 0, largest difference \S+ of a tensor's range \(tolerance 0.00001\)/m);
  }, 120_000);
});
