/** The example models under the float reference interpreter agree with onnxruntime-node
 * and reproduce the accuracy train.py printed. */
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { loadModel } from '../src/onnx/load.js';
import { runBatched } from '../src/interp/batch.js';
import { accuracy, availableExamples } from './support/examples.js';

describe.each(availableExamples().map((e) => [e.name, e] as const))('example %s (float)', (_name, ex) => {
  it('matches onnxruntime-node to 1e-4 relative and reaches the accuracy train.py printed', async () => {
    const { graph } = loadModel(ex.model);
    const x = ex.testX();
    const ours = runBatched(graph, new Map([[graph.inputs[0], x]])).get(graph.outputs[0])!;

    const session = await ort.InferenceSession.create(ex.model, { intraOpNumThreads: 1, interOpNumThreads: 1 });
    const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', x.data as Float32Array, [...x.shape]) };
    const theirs = (await session.run(feeds))[session.outputNames[0]];
    expect([...theirs.dims]).toEqual([...ours.shape]);
    const ref = theirs.data as Float32Array;
    const got = ours.data as Float32Array;
    let worst = 0;
    for (let i = 0; i < ref.length; i++) {
      // Relative error, with a floor of 1 on the denominator for values near zero.
      worst = Math.max(worst, Math.abs(got[i] - ref[i]) / Math.max(1, Math.abs(ref[i])));
    }
    console.log(`${ex.name}: max relative difference to onnxruntime-node over ${x.shape[0]} samples: ${worst.toExponential(2)}`);
    expect(worst).toBeLessThanOrEqual(1e-4);

    const acc = accuracy(ours, ex.testY());
    expect(acc).toBeCloseTo(ex.expected().accuracy, 5);
    await session.release();
  });
});
