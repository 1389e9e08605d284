/**
 * qgc's WebGPU networks against onnxruntime-web's WebGPU execution provider, in one headless
 * Chromium (Debian's chromium through playwright-core), on the same QDQ model. For each example
 * the float model is compiled with `qgc compile --target webgpu` (quantized on its calibration
 * data); onnxruntime-web runs the `net.qdq.onnx` of that compile, so both run the same int8
 * network. Timed, with performance.now() in the page around awaited calls that return the outputs
 * to the CPU, on the example's first 64 test samples:
 *
 * - batch 1: qgc `net.runF32(x)` (float in, float out, like the ORT session) and ORT `session.run`
 *   on the batch-1 model;
 * - batch 64: qgc `net.runBatchF32(xs)` (64 samples in one submission) and ORT `session.run` on a
 *   copy of the QDQ model with batch 64 (the input, output and Reshape batch set to 64; checked
 *   to give ORT's batch-1 outputs);
 * - qgc on both dot-product paths: `dot4I8Packed` (where the browser has
 *   packed_4x8_integer_dot_product) and the unpack-and-multiply fallback.
 *
 * Runs are interleaved in rounds (each runtime takes its turn every round). Prints a markdown
 * table: median and p10–p90 µs per sample; for onnxruntime-web, how many of its int8 output bytes
 * differ from qgc's (ORT's float outputs are its int8 outputs dequantized by the model's last
 * DequantizeLinear: dividing by the output scale and adding the zero point gives those int8 values
 * back exactly); and whether qgc's int8 bytes (`net.runBatch`) equal the integer interpreter's.
 *
 * SwiftShader (the default: WebGPU on the CPU) is for catching regressions, not for judging GPU
 * speed. On a machine with a GPU, `--adapter hardware` runs the same bench on Chromium's default
 * adapter; the table names the adapter it ran on.
 *
 * Run: npm run bench:webgpu [-- --runs 20 --batch-runs 4 --warmup 2 --adapter hardware kws-dscnn]
 */
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ConsoleMessage, Page } from 'playwright-core';
import { main as qgc } from '../src/cli/main.js';
import { macsOf } from '../src/ir/geometry.js';
import { readNpy } from '../src/io/npy.js';
import { exportQdq } from '../src/onnx/export-qdq.js';
import { decodeModel, int64ToNumber, onnx } from '../src/onnx/proto.js';
import { boundary, reference, samplesOf } from '../src/verify/reference.js';
import { readWebgpuFolder } from '../src/verify/webgpu.js';
import { launchChromium, serveFolder, type WebgpuAdapterChoice } from '../test/support/chromium.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const EXAMPLES = ['fashion-mnist', 'fashion-mnist-dwsep', 'fashion-mnist-residual', 'kws-dscnn'];
/** Test samples per example: the batch-64 runs take all of them at once, the batch-1 runs cycle through them. */
const SAMPLES = 64;
const BATCHES = [1, SAMPLES] as const;
const ORT_DIST = join(ROOT, 'node_modules', 'onnxruntime-web', 'dist');

interface Options { runs: number; batchRuns: number; warmup: number; adapter: WebgpuAdapterChoice; examples: string[] }

function parseArgs(): Options {
  const a = process.argv.slice(2);
  const o: Options = { runs: 20, batchRuns: 4, warmup: 2, adapter: 'swiftshader', examples: [] };
  for (let i = 0; i < a.length; i++) {
    if (a[i] === '--runs') o.runs = Number(a[++i]);
    else if (a[i] === '--batch-runs') o.batchRuns = Number(a[++i]);
    else if (a[i] === '--warmup') o.warmup = Number(a[++i]);
    else if (a[i] === '--adapter') {
      const v = a[++i];
      if (v !== 'swiftshader' && v !== 'hardware') throw new Error(`--adapter ${v}: use swiftshader or hardware`);
      o.adapter = v;
    } else if (a[i].startsWith('-')) throw new Error(`unknown option ${a[i]} (use --runs N, --batch-runs N, --warmup N, --adapter swiftshader|hardware, example names)`);
    else o.examples.push(a[i]);
  }
  if (!(o.runs >= 1 && o.batchRuns >= 1 && o.warmup >= 0)) throw new Error('--runs and --batch-runs must be ≥ 1, --warmup ≥ 0');
  const unknown = o.examples.filter((e) => !EXAMPLES.includes(e));
  if (unknown.length) throw new Error(`unknown example ${unknown.join(', ')} (one of ${EXAMPLES.join(', ')})`);
  return o;
}

