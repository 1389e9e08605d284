/** `qgc quantize`, `qgc run --int` and `qgc inspect --quantized` as a user runs them, and the
 * progress bar's rules (TTY only, after one second). */
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { progressBar } from '../src/cli/progress.js';
import { isQuantizedModel } from '../src/cli/quantize.js';
import { readNpy, writeNpy } from '../src/io/npy.js';
import { loadModel } from '../src/onnx/load.js';
import { example } from './support/examples.js';
import { cli } from './support/cli.js';

const fm = example('fashion-mnist');
const calib = join(fm.dir, 'calib.npy');
const testX = join(fm.dir, 'test_x.npy');

/** The first 32 test images, to keep the CLI round trips quick. */
function smallInput(dir: string): string {
  const x = readNpy(testX);
  const path = join(dir, 'x32.npy');
  const per = x.data.length / x.shape[0];
  writeNpy(path, { dtype: x.dtype, shape: [32, ...x.shape.slice(1)], data: x.data.subarray(0, 32 * per) as Float32Array });
  return path;
}

describe('qgc quantize / run --int / inspect --quantized', () => {
  const dir = mkdtempSync(join(tmpdir(), 'qgc-quant-cli-'));
  const qdq = join(dir, 'model.int8.onnx');

  it('quantize writes a QDQ model that run --int runs exactly like the in-memory int8 graph', async () => {
    const r = await cli('quantize', fm.model, '--calib', calib, '--calib-method', 'minmax', '-o', qdq);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/wrote .*model\.int8\.onnx \(\d+ bytes\): 5 int8 ops, w8a8, nearest rounding, weights per channel, activations calibrated by minmax on 64 samples/);
    expect(isQuantizedModel(loadModel(qdq).graph)).toBe(true);

    const x = smallInput(dir);
    const fromFile = join(dir, 'y-file.npy');
    const inMemory = join(dir, 'y-mem.npy');
    const floatOut = join(dir, 'y-float.npy');
    expect((await cli('run', '--int', qdq, '--input', x, '--output', fromFile)).code).toBe(0);
    expect((await cli('run', '--int', fm.model, '--calib', calib, '--input', x, '--output', inMemory)).code).toBe(0);
    expect((await cli('run', fm.model, '--input', x, '--output', floatOut)).code).toBe(0);
    expect(readFileSync(fromFile).equals(readFileSync(inMemory))).toBe(true);
    // The int8 logits are not the float ones, but they pick the same class almost always.
    expect(readFileSync(fromFile).equals(readFileSync(floatOut))).toBe(false);
    const argmax = (file: string) => {
      const d = readNpy(file).data as Float32Array;
      return Array.from({ length: 32 }, (_, i) => d.subarray(i * 10, i * 10 + 10).reduce((best, v, c, row) => (v > row[best] ? c : best), 0));
    };
    const f = argmax(floatOut);
    expect(argmax(fromFile).filter((c, i) => c === f[i]).length).toBeGreaterThanOrEqual(30);
  });

  it('writes nothing when quantization fails', async () => {
    const bad = join(dir, 'bad-shape.npy');
    writeNpy(bad, { dtype: 'float32', shape: [2, 28, 28], data: new Float32Array(2 * 28 * 28) });
    const out = join(dir, 'never.onnx');
    const r = await cli('quantize', fm.model, '--calib', bad, '-o', out);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^error QGC1201: .*bad-shape\.npy.*shape \[2, 28, 28\]/);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(existsSync(out)).toBe(false);

    const unwritable = join(dir, 'no-such-folder', 'm.onnx');
    const w = await cli('quantize', fm.model, '--calib', calib, '-o', unwritable);
    expect(w.code).toBe(2);
    expect(w.err).toMatch(/^error QGC1005: /);
    expect(readdirSync(dir).filter((f) => f.includes('qgc-tmp'))).toEqual([]);
  });

  it('explains misuse in one line', async () => {
    const cases: [string[], RegExp][] = [
      [['run', '--int', fm.model, '--input', testX], /--int on a float model needs calibration data/],
      [['run', fm.model, '--calib', calib, '--input', testX], /--calib is only used with --int/],
      [['quantize', fm.model, '-o', join(dir, 'x.onnx')], /no --calib given/],
      [['quantize', fm.model, '--calib', calib, '--calib-method', 'percentile', '--percentile', '0', '-o', join(dir, 'x.onnx')], /--percentile '0' is not a number in \(0, 100\]/],
      [['quantize', qdq, '--calib', calib, '-o', join(dir, 'x.onnx')], /already quantized/],
      [['run', '--int', qdq, '--calib', calib, '--input', testX], /already quantized; --calib is for float models/],
    ];
    for (const [args, pattern] of cases) {
      const r = await cli(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err).toMatch(pattern);
    }
    const m = await cli('quantize', fm.model, '--calib', calib, '--calib-method', 'kl', '-o', join(dir, 'x.onnx'));
    expect(m.code).toBe(2);
    expect(m.err).toMatch(/Allowed choices are minmax, percentile, mse/);
    expect(existsSync(join(dir, 'x.onnx'))).toBe(false);
  });

  it('inspect --quantized lists scales, zero points, bit-widths and per-layer SQNR', async () => {
    const r = await cli('inspect', fm.model, '--quantized', '--calib', calib);
    expect(r.code).toBe(0);
    const lines = r.out.trim().split('\n');
    expect(lines[0]).toMatch(/node\s+op\s+bits\s+out scale\s+out zp\s+w scale min\s+w scale max\s+SQNR dB/);
    const conv = lines.find((l) => /\bQConv\b/.test(l))!;
    expect(conv).toMatch(/w8\/a8\/b32/);
    const json = JSON.parse((await cli('inspect', fm.model, '--quantized', '--calib', calib, '--json')).out) as { op: string; sqnrDb?: number; weightScaleMin?: number; weightScaleMax?: number }[];
    const layers = json.filter((l) => l.op === 'QConv' || l.op === 'QFullyConnected');
    expect(layers).toHaveLength(3);
    for (const l of layers) {
      expect(l.sqnrDb).toBeGreaterThan(20);
      expect(l.weightScaleMin!).toBeLessThan(l.weightScaleMax!);
    }
    const fromFile = await cli('inspect', qdq, '--quantized');
    expect(fromFile.code).toBe(0);
    expect(fromFile.out).toMatch(/QConv/);
    expect(fromFile.out).toMatch(/SQNR needs the float model/);
  });
});

describe('progress bar', () => {
  it('draws only on a TTY, only after a second, and erases itself', () => {
    let t = 0;
    let written = '';
    const tty = { isTTY: true, columns: 60, write: (s: string) => (written += s) };
    const bar = progressBar('calibrating', tty, 1000, () => t);
    bar.update(0.1);
    expect(written).toBe('');
    t = 1500;
    bar.update(0.5);
    expect(written).toMatch(/^\rcalibrating \[#+\.+\] {2}50%$/);
    bar.done();
    expect(written.endsWith('\r\x1b[2K')).toBe(true);

    let piped = '';
    const quiet = progressBar('calibrating', { isTTY: false, write: (s: string) => (piped += s) }, 0, () => 5000);
    quiet.update(0.5);
    quiet.done();
    expect(piped).toBe('');
  });
});
