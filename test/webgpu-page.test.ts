/** examples/webgpu-page and the WebGPU networks in a real browser: headless Chromium (Debian's
 * package, driven by playwright-core) with WebGPU on SwiftShader's Vulkan driver, which the
 * package ships. The models are compiled with `qgc compile --target webgpu` next to a copy of the
 * page, served on 127.0.0.1; every output byte the page's net returns, on both dot-product paths
 * (`dot4I8Packed` and the unpack-and-multiply fallback), must be the integer interpreter's. */
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import type { Graph } from '../src/ir/graph.js';
import { readNpy } from '../src/io/npy.js';
import { compareOutputs, describeMismatch } from '../src/verify/compare.js';
import type { SampleOutput } from '../src/verify/driver.js';
import { reference, samplesOf, type Reference } from '../src/verify/reference.js';
import { readWebgpuFolder } from '../src/verify/webgpu.js';
import { launchChromium, pageErrors, serveFolder, webgpuInPage, type ServedFolder } from './support/chromium.js';
import { cli } from './support/cli.js';
import { CHROMIUM, needs } from './support/tools.js';

const roots: string[] = [];
const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of closers.reverse()) await c();
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

/** One Chromium with WebGPU on SwiftShader and one copy of the page, shared by the tests. */
let shared: Promise<{ browser: Browser; server: ServedFolder; page: string }> | undefined;
function browserAndPage() {
  shared ??= (async () => {
    const root = mkdtempSync(join(tmpdir(), 'qgc-webgpu-page-'));
    roots.push(root);
    const page = join(root, 'page');
    cpSync('examples/webgpu-page', page, { recursive: true });
    const server = await serveFolder(page);
    closers.push(() => server.close());
    const browser = await launchChromium({ webgpu: 'swiftshader' });
    closers.push(() => browser.close());
    return { browser, server, page };
  })();
  return shared;
}

/** The page's network (examples/fashion-mnist compiled into page/net), compiled once. */
let pageNet: Promise<Graph> | undefined;
async function compilePageNet(page: string): Promise<Graph> {
  pageNet ??= compile(EXAMPLES[0], join(page, 'net'));
  return pageNet;
}

/** The examples: the float models are quantized on their calibration data, the QAT model's QDQ
 * compiles as it is (it is tested on the Fashion-MNIST test images). */
const EXAMPLES = [
  { name: 'fashion-mnist', model: 'examples/fashion-mnist/model.onnx', calib: 'examples/fashion-mnist/calib.npy', testX: 'examples/fashion-mnist/test_x.npy' },
  ...['fashion-mnist-dwsep', 'fashion-mnist-residual', 'kws-dscnn'].map((name) => ({ name, model: `examples/${name}/model.onnx`, calib: `examples/${name}/calib.npy`, testX: `examples/${name}/test_x.npy` })),
  { name: 'fashion-mnist-qat', model: 'examples/fashion-mnist-qat/model.onnx', testX: 'examples/fashion-mnist/test_x.npy' },
];

async function compile(example: (typeof EXAMPLES)[number], out: string): Promise<Graph> {
  const r = await cli('compile', example.model, '--target', 'webgpu', ...(example.calib ? ['--calib', example.calib] : []), '-o', out);
  expect(r.code, r.err).toBe(0);
  return readWebgpuFolder(out).graph;
}

/** The two dot-product paths, as createNet's `dotProduct` option and the page's `?dot=` name them. */
const PATHS = [{ dotProduct: 'packed', name: 'dot4I8Packed' }, { dotProduct: 'unpacked', name: 'unpack and multiply' }] as const;
type DotProduct = (typeof PATHS)[number]['dotProduct'];

/** What test/support/webgpu-run-in-page.js returns: output bytes per sample. */
interface InPage { dotProduct: string; batch8: number[][]; batchF: number[][]; one8: number[][]; oneF: number[][] }
const RUN_IN_PAGE = readFileSync('test/support/webgpu-run-in-page.js', 'utf8');
/** Samples of the float entry points (`runBatchF32`), and of the one-sample calls (`run`,
 * `runF32`). The float path is the int8 path with the boundary Quantize and Dequantize in
 * net.js around it; SwiftShader runs every sample on the CPU, so the int8 batch alone takes all. */
