/** The example models through the Wasm backend as a user runs them: `qgc compile --target wasm`
 * (quantized on their calibration data), then `qgc verify`, which loads the folder's net.js in
 * Node and runs the SIMD128 and the scalar module on all 256 test images: every byte of
 * `net.run` (int8) and `net.runF32` (float) equals the integer interpreter's. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { verifyWasmFolder } from '../src/verify/wasm.js';
import { cli } from './support/cli.js';
import { availableExamples } from './support/examples.js';

const roots: string[] = [];
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

describe('example models on the Wasm backend', () => {
  for (const ex of availableExamples()) {
    it(`${ex.name}: SIMD and scalar modules are bit-exact on all 256 test images (run and runF32)`, async () => {
      const root = mkdtempSync(join(tmpdir(), 'qgc-wasm-ex-'));
      roots.push(root);
      const dir = join(root, 'out');
      const c = await cli('compile', ex.model, '--target', 'wasm', '--calib', `${ex.dir}/calib.npy`, '-o', dir);
      expect(c.code, c.err).toBe(0);
      expect(c.out).toMatch(/net\.wasm: \d+ B module/);
      const r = await verifyWasmFolder({ dir, inputs: `${ex.dir}/test_x.npy` });
      expect(r.modules.map((m) => m.variant)).toEqual(['simd', 'scalar']);
      for (const m of r.modules) {
        expect(m.mismatch, m.message).toBeUndefined();
        expect(m.samples).toBe(256);
        // 10 int8 logits and 10 float logits per image.
        expect(m.bytes).toBe(256 * 10 * 5);
      }
      const report = JSON.parse(readFileSync(join(dir, 'net_report.json'), 'utf8')) as { totals: { arenaBytes: number; arenaLowerBound: number }; modules: { memoryBytes: number; usedBytes: number }[] };
      expect(report.totals.arenaBytes).toBe(report.totals.arenaLowerBound);
      for (const m of report.modules) expect(m.memoryBytes).toBe(Math.ceil(m.usedBytes / 65536) * 65536);
      // The CLI prints the same verdict as a table.
      const v = await cli('verify', dir, '--inputs', `${ex.dir}/test_x.npy`, '--limit', '16');
      expect(v.code, v.err).toBe(0);
      expect(v.out).toMatch(/wasm simd \(node\)\s+folder\s+16\s+800\s+bit-exact/);
      expect(v.out).toMatch(/wasm scalar \(node\)\s+folder\s+16\s+800\s+bit-exact/);
    }, 300_000);
  }
});
