/**
 * Float interpreter speed: time per single-sample inference of qgc's reference
 * interpreter next to onnxruntime-node (one thread), for each example model.
 * Run: npm run bench   (not a test; numbers depend on the machine)
 */
import * as ort from 'onnxruntime-node';
import { macsOf } from '../src/ir/geometry.js';
import { loadModel } from '../src/onnx/load.js';
import { runGraph } from '../src/interp/run.js';
import { availableExamples } from '../test/support/examples.js';

const WARMUP = 5;
const ITERS = Number(process.env.BENCH_ITERS ?? 50);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const rows: string[][] = [['model', 'MACs', 'qgc interp (ms)', 'onnxruntime-node 1 thread (ms)', 'ratio']];
for (const ex of availableExamples()) {
  const { graph } = loadModel(ex.model);
  const x = ex.testX();
  const per = x.data.length / x.shape[0];
  const sample = (i: number) => ({ dtype: x.dtype, shape: [1, ...x.shape.slice(1)], data: x.data.subarray(i * per, (i + 1) * per) });
  const oursT: number[] = [];
  for (let i = 0; i < WARMUP + ITERS; i++) {
    const t0 = performance.now();
    runGraph(graph, new Map([[graph.inputs[0], sample(i % x.shape[0]) as never]]));
    if (i >= WARMUP) oursT.push(performance.now() - t0);
  }
  const session = await ort.InferenceSession.create(ex.model, { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential' });
  const ortT: number[] = [];
  for (let i = 0; i < WARMUP + ITERS; i++) {
    const s = sample(i % x.shape[0]);
    const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', s.data as Float32Array, s.shape) };
    const t0 = performance.now();
    await session.run(feeds);
    if (i >= WARMUP) ortT.push(performance.now() - t0);
  }
  await session.release();
  const macs = graph.nodes.reduce((s, n) => s + macsOf(graph, n), 0);
  const a = median(oursT);
  const b = median(ortT);
  rows.push([ex.name, String(macs), a.toFixed(3), b.toFixed(3), `${(a / b).toFixed(1)}x`]);
}

const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
console.log(`Float interpreter, batch 1, median of ${ITERS} runs (node ${process.version})\n`);
console.log(line(rows[0]));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const r of rows.slice(1)) console.log(line(r));
