// The in-browser half of bench/webgpu.ts: loaded by the bench's page next to the compiled
// networks (`<example>/net.js`, `<example>/net.qdq.onnx`) and onnxruntime-web's dist files
// (`ort/`), all served from 127.0.0.1. bench/webgpu.ts calls `globalThis.webgpuBench.*` through
// playwright; every number it prints is measured here, with performance.now() around awaited
// calls that return the outputs on the CPU.
import * as ort from './ort/ort.webgpu.min.mjs';

ort.env.wasm.numThreads = 1;
ort.env.wasm.wasmPaths = new URL('./ort/', import.meta.url).href;

/** Loaded runtimes by id: { batch, run(i) → Promise (call i of the timing), int8(inputs) (qgc:
 * runBatch on int8 inputs) or outputs() (ORT: its float outputs on every sample), close() }. */
const runners = new Map();
/** qgc's nets share this device; onnxruntime-web makes its own on the same adapter. */
let device;

async function openDevice() {
  if (!navigator.gpu) throw new Error('navigator.gpu is missing (Chromium needs --enable-unsafe-webgpu and a secure context)');
  const adapter = await navigator.gpu.requestAdapter();
  if (!adapter) throw new Error('navigator.gpu.requestAdapter() found no adapter');
  device = await adapter.requestDevice();
  const { vendor, architecture, description } = adapter.info;
  return { vendor, architecture, description, languageFeatures: [...navigator.gpu.wgslLanguageFeatures].sort(), userAgent: navigator.userAgent };
}

const f32 = (samples) => samples.map((s) => Float32Array.from(s));

/** qgc's net for `example` on the page's device, with `dotProduct` 'packed' or 'unpacked'; `batch` samples per call. */
async function loadQgc(id, example, dotProduct, batch, samples) {
  const { createNet } = await import(`./${example}/net.js`);
  const net = await createNet(device, { dotProduct, batch: Math.max(batch, samples.length) });
  const xs = f32(samples);
  const groups = Array.from({ length: Math.ceil(xs.length / batch) }, (_, g) => xs.slice(g * batch, (g + 1) * batch));
  runners.set(id, {
    batch,
    run: (i) => (batch === 1 ? net.runF32(xs[i % xs.length]) : net.runBatchF32(groups[i % groups.length])),
    int8: async (inputs) => (await net.runBatch(inputs.map((x) => Int8Array.from(x)))).map((y) => Array.from(y)),
    close: () => net.destroy(),
  });
  return { dotProduct: net.dotProduct };
}

/** Creates and releases a session with verbose logging: onnxruntime prints on the console how many
 * nodes it placed on each execution provider, which bench/webgpu.ts reads there. */
async function logPlacements(model) {
  const s = await ort.InferenceSession.create(model, { executionProviders: ['webgpu'], logSeverityLevel: 0, logVerbosityLevel: 0 });
  await s.release();
}

/** onnxruntime-web's WebGPU EP on the QDQ model `model` (a URL; its batch is `batch`). */
async function loadOrt(id, model, batch, samples, shape) {
  const s = await ort.InferenceSession.create(model, { executionProviders: ['webgpu'] });
  const [input] = s.inputNames;
  const [output] = s.outputNames;
  const per = samples[0].length;
  const feeds = [];
  for (let g = 0; g * batch < samples.length; g++) {
    const data = new Float32Array(batch * per);
    samples.slice(g * batch, (g + 1) * batch).forEach((x, k) => data.set(x, k * per));
    feeds.push({ [input]: new ort.Tensor('float32', data, [batch, ...shape.slice(1)]) });
  }
  runners.set(id, {
    batch,
    run: async (i) => (await s.run(feeds[i % feeds.length]))[output].data,
    outputs: async () => {
      const all = [];
      for (const f of feeds) {
        const y = (await s.run(f))[output].data;
        const n = y.length / batch;
        for (let k = 0; k < batch; k++) all.push(Array.from(y.subarray(k * n, (k + 1) * n)));
      }
      return all;
    },
    close: () => s.release(),
  });
}

/** `count` timed calls of runner `id` (µs per call), after `warmup` untimed ones. */
async function time(id, warmup, count, start = 0) {
  const r = runners.get(id);
  for (let i = 0; i < warmup; i++) await r.run(i);
  const times = [];
  for (let i = start; i < start + count; i++) {
    const t0 = performance.now();
    await r.run(i);
    times.push((performance.now() - t0) * 1000);
  }
  return times;
}

globalThis.webgpuBench = {
  openDevice,
  loadQgc,
  loadOrt,
  logPlacements,
  time,
  int8: (id, inputs) => runners.get(id).int8(inputs),
  outputs: (id) => runners.get(id).outputs(),
  close: async (id) => {
    await runners.get(id)?.close();
    runners.delete(id);
  },
};
