/** Calibration on worker threads (src/parallel/pool.ts): the histograms — every count, the grid,
 * min/max — and so the ranges of all three methods are identical for 1, 2 and 3 threads; a
 * non-finite activation fails with the same error; the built CLI (dist/, plain .js workers)
 * writes the same bytes with --threads 1 and 2. Under vitest the workers load the .ts sources. */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CompileError } from '../src/errors.js';
import { readNpy } from '../src/io/npy.js';
import { loadModel } from '../src/onnx/load.js';
import { runPipeline } from '../src/passes/pass.js';
import { optimizationPasses } from '../src/passes/pipeline.js';
import type { CalibSample } from '../src/quant/calib-data.js';
import { CALIB_METHODS, calibrationRanges, collectStats, type CalibrationStats } from '../src/quant/calibrate.js';
import { binBatch, Histogram } from '../src/quant/histogram.js';
import { tempFolders } from './support/tmp.js';

const tmp = tempFolders('qgc-calib-parallel-');
const dir = 'examples/fashion-mnist-residual';
const float = runPipeline(loadModel(`${dir}/model.onnx`).graph, optimizationPasses);
const calib = readNpy(`${dir}/calib.npy`);
const input = float.inputs[0];

function samples(count: number, poison?: number): CalibSample[] {
  const per = calib.data.length / calib.shape[0];
  return Array.from({ length: count }, (_, i) => {
    const data = (calib.data as Float32Array).slice(i * per, (i + 1) * per);
    if (i === poison) data[5] = Infinity;
    return { feeds: new Map([[input, { dtype: 'float32' as const, shape: [1, ...calib.shape.slice(1)], data }]]), file: 'calib.npy', index: i, progress: (i + 1) / count };
  });
}

/** Everything a histogram holds, for exact comparison. */
const state = (s: CalibrationStats) => [...s.histograms].map(([name, h]) => ({
  name, width: h.width, total: h.total, min: h.min, max: h.max,
  bins: [...h.counts].map((c, i) => [h.first + i, c]).filter(([, c]) => c !== 0),
}));

describe('parallel calibration', () => {
  it('gives the same histograms and ranges on 1, 2 and 3 threads', () => {
    const data = samples(24);
    const one = collectStats(float, data, { threads: 1 });
    expect(one.histograms.size).toBeGreaterThan(5);
    for (const threads of [2, 3]) {
      const progress: number[] = [];
      const many = collectStats(float, data, { threads, onProgress: (f) => progress.push(f) });
      expect(many.samples).toBe(24);
      expect(progress).toEqual(data.map((s) => s.progress));
      expect(state(many)).toEqual(state(one));
      for (const method of CALIB_METHODS) expect(calibrationRanges(many, { method })).toEqual(calibrationRanges(one, { method }));
    }
  });

  it('fails on the first non-finite sample with the same error', () => {
    const data = samples(9, 6);
    const errorOf = (threads: number) => {
      try {
        collectStats(float, data, { threads });
      } catch (e) {
        return e;
      }
      throw new Error('no error');
    };
    const one = errorOf(1) as CompileError;
    const two = errorOf(2) as CompileError;
    expect(one).toBeInstanceOf(CompileError);
    expect(two).toBeInstanceOf(CompileError);
    expect(two.format()).toBe(one.format());
    expect(one.message).toContain('on calibration sample 6');
  });

  it('merges a batch binned apart exactly as adding its values (constant, zero, tiny and wide batches)', () => {
    const batches = [
      new Float32Array([0, 0, 0]), new Float32Array([3.5, 3.5]), new Float32Array([1e-7, 2e-7, -1e-7]),
      Float32Array.from({ length: 5000 }, (_, i) => Math.sin(i) * 40), new Float32Array([-0.25]), new Float32Array([1e4, -3]),
    ];
    for (let start = 0; start < batches.length; start++) {
      const order = [...batches.slice(start), ...batches.slice(0, start)];
      const direct = new Histogram(64);
      const merged = new Histogram(64);
      for (const b of order) {
        direct.add(b);
        merged.addBinned(binBatch(b, 64));
      }
      expect({ ...merged, counts: [...merged.counts] }).toEqual({ ...direct, counts: [...direct.counts] });
    }
  });

  it('the built CLI writes the same files with --threads 1 and 2', (ctx) => {
    if (!existsSync('dist/cli/main.js')) {
      if (process.env.CI) throw new Error('dist/ is not built (npm run build)');
      ctx.skip('dist/ is not built: run npm run build');
    }
    const root = tmp();
    const outs = [1, 2].map((threads) => {
      const out = join(root, `t${threads}`);
      execFileSync(process.execPath, ['bin/qgc.js', 'compile', `${dir}/model.onnx`, '--target', 'cortex-m4', '--calib', `${dir}/calib.npy`, '--threads', String(threads), '-o', out]);
      return out;
    });
    const files = readdirSync(outs[0]).sort();
    expect(readdirSync(outs[1]).sort()).toEqual(files);
    for (const f of files) expect(readFileSync(join(outs[1], f)).equals(readFileSync(join(outs[0], f))), f).toBe(true);
  });
});
