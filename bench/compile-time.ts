/**
 * Compile time per phase, and the float interpreter next to onnxruntime-node.
 *
 *   npm run bench:compile [-- --readme] [--only resnet50,mobilenetv2] [--runs N]
 *
 * For each model: `qgc compile --target cortex-m4` in this process, timed per phase (load: read
 * the file; import: decode, validate, import; passes; calibration on the model's calibration
 * data, on as many worker threads as `qgc compile` uses; quantize; schedule; emit: the C text,
 * the schedule JSON and the QDQ export; write: the output folder), then the float interpreter's
 * time per inference next to onnxruntime-node with one thread (`intraOpNumThreads: 1`), median
 * of N runs after N warm-up runs, on the same random input (N = 4 * --runs for the examples).
 *
 * Models: the bundled examples (their calib.npy), and ResNet-50 and MobileNetV2 (torchvision's
 * architectures, random weights, 8 random calibration images) written by bench/models/generate.py
 * into the git-ignored .cache/bench-models/; when they are missing this script makes a venv
 * (.venv-bench, git-ignored) with torch and onnx from pip and runs the generator.
 * --readme rewrites the table between <!-- compile-bench --> markers in README.md.
 * Not a test: the numbers depend on the machine and its load (printed with the table).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { compileC, cProvider } from '../src/backends/c/emit.js';
import { writeOutputDir } from '../src/backends/c/output-dir.js';
import { runGraph } from '../src/interp/run.js';
import type { Graph } from '../src/ir/graph.js';
import { macsOf } from '../src/ir/geometry.js';
import { loadModelBytes, readFileChecked } from '../src/onnx/load.js';
import { runPipeline } from '../src/passes/pass.js';
import { optimizationPasses } from '../src/passes/pipeline.js';
import { quantizeGraph } from '../src/passes/quantize.js';
import { openCalibration } from '../src/quant/calib-data.js';
import { calibrationRanges, calibrationThreads, collectStats } from '../src/quant/calibrate.js';
import { buildSchedule } from '../src/schedule/build.js';
import { loadTarget } from '../src/targets/target.js';

const CACHE = '.cache/bench-models';
const VENV = '.venv-bench';
const PHASES = ['load', 'import', 'passes', 'calibration', 'quantize', 'schedule', 'emit', 'write'] as const;
type Phase = (typeof PHASES)[number];

interface Model {
  name: string;
  file: string;
  calib: string;
}

function args(): { readme: boolean; only: string[]; runs: number } {
  const a = process.argv.slice(2);
  const value = (flag: string) => {
    const i = a.indexOf(flag);
    return i >= 0 ? a[i + 1] : undefined;
  };
  return { readme: a.includes('--readme'), only: value('--only')?.split(',') ?? [], runs: Number(value('--runs') ?? 5) };
}

/** ResNet-50 and MobileNetV2 in the cache, generated (venv first) when missing. */
function generatedModels(): Model[] {
  const names = ['resnet50', 'mobilenetv2'];
  if (!names.every((n) => existsSync(join(CACHE, `${n}.onnx`)))) {
    if (!existsSync(join(VENV, 'bin/python'))) {
      process.stderr.write(`making ${VENV} (torch, onnx from pip)\n`);
      execFileSync('python3', ['-m', 'venv', VENV], { stdio: 'inherit' });
      execFileSync(join(VENV, 'bin/pip'), ['install', '-q', '--retries', '0', '--timeout', '2', 'torch==2.13.*', 'onnx', 'onnxscript'], { stdio: 'inherit' });
    }
    execFileSync(join(VENV, 'bin/python'), ['bench/models/generate.py', CACHE], { stdio: 'inherit' });
  }
  return names.map((n) => ({ name: n, file: join(CACHE, `${n}.onnx`), calib: join(CACHE, 'calib8.npy') }));
}

function exampleModels(): Model[] {
  return ['fashion-mnist', 'fashion-mnist-dwsep', 'fashion-mnist-residual', 'kws-dscnn']
    .map((n) => ({ name: n, file: `examples/${n}/model.onnx`, calib: `examples/${n}/calib.npy` }))
    .filter((m) => existsSync(m.file) && existsSync(m.calib));
}

