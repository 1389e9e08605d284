/** The example models through the WebGPU backend as a user runs them: `qgc compile --target
 * webgpu` (quantized on their calibration data), then `qgc verify`, which loads the folder's
 * net.js in Node and runs its shaders on Dawn (SwiftShader's Vulkan driver in CI) with both dot
 * products (dot4I8Packed and unpack-and-multiply): every byte of `net.run`, `net.runBatch` and
 * `net.runF32` on the test images equals the integer interpreter's. One device for the file. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dawnDevice, type DawnDevice } from '../src/verify/dawn.js';
import { verifyWebgpuFolder } from '../src/verify/webgpu.js';
import { cli } from './support/cli.js';
import { availableExamples } from './support/examples.js';
import { DAWN, describeNeeding } from './support/tools.js';

const roots: string[] = [];
let device: DawnDevice;

describeNeeding([DAWN], 'example models on the WebGPU backend (Dawn)', () => {
  beforeAll(async () => {
    device = (await dawnDevice()).device;
  });
  afterAll(() => {
    device?.destroy();
    for (const r of roots) rmSync(r, { recursive: true, force: true });
  });

  for (const ex of availableExamples()) {
    it(`${ex.name}: both dot products bit-exact on the test images (run, runBatch, runF32)`, async () => {
      const root = mkdtempSync(join(tmpdir(), 'qgc-webgpu-ex-'));
      roots.push(root);
      const dir = join(root, 'out');
      const c = await cli('compile', ex.model, '--target', 'webgpu', '--calib', `${ex.dir}/calib.npy`, '-o', dir);
      expect(c.code, c.err).toBe(0);
      expect(c.out).toMatch(/net\.linear\.wgsl \(\+ net\.linear\.dp4a\.wgsl\)/);
      const r = await verifyWebgpuFolder({ dir, inputs: `${ex.dir}/test_x.npy`, limit: LIMIT, device });
      expect(r.paths.map((p) => p.path)).toEqual(['packed', 'unpacked']);
      for (const p of r.paths) {
        expect(p.mismatch, p.message).toBeUndefined();
        expect(p.samples).toBe(LIMIT);
        expect(p.bytes).toBe(LIMIT * 10 * 5);
      }
      console.log(`${ex.name} on ${r.adapter}: ${r.paths.map((p) => `${p.path} ${(p.medianUs / 1000).toFixed(1)} ms/run, ${(p.batchUsPerSample / 1000).toFixed(1)} ms/sample in a batch of ${p.samples}`).join('; ')}`);
    }, 300_000);
  }
});

/** Test images per example (of the 256 each ships): SwiftShader runs on the CI machine's CPU. */
const LIMIT = 32;
