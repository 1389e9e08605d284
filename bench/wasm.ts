/**
 * qgc's WebAssembly modules against onnxruntime, in one Node process, single-threaded. For each
 * example model the float model is quantized by qgc (`qgc quantize`: the int8 QDQ model), and
 * then timed, one inference at a time on the example's test samples:
 *
 * - onnxruntime-web (its wasm backend: the SIMD build, `numThreads = 1`, loaded from
 *   node_modules/onnxruntime-web/dist) on the QDQ model and on the float model;
 * - onnxruntime-node (CPU, one intra-op and one inter-op thread) on both;
 * - qgc's SIMD and scalar modules (`qgc compile qdq.onnx --target wasm`, `net.runF32`: float in,
 *   float out like the ORT sessions), when src/backends/wasm/ exists in this tree.
 *
 * Runs are interleaved in blocks (every runtime takes its turn in each round), so a change in the
 * machine's load falls on all of them alike. Prints a markdown table: median and p10–p90 in µs,
 * module bytes, the ratios; and whether ORT-web's int8 outputs agree with qgc's integer
 * interpreter within one quantization step (a tolerance check: ORT requantizes in float, qgc in
 * integer arithmetic; `qgc verify` is the bit-exact oracle), and qgc's modules with it exactly.
 *
 * Run: npm run bench:wasm [-- --runs 300 --warmup 30 --layers kws-dscnn]
 * `--layers` times each step of qgc's SIMD module alone, when the module exports `steps` (an
 * array of { name, op }) and `runStep(i)`.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as ortNode from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web';
import { describeSteps, endToEnd, interpreterInt8, perOp } from './wasm-checks.js';
import { main as qgc } from '../src/cli/main.js';
import { quantizeToFile } from '../src/cli/quantize.js';
import { macsOf } from '../src/ir/geometry.js';
import { runGraph } from '../src/interp/run.js';
import { readNpy } from '../src/io/npy.js';
import type { Value } from '../src/interp/types.js';
import { loadModel } from '../src/onnx/load.js';
import { lowerQdq } from '../src/passes/lower-qdq.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const EXAMPLES = ['fashion-mnist', 'fashion-mnist-dwsep', 'fashion-mnist-residual', 'kws-dscnn'];
/** Test samples each runtime cycles through (and the agreement checks cover). */
const SAMPLES = 64;
/** Samples of the per-op check (one session per op). */
const PER_OP_SAMPLES = 8;
/** Runs per runtime per round of the interleaved schedule. */
const BLOCK = 10;
const ORT_DIST = join(ROOT, 'node_modules', 'onnxruntime-web', 'dist');
/** The files onnxruntime-web's wasm backend loads: named explicitly, so these are the ones measured. */
const ORT_WEB_FILES = { wasm: join(ORT_DIST, 'ort-wasm-simd-threaded.wasm'), mjs: join(ORT_DIST, 'ort-wasm-simd-threaded.mjs') };
/** The API bundle a page imports before those (in Node the package resolves to ort.node.min.mjs). */
const ORT_WEB_API = join(ORT_DIST, 'ort.wasm.min.mjs');

interface Options { runs: number; warmup: number; layers: boolean; examples: string[] }

function parseArgs(): Options {
  const a = process.argv.slice(2);
  const o: Options = { runs: 300, warmup: 30, layers: false, examples: [] };
  for (let i = 0; i < a.length; i++) {
    if (a[i] === '--runs') o.runs = Number(a[++i]);
    else if (a[i] === '--warmup') o.warmup = Number(a[++i]);
    else if (a[i] === '--layers') o.layers = true;
    else if (a[i].startsWith('-')) throw new Error(`unknown option ${a[i]} (use --runs N, --warmup N, --layers, example names)`);
    else o.examples.push(a[i]);
  }
  if (!(o.runs >= 1 && o.warmup >= 0)) throw new Error('--runs must be ≥ 1 and --warmup ≥ 0');
  if (o.runs < 200 || o.warmup < 20) process.stderr.write(`warning: ${o.runs} runs after ${o.warmup} warm-up runs; the published table uses ≥ 200 after ≥ 20\n`);
  const unknown = o.examples.filter((e) => !EXAMPLES.includes(e));
  if (unknown.length) throw new Error(`unknown example ${unknown.join(', ')} (one of ${EXAMPLES.join(', ')})`);
  return o;
}

/** One inference on test sample `i`; a runtime's promise is awaited inside the timing. */
interface Runner {
  label: string;
  bytes?: number;
  run: (i: number) => unknown;
  times: number[];
}