/** One `qgc compile --target cortex-m4` of `m`, timed per phase (ms). */
function compileTimes(m: Model, outDir: string): { times: Record<Phase, number>; float: Graph; samples: number; threads: number } {
  const target = loadTarget('cortex-m4');
  const t = {} as Record<Phase, number>;
  let t0 = performance.now();
  const lap = (p: Phase) => {
    const now = performance.now();
    t[p] = now - t0;
    t0 = now;
  };
  const bytes = readFileChecked(m.file);
  lap('load');
  const { graph: imported } = loadModelBytes(bytes, { file: m.file });
  lap('import');
  const float = runPipeline(imported, optimizationPasses, { target });
  lap('passes');
  const threads = calibrationThreads(float);
  const stats = collectStats(float, openCalibration(float, [m.calib]).samples(), { threads });
  lap('calibration');
  const { graph } = quantizeGraph(float, calibrationRanges(stats, { method: 'minmax' }), {});
  lap('quantize');
  buildSchedule(graph, cProvider(target, 'cmsis-nn'));
  lap('schedule');
  // compileC schedules again: its emit time is what it takes beyond the schedule just timed.
  const c = compileC(graph, { target, kernels: 'cmsis-nn', name: 'net', qdq: true, modelName: m.name });
  lap('emit');
  t.emit = Math.max(0, t.emit - t.schedule);
  writeOutputDir(outDir, new Map<string, string | Uint8Array>([...c.files, ['net.qdq.onnx', c.qdq!]]));
  lap('write');
  return { times: t, float, samples: stats.samples, threads };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Median ms per inference of qgc's float interpreter and of onnxruntime-node (one thread). */
async function inferenceTimes(m: Model, runs: number): Promise<{ qgc: number; ort: number }> {
  const { graph } = loadModelBytes(readFileChecked(m.file), { file: m.file });
  const input = graph.tensors.get(graph.inputs[0])!;
  const data = Float32Array.from({ length: input.shape.reduce((a, d) => a * d, 1) }, (_, i) => Math.sin(i * 0.37));
  const feeds = new Map([[graph.inputs[0], { dtype: 'float32' as const, shape: input.shape, data }]]);
  // As many warm-up runs as timed ones: small networks need a few before V8 optimizes the kernels.
  const ours: number[] = [];
  for (let i = 0; i < 2 * runs; i++) {
    const t0 = performance.now();
    runGraph(graph, feeds);
    if (i >= runs) ours.push(performance.now() - t0);
  }
  const session = await ort.InferenceSession.create(m.file, { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential' });
  const theirs: number[] = [];
  for (let i = 0; i < 2 * runs; i++) {
    const t0 = performance.now();
    await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', data, input.shape) });
    if (i >= runs) theirs.push(performance.now() - t0);
  }
  await session.release();
  return { qgc: median(ours), ort: median(theirs) };
}

const fmt = (ms: number): string => (ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2));
const macsText = (g: Graph): string => {
  let macs = 0;
  for (const n of g.nodes) macs += macsOf(g, n);
  return macs >= 1e9 ? `${(macs / 1e9).toFixed(2)} G` : `${(macs / 1e6).toFixed(2)} M`;
};

async function main(): Promise<void> {
  const { readme, only, runs } = args();
  const models = [...exampleModels(), ...generatedModels()].filter((m) => only.length === 0 || only.includes(m.name));
  const root = mkdtempSync(join(tmpdir(), 'qgc-bench-compile-'));
  const head = ['model', 'nodes', 'MACs', ...PHASES.map((p) => `${p} ms`), 'compile s', 'qgc interp ms', 'onnxruntime-node ms', 'ratio'];
  const rows: string[][] = [];
  const loadBefore = loadavg()[0];
  try {
    for (const m of models) {
      const { times, float, samples, threads } = compileTimes(m, join(root, m.name));
      const total = PHASES.reduce((a, p) => a + times[p], 0);
      const inf = await inferenceTimes(m, m.name.startsWith('fashion') || m.name === 'kws-dscnn' ? 4 * runs : runs);
      rows.push([m.name, String(float.nodes.length), macsText(float), ...PHASES.map((p) => fmt(times[p])), (total / 1000).toFixed(2),
        fmt(inf.qgc), fmt(inf.ort), `${(inf.qgc / inf.ort).toFixed(1)}×`]);
      process.stderr.write(`${m.name}: compile ${(total / 1000).toFixed(2)} s (calibration ${samples} samples on ${threads} thread${threads === 1 ? '' : 's'}), interpreter ${fmt(inf.qgc)} ms, onnxruntime-node ${fmt(inf.ort)} ms\n`);
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  const table = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
  const note = `${cpus().length} cores (${cpus()[0]?.model.trim() ?? 'unknown CPU'}), load average ${loadBefore.toFixed(1)} before and ${loadavg()[0].toFixed(1)} after, Node ${process.version}`;
  process.stdout.write(`${table}\n\n${note}\n`);
  if (readme) {
    const text = readFileSync('README.md', 'utf8');
    const start = '<!-- compile-bench -->';
    const end = '<!-- /compile-bench -->';
    const a = text.indexOf(start);
    const b = text.indexOf(end);
    if (a < 0 || b < a) throw new Error(`README.md has no ${start} ... ${end} markers`);
    writeFileSync('README.md', `${text.slice(0, a + start.length)}\n${table}\n\nMeasured on ${note}.\n${text.slice(b)}`);
  }
}

await main();
