/**
 * Accuracy of the int8 models against float on each example's labelled test slice, for each
 * calibration method, with weights per tensor and per channel, and with 4-bit weights (W4A8,
 * per channel, round to nearest: `--bits w4a8`); and, as an outside opinion,
 * onnxruntime-node on the exported QDQ model (per-channel weights; onnxruntime requantizes in
 * float, so it may differ from qgc by a step here and there). A second table: W8A8 and W4A8 with
 * each `--rounding` (minmax calibration, per-channel weights) and the time each rounding took.
 * Run: npm run bench:accuracy   (not a test)
 */
import * as ort from 'onnxruntime-node';
import { join } from 'node:path';
import type { Graph } from '../src/ir/graph.js';
import { runBatched } from '../src/interp/batch.js';
import type { Value } from '../src/interp/types.js';
import { loadModel } from '../src/onnx/load.js';
import { exportQdq } from '../src/onnx/export-qdq.js';
import { runPipeline } from '../src/passes/pass.js';
import { optimizationPasses } from '../src/passes/pipeline.js';
import { quantizeGraph } from '../src/passes/quantize.js';
import { openCalibration } from '../src/quant/calib-data.js';
import { CALIB_METHODS, calibrationRanges, collectStats } from '../src/quant/calibrate.js';
import { LayerInputCollector } from '../src/quant/layer-inputs.js';
import { quantizeRounded } from '../src/passes/quantize-rounded.js';
import { ROUNDING_METHODS } from '../src/quant/rounding.js';
import { BITS_PRESETS } from '../src/quant/widths.js';
import { accuracy, availableExamples } from '../test/support/examples.js';

const pct = (a: number) => `${(a * 100).toFixed(2)}%`;

async function ortAccuracy(model: Uint8Array, x: Value, y: Value): Promise<number> {
  const session = await ort.InferenceSession.create(model, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  const n = x.shape[0];
  const per = x.data.length / n;
  const logits = new Float32Array(n * 10);
  let classes = 0;
  for (let i = 0; i < n; i++) {
    const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', (x.data as Float32Array).slice(i * per, (i + 1) * per), [1, ...x.shape.slice(1)]) };
    const out = (await session.run(feeds))[session.outputNames[0]].data as Float32Array;
    classes = out.length;
    logits.set(out, i * classes);
  }
  await session.release();
  return accuracy({ dtype: 'float32', shape: [n, classes], data: logits.subarray(0, n * classes) }, y);
}

const rows: string[][] = [['model', 'calibration', 'float', 'int8 per-tensor w', 'int8 per-channel w', 'W4A8 per-channel w', 'onnxruntime QDQ per-channel']];
for (const ex of availableExamples()) {
  const float: Graph = runPipeline(loadModel(ex.model).graph, optimizationPasses);
  const x = ex.testX();
  const y = ex.testY();
  const feeds = new Map([[float.inputs[0], x]]);
  const accFloat = accuracy(runBatched(float, feeds).get(float.outputs[0])!, y);
  const stats = collectStats(float, openCalibration(float, [join(ex.dir, 'calib.npy')]).samples());
  for (const method of CALIB_METHODS) {
    const ranges = calibrationRanges(stats, { method });
    const cells = [ex.name, `${method} (${stats.samples} samples)`, pct(accFloat)];
    let perChannel: Graph | undefined;
    for (const perTensorWeights of [true, false]) {
      const q = quantizeGraph(float, ranges, { perTensorWeights }).graph;
      if (!perTensorWeights) perChannel = q;
      cells.push(pct(accuracy(runBatched(q, feeds).get(float.outputs[0])!, y)));
    }
    const w4 = quantizeGraph(float, ranges, { widths: { uniform: BITS_PRESETS.w4a8 } }).graph;
    cells.push(pct(accuracy(runBatched(w4, feeds).get(float.outputs[0])!, y)));
    cells.push(pct(await ortAccuracy(exportQdq(perChannel!), x, y)));
    rows.push(cells);
  }
}

const rounding: string[][] = [['model', 'float', ...(['w8a8', 'w4a8'] as const).flatMap((b) => ROUNDING_METHODS.map((r) => `${b} ${r}`)), 'time (w8a8 / w4a8, s)']];
for (const ex of availableExamples()) {
  const float: Graph = runPipeline(loadModel(ex.model).graph, optimizationPasses);
  const x = ex.testX();
  const y = ex.testY();
  const feeds = new Map([[float.inputs[0], x]]);
  const calib = openCalibration(float, [join(ex.dir, 'calib.npy')]);
  const collector = new LayerInputCollector(float);
  const stats = collectStats(float, calib.samples(), { onSample: (env) => collector.add(env) });
  const ranges = calibrationRanges(stats, { method: 'minmax' });
  const layerInputs = collector.result();
  const cells = [ex.name, pct(accuracy(runBatched(float, feeds).get(float.outputs[0])!, y))];
  const times: string[] = [];
  for (const bits of ['w8a8', 'w4a8'] as const) {
    const spent: string[] = [];
    for (const method of ROUNDING_METHODS) {
      const t0 = performance.now();
      const q = quantizeRounded(float, ranges, { widths: { uniform: BITS_PRESETS[bits] }, rounding: method }, layerInputs, calib).graph;
      spent.push(((performance.now() - t0) / 1000).toFixed(1));
      cells.push(pct(accuracy(runBatched(q, feeds).get(float.outputs[0])!, y)));
    }
    times.push(spent.join('/'));
  }
  rounding.push([...cells, times.join(' ; ')]);
}

/** Prints a table: its first `text` columns left-aligned, numbers right-aligned. */
function print(table: string[][], text: number): void {
  const widths = table[0].map((_, c) => Math.max(...table.map((r) => r[c].length)));
  for (const r of table) console.log(r.map((cell, c) => (c >= text ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  '));
}
console.log(`accuracy on each example's test slice (${availableExamples().map((e) => `${e.name}: ${e.testY().shape[0]} images`).join(', ')})\n`);
print(rows, 2);
console.log('\n--rounding (minmax calibration, per-channel weights; time: nearest/bias-correction/adaround seconds of quantizing, after calibration)\n');
print(rounding, 1);