const FLOAT_SAMPLES = 16;
const SINGLE_SAMPLES = 4;

/** Runs the net whose net.js is at `url` in the page, on a GPUDevice of its own: `runBatch` on
 * every int8 input in one submission, `runBatchF32` on the first FLOAT_SAMPLES float inputs,
 * `run` and `runF32` on the first SINGLE_SAMPLES. (The browser side is a plain module: a function
 * passed to page.evaluate would reach the browser as vitest transformed it, dynamic import included.) */
async function runInPage(tab: Page, url: string, ref: Reference, dotProduct: DotProduct): Promise<InPage> {
  await tab.addScriptTag({ type: 'module', content: RUN_IN_PAGE });
  await tab.waitForFunction(() => 'qgcRunInPage' in globalThis);
  const args = { url, in8: ref.in8.map((v) => Array.from(v)), inF: ref.inF!.slice(0, FLOAT_SAMPLES).map((v) => Array.from(v)), dotProduct, single: SINGLE_SAMPLES };
  return tab.evaluate((a) => (globalThis as unknown as { qgcRunInPage: (x: typeof a) => Promise<InPage> }).qgcRunInPage(a), args);
}

/** The first difference from the interpreter as verify words it, or undefined when every byte is
 * the same; without `outF` only the int8 outputs are compared. */
function mismatch(ref: Reference, out8: number[][], outF: number[][] | undefined, who: string, api: string): string | undefined {
  const outputs: SampleOutput[] = (outF ? out8.slice(0, outF.length) : out8).map((y, index) => ({ index, instructions: 0n, stack: 0, out8: Uint8Array.from(y), outF: Uint8Array.from(outF?.[index] ?? []) }));
  const against: Reference = outF ? ref : { ...ref, outF: undefined };
  const m = compareOutputs(against, outputs);
  return m && describeMismatch(m, against, 'net', { who, run: `net.run${api}`, runF32: `net.run${api}F32` });
}

/** Every int8 output byte of every sample, and the float outputs of the first samples, equal to the interpreter's. */
async function expectBitExact(tab: Page, url: string, ref: Reference, path: (typeof PATHS)[number]): Promise<void> {
  const r = await runInPage(tab, url, ref, path.dotProduct);
  const who = `WebGPU in Chromium (${path.name})`;
  expect(r.dotProduct).toBe(path.dotProduct);
  expect(r.batch8.length).toBe(ref.count);
  expect(mismatch(ref, r.batch8, undefined, who, 'Batch')).toBeUndefined();
  expect(r.batchF.length).toBe(Math.min(FLOAT_SAMPLES, ref.count));
  expect(mismatch(ref, r.batch8, r.batchF, who, 'Batch')).toBeUndefined();
  expect(mismatch(ref, r.one8, r.oneF, who, '')).toBeUndefined();
}

const CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

function argmax(v: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
  return best;
}