/** The QDQ model with batch `n`: graph inputs and outputs get leading dim n, and each Reshape
 * whose constant shape starts with 1 (the models' flatten) starts with n. Anything else that
 * fixes the batch would make onnxruntime refuse the model or give other outputs than at batch 1,
 * which the bench checks. */
function withBatch(qdq: Uint8Array, n: number): Uint8Array {
  const model = decodeModel(qdq);
  const graph = model.graph!;
  for (const v of [...(graph.input ?? []), ...(graph.output ?? [])]) {
    const dims = v.type?.tensorType?.shape?.dim ?? [];
    if (!dims.length || int64ToNumber(dims[0].dimValue) !== 1) throw new Error(`'${v.name}' does not have batch 1`);
    dims[0] = { dimValue: n };
  }
  const initializers = new Map((graph.initializer ?? []).map((t) => [t.name, t]));
  for (const node of graph.node ?? []) {
    if (node.opType !== 'Reshape') continue;
    const shape = initializers.get(node.input![1]);
    const values = shape?.int64Data?.length ? shape.int64Data.map((v) => int64ToNumber(v)) : undefined;
    if (shape?.rawData?.length) {
      const view = new DataView(shape.rawData.buffer, shape.rawData.byteOffset, shape.rawData.byteLength);
      if (view.getBigInt64(0, true) === 1n) view.setBigInt64(0, BigInt(n), true);
    } else if (values && values[0] === 1) {
      shape!.int64Data = [n, ...values.slice(1)];
    }
  }
  graph.valueInfo = [];
  return Uint8Array.from(onnx.ModelProto.encode(model).finish());
}

interface Runner { id: string; label: string; batch: number; times: number[] }

interface ExampleResult {
  name: string;
  macs: number;
  runners: Runner[];
  /** ORT's int8 output bytes that differ from qgc's, and the largest difference in steps, per batch (of SAMPLES × outputs bytes). */
  ortDiffer: Map<number, { bytes: number; maxSteps: number }>;
  outputBytes: number;
  placements: Record<string, number>;
  checks: string[];
}

const call = <T>(page: Page, fn: string, ...args: unknown[]): Promise<T> =>
  page.evaluate(([f, a]) => (globalThis as unknown as Record<string, Record<string, (...x: unknown[]) => Promise<T>>>).webgpuBench[f as string](...(a as unknown[])), [fn, args] as const);

function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  return s[lo] + (s[Math.min(lo + 1, s.length - 1)] - s[lo]) * (pos - lo);
}

/** The nodes onnxruntime places on each execution provider for `model`, from the lines its
 * verbose log prints on the page's console while a session is created. */
async function ortPlacements(page: Page, model: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const read = (m: ConsoleMessage) => {
    const p = /Node\(s\) placed on \[(\w+)\]\. Number of nodes: (\d+)/.exec(m.text());
    if (p) out[p[1]] = Number(p[2]);
  };
  page.on('console', read);
  try {
    await call(page, 'logPlacements', model);
  } finally {
    page.off('console', read);
  }
  return out;
}

async function compile(name: string, root: string): Promise<string> {
  const dir = join(ROOT, 'examples', name);
  const out = join(root, name);
  let err = '';
  const code = await qgc(['node', 'qgc', 'compile', join(dir, 'model.onnx'), '--target', 'webgpu', '--calib', join(dir, 'calib.npy'), '-o', out], { out: () => {}, err: (s) => void (err += s) });
  if (code !== 0) throw new Error(`qgc compile ${name} --target webgpu failed: ${err.trim()}`);
  // The QDQ model of the compile; written here from the scheduled graph when the backend did not.
  if (!existsSync(join(out, 'net.qdq.onnx'))) writeFileSync(join(out, 'net.qdq.onnx'), exportQdq(readWebgpuFolder(out).graph));
  writeFileSync(join(out, `net.qdq.b${SAMPLES}.onnx`), withBatch(readFileSync(join(out, 'net.qdq.onnx')), SAMPLES));
  return out;
}

