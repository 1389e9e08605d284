/** examples/wasm-page in a real browser: the Fashion-MNIST model compiled with `qgc compile
 * --target wasm` next to the page, served on 127.0.0.1, loaded in headless Chromium (Debian's
 * package, driven by playwright-core); the prediction the page shows must be the integer
 * interpreter's for each bundled image. */
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readNpy } from '../src/io/npy.js';
import { readWasmFolder } from '../src/verify/wasm.js';
import { reference, samplesOf } from '../src/verify/reference.js';
import { cli } from './support/cli.js';
import { launchChromium, pageErrors, serveFolder } from './support/chromium.js';
import { CHROMIUM, needs } from './support/tools.js';

const roots: string[] = [];
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

function argmax(v: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
  return best;
}

describe('examples/wasm-page', () => {
  it('classifies the bundled images in headless Chromium as the integer interpreter does', async (ctx) => {
    needs(ctx, CHROMIUM);
    const root = mkdtempSync(join(tmpdir(), 'qgc-wasm-page-'));
    roots.push(root);
    const page = join(root, 'page');
    cpSync('examples/wasm-page', page, { recursive: true });
    const r = await cli('compile', 'examples/fashion-mnist/model.onnx', '--target', 'wasm', '--calib', 'examples/fashion-mnist/calib.npy', '-o', join(page, 'net'));
    expect(r.code, r.err).toBe(0);

    const { images } = JSON.parse(readFileSync(join(page, 'images.json'), 'utf8')) as { images: { label: number; pixels: number[] }[] };
    const graph = readWasmFolder(join(page, 'net')).graph;
    const x = readNpy('examples/fashion-mnist/test_x.npy');
    const ref = reference(graph, samplesOf(graph, x, images.length));
    const want = ref.outF!.map(argmax);

    const server = await serveFolder(page);
    const browser = await launchChromium();
    try {
      const tab = await browser.newPage();
      const errors = pageErrors(tab);
      for (let i = 0; i < images.length; i++) {
        await tab.goto(`${server.url}index.html?image=${i}`);
        const out = tab.locator('#prediction[data-index], #prediction[data-error]');
        await out.waitFor({ timeout: 30_000 });
        expect(await out.getAttribute('data-error'), await out.textContent() ?? '').toBeNull();
        expect(Number(await out.getAttribute('data-index')), `image ${i}`).toBe(want[i]);
      }
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
      await server.close();
    }
  }, 180_000);
});