/** The loader API that qgc's `net.js` exports (issue #10); the per-step members are optional. */
interface QgcNet {
  run(x: Int8Array): Int8Array;
  runF32(x: Float32Array): Float32Array;
  steps?: readonly { name: string; op?: string }[];
  runStep?: (i: number) => void;
}
interface QgcModule { createNet(source?: Uint8Array): Promise<QgcNet> }

interface Sample { data: Float32Array; shape: number[] }

function samplesOf(dir: string): Sample[] {
  const x = readNpy(join(dir, 'test_x.npy'));
  if (x.dtype !== 'float32') throw new Error(`${dir}/test_x.npy is ${x.dtype}, expected float32`);
  const per = x.data.length / x.shape[0];
  const n = Math.min(SAMPLES, x.shape[0]);
  return Array.from({ length: n }, (_, i) => ({ data: (x.data as Float32Array).slice(i * per, (i + 1) * per), shape: [1, ...x.shape.slice(1)] }));
}

async function timeAll(runners: readonly Runner[], o: Options, n: number): Promise<void> {
  const once = async (r: Runner, i: number): Promise<number> => {
    const t0 = performance.now();
    const p = r.run(i % n);
    if (p instanceof Promise) await p;
    return (performance.now() - t0) * 1000;
  };
  for (const r of runners) for (let i = 0; i < o.warmup; i++) await once(r, i);
  for (let done = 0; done < o.runs; done += BLOCK) {
    for (const r of runners) for (let i = done; i < Math.min(o.runs, done + BLOCK); i++) r.times.push(await once(r, i));
  }
}

function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  return s[lo] + (s[Math.min(lo + 1, s.length - 1)] - s[lo]) * (pos - lo);
}

