/** examples/kws-dscnn: the keyword-spotting-sized DS-CNN imports with MLPerf Tiny's shape and
 * MAC count, its data has the input's shape, and it compiles for the Cortex-M4 (no QEMU here;
 * `qgc verify` of it is in the example's README). */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inspectGraph } from '../src/cli/inspect.js';
import { readNpy } from '../src/io/npy.js';
import { loadModel } from '../src/onnx/load.js';
import { cli } from './support/cli.js';

const DIR = 'examples/kws-dscnn';
/** 10×4 conv (320,000) + 4 × (depthwise 72,000 + pointwise 512,000) + FC 768. */
const MACS = 2_656_768;

describe('examples/kws-dscnn', () => {
  it('has the DS-CNN shape: 49x10 input, 10x4 stride-2 conv, four depthwise-separable blocks of 64 channels, 12 logits, 2.66 M MACs', () => {
    const { graph } = loadModel(join(DIR, 'model.onnx'));
    const r = inspectGraph(graph);
    expect(r.inputs).toEqual([{ name: 'input', dtype: 'float32', shape: [1, 1, 49, 10] }]);
    expect(r.outputs).toEqual([{ name: 'logits', dtype: 'float32', shape: [1, 12] }]);
    expect(r.totalMacs).toBe(MACS);
    const convs = graph.nodes.filter((n) => n.op === 'Conv');
    expect(convs.map((n) => n.op === 'Conv' && n.attrs.group)).toEqual([1, 64, 1, 64, 1, 64, 1, 64, 1]);
    expect(r.nodes.find((n) => n.name === 'conv1')).toMatchObject({ outputShape: [1, 64, 25, 5], macs: 320_000 });
  });

  it('has 64 calibration and 64 test samples shaped like the input', () => {
    for (const f of ['calib.npy', 'test_x.npy']) {
      const x = readNpy(join(DIR, f));
      expect([x.dtype, ...x.shape], f).toEqual(['float32', 64, 1, 49, 10]);
    }
  });

  it('compiles for cortex-m4 with its calibration data', async () => {
    const out = mkdtempSync(join(tmpdir(), 'qgc-kws-'));
    try {
      const r = await cli('compile', join(DIR, 'model.onnx'), '--target', 'cortex-m4', '--calib', join(DIR, 'calib.npy'), '-o', join(out, 'net'));
      expect(r.code, r.err).toBe(0);
      const report = JSON.parse(readFileSync(join(out, 'net', 'net_report.json'), 'utf8')) as { totals: { macs: number; arenaBytes: number } };
      expect(report.totals.macs).toBe(MACS);
      expect(report.totals.arenaBytes).toBeGreaterThan(0);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 60_000);

  it('compiles for Wasm, and qgc verify finds both modules bit-exact on all 64 test samples', async () => {
    const out = mkdtempSync(join(tmpdir(), 'qgc-kws-wasm-'));
    try {
      const c = await cli('compile', join(DIR, 'model.onnx'), '--target', 'wasm', '--calib', join(DIR, 'calib.npy'), '-o', join(out, 'net'));
      expect(c.code, c.err).toBe(0);
      const v = await cli('verify', join(out, 'net'), '--inputs', join(DIR, 'test_x.npy'));
      expect(v.code, v.err).toBe(0);
      for (const m of ['simd', 'scalar']) expect(v.out).toMatch(new RegExp(`wasm ${m} \\(node\\).*\\b64\\b.*bit-exact`));
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 120_000);
});
