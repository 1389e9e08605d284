/** Calibration: the streaming histogram and its three range methods, and the calibration data
 * reader's checks (shape, dtype, NaN/Infinity, folders, .pb files). */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CompileError, ErrorCode } from '../src/errors.js';
import { writeNpy } from '../src/io/npy.js';
import { onnx } from '../src/onnx/proto.js';
import { openCalibration } from '../src/quant/calib-data.js';
import { calibrationRanges, collectStats } from '../src/quant/calibrate.js';
import { Histogram, type Range } from '../src/quant/histogram.js';
import { activationParams } from '../src/quant/params.js';
import { convGraph, pseudoRandom } from './support/tiny-graphs.js';

/** Mean squared error of quantizing `data` to int8 with the parameters chosen for `r`. */
function quantMse(data: Float32Array, r: Range): number {
  const p = activationParams(r);
  let e = 0;
  for (const x of data) {
    const q = Math.min(127, Math.max(-128, Math.round(x / p.scale) + p.zeroPoint));
    e += (x - p.scale * (q - p.zeroPoint)) ** 2;
  }
  return e / data.length;
}

/** The exact q-quantile of data (nearest rank). */
function exactQuantile(data: Float32Array, q: number): number {
  const s = Float64Array.from(data).sort();
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

describe('Histogram', () => {
  const data = pseudoRandom(100_000, 7).map((v) => v * 3 + 1); // uniform in [-2, 4)

  it('keeps the exact min/max and every count, however the data is split into batches', () => {
    const whole = new Histogram();
    whole.add(data);
    const split = new Histogram();
    for (let i = 0; i < data.length; i += 777) split.add(data.subarray(i, i + 777));
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of data) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    for (const h of [whole, split]) {
      expect(h.minMax()).toEqual({ min: lo, max: hi });
      expect(h.counts.reduce((a, b) => a + b, 0)).toBe(data.length);
    }
  });

  it('grows its bins when later values fall far outside the first ones', () => {
    const h = new Histogram(64);
    h.add(Float32Array.of(0.001, 0.002));
    h.add(Float32Array.of(-500, 1000));
    h.add(Float32Array.of(0));
    expect(h.minMax()).toEqual({ min: -500, max: 1000 });
    expect(h.counts.reduce((a, b) => a + b, 0)).toBe(5);
    expect(h.edge(0)).toBeLessThanOrEqual(-500);
    expect(h.edge(h.bins)).toBeGreaterThan(1000);
  });

  it('percentile matches the exact quantiles to within one bin', () => {
    const h = new Histogram();
    h.add(data);
    const r = h.percentile(99);
    expect(Math.abs(r.max - exactQuantile(data, 0.99))).toBeLessThanOrEqual(h.width);
    expect(Math.abs(r.min - exactQuantile(data, 0.01))).toBeLessThanOrEqual(h.width);
    expect(h.percentile(100)).toEqual(h.minMax());
  });

  it('an all-zero tensor has the range [0, 0] by every method', () => {
    const h = new Histogram();
    h.add(new Float32Array(100));
    for (const r of [h.minMax(), h.percentile(99.9), h.mse()]) expect(r).toEqual({ min: 0, max: 0 });
  });

  it('an all-constant tensor keeps a valid range holding the constant by every method', () => {
    for (const c of [0.5, -3, 1e-30, 7e5]) {
      const h = new Histogram();
      h.add(new Float32Array(1000).fill(c));
      for (const r of [h.minMax(), h.percentile(99.9), h.mse()]) {
        expect(r.min).toBeLessThanOrEqual(r.max);
        expect(r.min <= Math.fround(c) && Math.fround(c) <= r.max, `${c}: [${r.min}, ${r.max}]`).toBe(true);
        expect(activationParams(r).scale).toBeGreaterThan(0);
      }
    }
  });

  it('mse clips a heavy tail, and its range quantizes the data about as well as the best range found by brute force', () => {
    // Laplace-distributed values (heavy tails) plus two far outliers.
    const u = pseudoRandom(40_000, 3);
    const lap = u.map((v) => (v >= 0 ? -Math.log(1 - v + 1e-12) : Math.log(1 + v + 1e-12)));
    lap[10] = 40;
    lap[20] = -35;
    const h = new Histogram();
    h.add(lap);
    const mse = h.mse();
    const mm = h.minMax();
    expect(mse.max).toBeLessThan(mm.max);
    expect(mse.min).toBeGreaterThan(mm.min);
    // Brute force on the real data: the true int8 error of ranges [mm.min * i/24, mm.max * j/24].
    let best = Infinity;
    for (let i = 1; i <= 24; i++) for (let j = 1; j <= 24; j++) best = Math.min(best, quantMse(lap, { min: (mm.min * i) / 24, max: (mm.max * j) / 24 }));
    const errMse = quantMse(lap, mse);
    console.log(`Laplace + outliers, int8 MSE: minmax ${quantMse(lap, mm).toExponential(3)}, percentile 99.99 ${quantMse(lap, h.percentile(99.99)).toExponential(3)}, ` +
      `mse ${errMse.toExponential(3)}, brute force ${best.toExponential(3)}`);
    expect(errMse).toBeLessThan(quantMse(lap, mm));
    expect(errMse).toBeLessThanOrEqual(best * 1.05);
  });
});