const WEB_OPTIONS = { executionProviders: ['wasm'] };
const NODE_OPTIONS = { executionProviders: ['cpu'], intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential' } as const;

const ortWebSession = (model: string) => ortWeb.InferenceSession.create(model, WEB_OPTIONS);
const ortNodeSession = (model: string) => ortNode.InferenceSession.create(model, NODE_OPTIONS);

function webRunner(label: string, s: ortWeb.InferenceSession, samples: readonly Sample[], bytes: number): Runner {
  const feeds = samples.map((x) => ({ [s.inputNames[0]]: new ortWeb.Tensor('float32', x.data, x.shape) }));
  return { label, bytes, times: [], run: (i) => s.run(feeds[i]) };
}

function nodeRunner(label: string, s: ortNode.InferenceSession, samples: readonly Sample[]): Runner {
  const feeds = samples.map((x) => ({ [s.inputNames[0]]: new ortNode.Tensor('float32', x.data, x.shape) }));
  return { label, times: [], run: (i) => s.run(feeds[i]) };
}

interface ModelResult {
  name: string;
  macs: number;
  runners: Runner[];
  checks: string[];
  layers: string[];
}

async function qgcModules(qdq: string, dir: string): Promise<{ simd: QgcNet; scalar: QgcNet; bytes: { simd: number; scalar: number } }> {
  const out = join(dir, 'wasm');
  let err = '';
  const code = await qgc(['node', 'qgc', 'compile', qdq, '--target', 'wasm', '-o', out], { out: () => {}, err: (s) => void (err += s) });
  if (code !== 0) throw new Error(`qgc compile --target wasm failed: ${err.trim()}`);
  const js = join(out, 'net.js');
  const mod = (await import(pathToFileURL(js).href)) as QgcModule;
  const size = (f: string) => statSync(join(out, f)).size;
  return {
    simd: await mod.createNet(readFileSync(join(out, 'net.wasm'))),
    scalar: await mod.createNet(readFileSync(join(out, 'net.scalar.wasm'))),
    bytes: { simd: size('net.wasm') + size('net.js'), scalar: size('net.scalar.wasm') + size('net.js') },
  };
}

/** Each step of the SIMD module alone (after one full inference has filled the arena). */
function layerTimes(net: QgcNet, sample: Sample, runs: number): string[] {
  if (!net.steps || typeof net.runStep !== 'function') return ['per-layer times: not available (the module exports no `steps` and `runStep(i)`)'];
  net.runF32(sample.data);
  const rows = net.steps.map((s, i) => {
    for (let k = 0; k < 5; k++) net.runStep!(i);
    const t: number[] = [];
    for (let k = 0; k < runs; k++) {
      const t0 = performance.now();
      net.runStep!(i);
      t.push((performance.now() - t0) * 1000);
    }
    return { ...s, median: quantile(t, 0.5) };
  });
  const total = rows.reduce((a, r) => a + r.median, 0);
  return ['| step | node | op | median µs | share |', '|---:|---|---|---:|---:|',
    ...rows.map((r, i) => `| ${i} | ${r.name} | ${r.op ?? ''} | ${r.median.toFixed(1)} | ${((100 * r.median) / total).toFixed(1)}% |`)];
}

async function benchModel(name: string, o: Options, root: string, wasmBackend: boolean): Promise<ModelResult> {
  const dir = join(ROOT, 'examples', name);
  const floatModel = join(dir, 'model.onnx');
  const work = join(root, name);
  const qdq = join(work, 'model.qdq.onnx');
  const imported = loadModel(floatModel).graph;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  quantizeToFile(imported, { calib: [join(dir, 'calib.npy')] }, qdq);
  const int8 = lowerQdq(loadModel(qdq).graph); // the integer graph qgc's interpreter (and compile) runs
  const samples = samplesOf(dir);
  const macs = imported.nodes.reduce((s, n) => s + macsOf(imported, n), 0);

  const ortWebBytes = statSync(ORT_WEB_FILES.wasm).size + statSync(ORT_WEB_FILES.mjs).size;
  const webQ = await ortWebSession(qdq);
  const webF = await ortWebSession(floatModel);
  const nodeQ = await ortNodeSession(qdq);
  const nodeF = await ortNodeSession(floatModel);
  const runners: Runner[] = [
    webRunner('onnxruntime-web int8 (QDQ)', webQ, samples, ortWebBytes),
    webRunner('onnxruntime-web float', webF, samples, ortWebBytes),
    nodeRunner('onnxruntime-node int8 (QDQ)', nodeQ, samples),
    nodeRunner('onnxruntime-node float', nodeF, samples),
  ];

  // The checks: ORT's int8 results within one step of the interpreter's; qgc's modules equal to it.
  const checks: string[] = [];
  const values: Value[] = samples.map((x) => ({ dtype: 'float32', shape: x.shape, data: x.data }));
  const reference = values.map((x) => runGraph(int8, new Map([[int8.inputs[0], x]])).get(int8.outputs[0])!.data as Float32Array);
  const runtimes = [['onnxruntime-web', webQ, ortWeb, WEB_OPTIONS], ['onnxruntime-node', nodeQ, ortNode, NODE_OPTIONS]] as const;
  for (const [label, session, ort, options] of runtimes) {
    const ops = await perOp(int8, ort, options, values.slice(0, PER_OP_SAMPLES));
    checks.push(describeSteps(`${label}, each int8 op alone on the interpreter's int8 inputs (${PER_OP_SAMPLES} samples)`, ops.all) + `; worst ${ops.worst}`);
    const e2e = await endToEnd(int8, session, ort, values, reference);
    checks.push(e2e ? describeSteps(`${label}, whole network, output in steps (${values.length} samples)`, e2e) : `${label}: the output is not dequantized; no end-to-end check`);
  }

  let layers: string[] = [];
  if (wasmBackend) {
    const m = await qgcModules(qdq, work);
    const edges = values.map((x) => interpreterInt8(int8, x));
    for (const [label, net] of [['qgc SIMD', m.simd], ['qgc scalar', m.scalar]] as const) {
      let same = 0;
      for (let i = 0; i < samples.length; i++) {
        const e = edges[i];
        const [y, want] = e ? [net.run(e.input), e.output] : [net.runF32(samples[i].data), reference[i]];
        if (y.length === want.length && y.every((v, k) => Object.is(v, want[k]))) same++;
      }
      checks.push(`${label} vs qgc interpreter (${edges[0] ? 'net.run, int8 bytes' : 'net.runF32, floats'}): ` +
        `${same === samples.length ? 'equal' : 'DIFFERENT'} on ${same}/${samples.length} samples`);
    }
    runners.push({ label: 'qgc SIMD', bytes: m.bytes.simd, times: [], run: (i) => m.simd.runF32(samples[i].data) });
    runners.push({ label: 'qgc scalar', bytes: m.bytes.scalar, times: [], run: (i) => m.scalar.runF32(samples[i].data) });
    if (o.layers) layers = layerTimes(m.simd, samples[0], o.runs);
  } else if (o.layers) {
    layers = ['per-layer times: not available (qgc wasm: not built in this tree)'];
  }

  await timeAll(runners, o, samples.length);
  for (const s of [webQ, webF, nodeQ, nodeF]) await s.release();
  return { name, macs, runners, checks, layers };
}

const us = (v: number) => (v >= 100 ? v.toFixed(0) : v.toFixed(1));
const n0 = (v: number) => Math.round(v).toLocaleString('en-US');

function print(results: readonly ModelResult[], o: Options, wasmBackend: boolean): void {
  const lines: string[] = [];
  lines.push(`Wasm benchmark: one inference at a time, median and p10–p90 in µs over ${o.runs} runs after ${o.warmup} warm-up runs, ` +
    `runs interleaved in blocks of ${BLOCK}; node ${process.version}, onnxruntime-web ${ortWeb.env.versions.web ?? '?'} (wasm, SIMD, 1 thread), onnxruntime-node (1 thread).`, '');
  lines.push('| model | MACs | runtime | median µs | p10–p90 µs | module bytes |', '|---|---:|---|---:|---:|---:|');
  const median = (r: ModelResult, label: string) => {
    const x = r.runners.find((k) => k.label === label);
    return x ? quantile(x.times, 0.5) : undefined;
  };
  for (const r of results) {
    for (const k of r.runners) {
      lines.push(`| ${r.name} | ${n0(r.macs)} | ${k.label} | ${us(quantile(k.times, 0.5))} | ${us(quantile(k.times, 0.1))}–${us(quantile(k.times, 0.9))} | ${k.bytes === undefined ? '' : n0(k.bytes)} |`);
    }
    if (!wasmBackend) {
      lines.push(`| ${r.name} | ${n0(r.macs)} | qgc SIMD | qgc wasm: not built in this tree | | |`);
      lines.push(`| ${r.name} | ${n0(r.macs)} | qgc scalar | qgc wasm: not built in this tree | | |`);
    }
  }
  lines.push('', '| model | ORT-web int8 / qgc SIMD | ORT-web float / qgc SIMD | qgc SIMD / ORT-node int8 | qgc SIMD / ORT-node float | ORT-web int8 / ORT-node int8 |', '|---|---:|---:|---:|---:|---:|');
  const ratio = (a?: number, b?: number) => (a === undefined || b === undefined ? '—' : `${(a / b).toFixed(2)}×`);
  for (const r of results) {
    const [webQ, webF, nodeQ, nodeF, simd] = ['onnxruntime-web int8 (QDQ)', 'onnxruntime-web float', 'onnxruntime-node int8 (QDQ)', 'onnxruntime-node float', 'qgc SIMD'].map((l) => median(r, l));
    lines.push(`| ${r.name} | ${ratio(webQ, simd)} | ${ratio(webF, simd)} | ${ratio(simd, nodeQ)} | ${ratio(simd, nodeF)} | ${(webQ! / nodeQ!).toFixed(2)}× |`);
  }
  if (!wasmBackend) lines.push('', '—: qgc wasm: not built in this tree (no src/backends/wasm/).');
  lines.push('', `Module bytes: onnxruntime-web = ${ORT_WEB_FILES.wasm.slice(ROOT.length + 1)} + its loader ${ORT_WEB_FILES.mjs.split('/').pop()} ` +
    `(a page also imports the API bundle ${ORT_WEB_API.split('/').pop()}, ${n0(statSync(ORT_WEB_API).size)} B); qgc = net.wasm (or net.scalar.wasm) + net.js. ` +
    'ORT-web and ORT-node run the same QDQ model that `qgc quantize` writes (and the float model); qgc\'s modules are compiled from that QDQ model and timed through `runF32` (float in, float out, like the ORT sessions).', '');
  for (const r of results) {
    lines.push(`Checks, ${r.name}:`, ...r.checks.map((c) => `- ${c}`), '');
    if (r.layers.length) lines.push(`Per layer, ${r.name} (qgc SIMD):`, '', ...r.layers, '');
  }
  process.stdout.write(lines.join('\n'));
}

async function main(): Promise<void> {
  const o = parseArgs();
  ortWeb.env.wasm.numThreads = 1;
  ortWeb.env.wasm.wasmPaths = { wasm: pathToFileURL(ORT_WEB_FILES.wasm).href, mjs: pathToFileURL(ORT_WEB_FILES.mjs).href };
  const wasmBackend = existsSync(join(ROOT, 'src', 'backends', 'wasm'));
  if (!wasmBackend) process.stderr.write('qgc wasm: not built in this tree (no src/backends/wasm/); timing onnxruntime only\n');
  const root = mkdtempSync(join(tmpdir(), 'qgc-bench-wasm-'));
  const results: ModelResult[] = [];
  try {
    for (const name of o.examples.length ? o.examples : EXAMPLES) {
      process.stderr.write(`${name}...\n`);
      results.push(await benchModel(name, o, root, wasmBackend));
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  print(results, o, wasmBackend);
}

await main();