async function benchExample(page: Page, name: string, root: string, o: Options): Promise<ExampleResult> {
  process.stderr.write(`${name}: compiling...\n`);
  const dir = await compile(name, root);
  const { graph } = readWebgpuFolder(dir);
  const macs = graph.nodes.reduce((s, n) => s + macsOf(graph, n), 0);
  const x = readNpy(join(ROOT, 'examples', name, 'test_x.npy'));
  const ref = reference(graph, samplesOf(graph, x, SAMPLES));
  const floats = ref.inF!.map((v) => Array.from(v));
  const inputShape = graph.tensors.get(graph.inputs[0])!.shape;
  const outQuant = graph.tensors.get(boundary(graph).outputs[0].int8)!.quant!;
  const [scale, zeroPoint] = [outQuant.scale[0], outQuant.zeroPoint[0]];

  process.stderr.write(`${name}: loading...\n`);
  const runners: Runner[] = [];
  const checks: string[] = [];
  const want = ref.out8.map((v) => Array.from(v));
  const same = (a: number[][], b: number[][]) => a.filter((y, i) => y.length === b[i].length && y.every((v, k) => v === b[i][k])).length;
  let qgcBytes: number[][] = [];
  for (const dotProduct of ['packed', 'unpacked'] as const) {
    const path = dotProduct === 'packed' ? 'dot4I8Packed' : 'unpack and multiply';
    for (const batch of BATCHES) {
      const id = `${name}/qgc/${path}/${batch}`;
      const got = await call<{ dotProduct: string }>(page, 'loadQgc', id, name, dotProduct, batch, floats);
      if (got.dotProduct !== dotProduct) throw new Error(`${id}: the net runs '${got.dotProduct}' dot products, not '${dotProduct}'`);
      runners.push({ id, label: `qgc, ${path}`, batch, times: [] });
    }
    const bytes = await call<number[][]>(page, 'int8', `${name}/qgc/${path}/1`, ref.in8.map((v) => Array.from(v)));
    checks.push(`qgc ${path} vs qgc's integer interpreter (net.runBatch, int8 bytes): ${same(bytes, want) === SAMPLES ? 'equal' : 'DIFFERENT'} on ${same(bytes, want)}/${SAMPLES} samples`);
    if (dotProduct === 'packed') qgcBytes = bytes;
  }
  const ortDiffer = new Map<number, { bytes: number; maxSteps: number }>();
  let placements: Record<string, number> = {};
  const ortOutputs: number[][][] = [];
  for (const batch of BATCHES) {
    const id = `${name}/ort/${batch}`;
    const model = `${name}/${batch === 1 ? 'net.qdq.onnx' : `net.qdq.b${batch}.onnx`}`;
    await call(page, 'loadOrt', id, model, batch, floats, inputShape);
    if (batch === 1) placements = await ortPlacements(page, model);
    runners.push({ id, label: 'onnxruntime-web, WebGPU EP', batch, times: [] });
    const y = await call<number[][]>(page, 'outputs', id);
    const q = y.map((v) => v.map((f) => Math.max(-128, Math.min(127, Math.round(f / scale) + zeroPoint))));
    ortOutputs.push(q);
    const steps = q.flatMap((v, i) => v.map((b, k) => Math.abs(b - qgcBytes[i][k])));
    ortDiffer.set(batch, { bytes: steps.filter((d) => d !== 0).length, maxSteps: Math.max(...steps) });
  }
  checks.push(`onnxruntime-web at batch ${SAMPLES} vs at batch 1: ${same(ortOutputs[1], ortOutputs[0]) === SAMPLES ? 'equal' : 'DIFFERENT'} on ${same(ortOutputs[1], ortOutputs[0])}/${SAMPLES} samples`);

  process.stderr.write(`${name}: timing...\n`);
  for (const r of runners) await call(page, 'time', r.id, o.warmup, 0);
  const rounds = Math.max(o.runs, o.batchRuns);
  for (let k = 0; k < rounds; k++) {
    for (const r of runners) {
      const count = r.batch === 1 ? o.runs : o.batchRuns;
      if (k < count) r.times.push(...(await call<number[]>(page, 'time', r.id, 0, 1, k)).map((t) => t / r.batch));
    }
  }
  for (const r of runners) await call(page, 'close', r.id);
  return { name, macs, runners, ortDiffer, outputBytes: SAMPLES * ref.out8[0].length, placements, checks };
}

const us = (v: number) => (v >= 100 ? v.toFixed(0) : v.toFixed(1));
const mega = (v: number) => `${(v / 1e6).toFixed(2)} M`;