describe('calibration data', () => {
  const graph = convGraph(pseudoRandom(9, 2), Float32Array.of(0.1), 1, 1);
  const dir = mkdtempSync(join(tmpdir(), 'qgc-calib-'));
  const samples = (n: number, seed: number) => ({ dtype: 'float32' as const, shape: [n, 1, 4, 4], data: pseudoRandom(n * 16, seed) });

  const expectError = (f: () => unknown, pattern: RegExp, file?: string) => {
    let err: unknown;
    try {
      f();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CompileError);
    const ce = err as CompileError;
    expect(ce.code).toBe(ErrorCode.BadInput);
    expect(ce.format()).toMatch(pattern);
    if (file) expect(ce.where.file).toBe(file);
  };

  it('reads a .npy batch, a folder of .npy files in name order, a .pb TensorProto, and float64', () => {
    const one = join(dir, 'one.npy');
    writeNpy(one, samples(5, 1));
    expect([...openCalibration(graph, [one]).samples()].length).toBe(5);

    const folder = join(dir, 'folder');
    mkdirSync(folder);
    writeNpy(join(folder, 'b.npy'), samples(3, 2));
    writeNpy(join(folder, 'a.npy'), samples(2, 3));
    writeFileSync(join(folder, 'notes.txt'), 'ignored');
    const got = [...openCalibration(graph, [folder]).samples()];
    expect(got.map((s) => [s.file.endsWith('a.npy') ? 'a' : 'b', s.index])).toEqual([['a', 0], ['a', 1], ['b', 0], ['b', 1], ['b', 2]]);
    expect(got.map((s) => s.progress)).toEqual([0.25, 0.5, 0.5 + 1 / 6, 0.5 + 2 / 6, 1]);
    expect([...(got[2].feeds.get('x')!.data as Float32Array)]).toEqual([...pseudoRandom(16, 2)]);

    const pb = join(dir, 'input_0.pb');
    const values = pseudoRandom(16, 4);
    writeFileSync(pb, onnx.TensorProto.encode({ name: 'x', dims: [1, 1, 4, 4], dataType: 1, floatData: [...values] }).finish());
    const fromPb = [...openCalibration(graph, [pb]).samples()];
    expect(fromPb.length).toBe(1);
    expect([...(fromPb[0].feeds.get('x')!.data as Float32Array)]).toEqual([...values]);

    const f64 = join(dir, 'f64.npy');
    writeNpy(f64, { dtype: 'float64', shape: [2, 1, 4, 4], data: Float64Array.from(pseudoRandom(32, 5)) });
    const s64 = [...openCalibration(graph, [f64]).samples()];
    expect(s64[1].feeds.get('x')!.dtype).toBe('float32');
    expect([...(s64[1].feeds.get('x')!.data as Float32Array)]).toEqual([...pseudoRandom(32, 5).subarray(16)]);

    const noBatch = join(dir, 'nobatch.npy');
    writeNpy(noBatch, { dtype: 'float32', shape: [1, 4, 4], data: pseudoRandom(16, 6) });
    expect([...openCalibration(graph, [noBatch]).samples()].length).toBe(1);
  });

  it('rejects data of the wrong shape or dtype, naming the file', () => {
    const shape = join(dir, 'shape.npy');
    writeNpy(shape, { dtype: 'float32', shape: [2, 1, 4, 5], data: new Float32Array(40) });
    expectError(() => [...openCalibration(graph, [shape]).samples()], /shape \[2, 1, 4, 5\].*\[1, 1, 4, 4\]/, shape);
    const ints = join(dir, 'ints.npy');
    writeNpy(ints, { dtype: 'uint8', shape: [2, 1, 4, 4], data: new Uint8Array(32) });
    expectError(() => [...openCalibration(graph, [ints]).samples()], /is uint8; the model takes float32/, ints);
    const csv = join(dir, 'notes.csv');
    writeFileSync(csv, '1,2,3');
    expectError(() => openCalibration(graph, [csv]), /must be a \.npy or \.pb file/, csv);
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    expectError(() => openCalibration(graph, [empty]), /no \.npy or \.pb files/, empty);
  });

  it('rejects NaN and Infinity, naming the file and the sample index', () => {
    for (const bad of [NaN, Infinity, -Infinity]) {
      const file = join(dir, `bad-${bad}.npy`);
      const v = samples(6, 8);
      v.data[3 * 16 + 5] = bad;
      writeNpy(file, v);
      expectError(() => collectStats(graph, openCalibration(graph, [file]).samples()), new RegExp(`sample 3 of input 'x' holds ${bad}`), file);
    }
  });

  it('collects a histogram for the input and every activation, and ranges by each method', () => {
    const file = join(dir, 'stats.npy');
    writeNpy(file, samples(8, 9));
    const stats = collectStats(graph, openCalibration(graph, [file]).samples());
    expect(stats.samples).toBe(8);
    expect([...stats.histograms.keys()].sort()).toEqual(['x', 'y']);
    const mm = calibrationRanges(stats, { method: 'minmax' }).get('y')!;
    expect(mm.min).toBe(0); // fused Relu
    for (const method of ['percentile', 'mse'] as const) {
      const r = calibrationRanges(stats, { method }).get('y')!;
      expect(r.min).toBeGreaterThanOrEqual(mm.min);
      expect(r.max).toBeLessThanOrEqual(mm.max);
      expect(r.max).toBeGreaterThan(0);
    }
    expect(() => calibrationRanges(stats, { method: 'percentile', percentile: 0 })).toThrow(CompileError);
  });
});