describe('examples/webgpu-page in headless Chromium (WebGPU on SwiftShader)', () => {
  it('the page sees navigator.gpu on SwiftShader with packed_4x8_integer_dot_product', async (ctx) => {
    needs(ctx, CHROMIUM);
    const { browser, server } = await browserAndPage();
    const tab = await browser.newPage();
    await tab.goto(`${server.url}images.json`);
    const gpu = await webgpuInPage(tab);
    expect(gpu.gpu).toBe(true);
    expect(gpu.adapter?.architecture).toBe('swiftshader');
    // Without it only the fallback shaders could be tested here.
    expect(gpu.languageFeatures).toContain('packed_4x8_integer_dot_product');
    await tab.close();
  });

  it('classifies the bundled images as labelled, on both dot-product paths, every output byte the interpreter\'s', async (ctx) => {
    needs(ctx, CHROMIUM);
    const { browser, server, page } = await browserAndPage();
    const graph = await compilePageNet(page);
    const { images } = JSON.parse(readFileSync(join(page, 'images.json'), 'utf8')) as { images: { label: number; pixels: number[] }[] };
    const x = readNpy('examples/fashion-mnist/test_x.npy');
    const ref = reference(graph, samplesOf(graph, x));
    const tab = await browser.newPage();
    const errors = pageErrors(tab);
    const out = tab.locator('#prediction');
    for (const path of PATHS) {
      await tab.goto(`${server.url}index.html?dot=${path.dotProduct}`);
      for (let i = 0; i < images.length; i++) {
        // The first image is shown on load; the others are picked in the page's menu.
        if (i > 0) await tab.locator('#pick').selectOption(String(i));
        await tab.locator(`#prediction[data-image="${i}"], #prediction[data-error]`).waitFor({ timeout: 60_000 });
        expect(await out.getAttribute('data-error'), await out.textContent() ?? '').toBeNull();
        expect(await tab.locator('#dot').textContent()).toBe(path.name);
        // The page's float logits, bit for bit the interpreter's dequantized output.
        const bits = (await out.getAttribute('data-logits'))!.split(' ').map((h) => parseInt(h, 16));
        expect(bits, `image ${i}, ${path.name}`).toEqual(Array.from(new Uint32Array(ref.outF![i].buffer, ref.outF![i].byteOffset, ref.outF![i].length)));
        expect(Number(await out.getAttribute('data-index')), `image ${i}`).toBe(argmax(ref.outF![i]));
        expect(Number(await out.getAttribute('data-index')), `image ${i}: the label`).toBe(images[i].label);
        expect(await out.textContent()).toBe(CLASSES[images[i].label]);
      }
      // Every test image through the page's net.js.
      await expectBitExact(tab, `${server.url}net/net.js`, ref, path);
    }
    expect(errors).toEqual([]);
    await tab.close();
  }, 300_000);

  it('in the browser, a wrong input throws naming the expected shape and a lost device rejects the pending run', async (ctx) => {
    needs(ctx, CHROMIUM);
    const { browser, server, page } = await browserAndPage();
    await compilePageNet(page);
    const tab = await browser.newPage();
    await tab.goto(`${server.url}images.json`);
    await tab.addScriptTag({ type: 'module', content: RUN_IN_PAGE });
    await tab.waitForFunction(() => 'qgcBadInputInPage' in globalThis);
    type Outcome = { wrongLength: string; wrongType: string; lost: string; afterLoss: string };
    const r = await tab.evaluate((a) => (globalThis as unknown as { qgcBadInputInPage: (x: typeof a) => Promise<Outcome> }).qgcBadInputInPage(a), { url: `${server.url}net/net.js`, size: 784 });
    expect(r.wrongLength).toMatch(/^TypeError: run: .*\[1, 1, 28, 28\] \(784 values\), got Int8Array of 785 values/);
    expect(r.wrongType).toMatch(/^TypeError: run: .*Int8Array of shape \[1, 1, 28, 28\].*got Float32Array/);
    // net.js's own message or the browser's mapAsync AbortError, whichever settles first; both say so.
    expect(r.lost).toMatch(/^(Error: the GPU device was lost|AbortError: .*Device was lost)/);
    expect(r.afterLoss).toMatch(/lost/);
    await tab.close();
  });

  for (const example of EXAMPLES.slice(1)) {
    it(`${example.name}: every test image on both dot-product paths, every output byte the interpreter's`, async (ctx) => {
      needs(ctx, CHROMIUM);
      const { browser, server, page } = await browserAndPage();
      const graph = await compile(example, join(page, example.name));
      const ref = reference(graph, samplesOf(graph, readNpy(example.testX)));
      const tab = await browser.newPage();
      const errors = pageErrors(tab);
      await tab.goto(`${server.url}images.json`);
      for (const path of PATHS) await expectBitExact(tab, `${server.url}${example.name}/net.js`, ref, path);
      expect(errors).toEqual([]);
      await tab.close();
    }, 300_000);
  }
});