function print(results: readonly ExampleResult[], o: Options, device: { vendor: string; architecture: string; description: string; userAgent: string }): void {
  const lines: string[] = [];
  const chrome = /Chrome\/([\d.]+)/.exec(device.userAgent)?.[1] ?? '?';
  const adapter = [device.vendor, device.architecture, device.description].filter(Boolean).join(' ');
  lines.push(`WebGPU benchmark: headless Chromium ${chrome}, adapter ${adapter || 'unnamed'}${o.adapter === 'swiftshader' ? ' (SwiftShader: WebGPU on the CPU, for regressions only)' : ''}; ` +
    `µs per sample, median and p10–p90 over ${o.runs} calls at batch 1 and ${o.batchRuns} calls at batch ${SAMPLES}, after ${o.warmup} warm-up calls, interleaved.`, '');
  lines.push(`| model | MACs | runtime | batch | µs / sample | p10–p90 | int8 output bytes ≠ qgc |`, '|---|---:|---|---:|---:|---:|---:|');
  for (const r of results) {
    for (const k of r.runners) {
      const d = r.ortDiffer.get(k.batch);
      const differ = k.label.startsWith('onnxruntime') && d ? `${d.bytes} / ${r.outputBytes} (max ${d.maxSteps} step${d.maxSteps === 1 ? '' : 's'})` : '';
      lines.push(`| ${r.name} | ${mega(r.macs)} | ${k.label} | ${k.batch} | ${us(quantile(k.times, 0.5))} | ${us(quantile(k.times, 0.1))}–${us(quantile(k.times, 0.9))} | ${differ} |`);
    }
  }
  // The same medians in ms, one row per model (the README's table).
  const ms = (r: ExampleResult, label: string, batch: number) => {
    const k = r.runners.find((x) => x.label === label && x.batch === batch);
    return k ? (quantile(k.times, 0.5) / 1000).toFixed(1) : '—';
  };
  lines.push('', 'Medians in ms per sample:', '', `| model | MACs | qgc dot4I8Packed, batch 1 | batch ${SAMPLES} | qgc unpack, batch 1 | batch ${SAMPLES} | ORT-web WebGPU, batch 1 | batch ${SAMPLES} | ORT int8 bytes ≠ qgc |`,
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of results) {
    const d = r.ortDiffer.get(1)!;
    const cells = ['qgc, dot4I8Packed', 'qgc, unpack and multiply', 'onnxruntime-web, WebGPU EP'].flatMap((l) => BATCHES.map((b) => ms(r, l, b)));
    lines.push(`| ${r.name} | ${mega(r.macs)} | ${cells.join(' | ')} | ${d.bytes} / ${r.outputBytes} (max ${d.maxSteps}) |`);
  }
  lines.push('', `Both run the QDQ model of the compile (\`net.qdq.onnx\`), float in and float out. ORT's int8 bytes: its float outputs divided by the output scale, rounded, plus the zero point ` +
    `(exact: they are the int8 outputs its last DequantizeLinear dequantized), against qgc's \`net.runBatch\` bytes on the same ${SAMPLES} test samples.`, '');
  for (const r of results) {
    const placed = Object.entries(r.placements).map(([ep, n]) => `${n} on ${ep}`).join(', ');
    lines.push(`Checks, ${r.name}:`, ...r.checks.map((c) => `- ${c}`), `- onnxruntime-web node placement: ${placed || 'not reported'}`, '');
  }
  process.stdout.write(lines.join('\n'));
}

async function main(): Promise<void> {
  const o = parseArgs();
  const root = mkdtempSync(join(tmpdir(), 'qgc-bench-webgpu-'));
  symlinkSync(ORT_DIST, join(root, 'ort'));
  copyFileSync(join(ROOT, 'bench', 'webgpu-browser.js'), join(root, 'bench.js'));
  writeFileSync(join(root, 'index.html'), '<!doctype html>\n<meta charset="utf-8">\n<title>qgc WebGPU bench</title>\n<script type="module" src="bench.js"></script>\n');
  const server = await serveFolder(root);
  const browser = await launchChromium({ webgpu: o.adapter });
  const results: ExampleResult[] = [];
  try {
    const page = await browser.newPage();
    page.on('pageerror', (e) => process.stderr.write(`page error: ${e.message}\n`));
    // Everything comes from the local server: a request elsewhere (a CDN fallback) would be measured too.
    const external: string[] = [];
    page.on('request', (r) => {
      if (!/^(data|blob):/.test(r.url()) && !r.url().startsWith(server.url)) external.push(r.url());
    });
    await page.goto(`${server.url}index.html`);
    await page.waitForFunction(() => 'webgpuBench' in globalThis);
    const device = await call<{ vendor: string; architecture: string; description: string; userAgent: string }>(page, 'openDevice');
    for (const name of o.examples.length ? o.examples : EXAMPLES) results.push(await benchExample(page, name, root, o));
    if (external.length) throw new Error(`the bench page fetched from outside the local server: ${[...new Set(external)].join(', ')}`);
    print(results, o, device);
  } finally {
    await browser.close();
    await server.close();
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
