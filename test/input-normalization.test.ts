/** Models a user exports with the normalization in the graph — `(x - mean) / std` per channel,
 * or `x * (1/255) - 0.5` — compile through the CLI (the Sub / Div / Mul / Add folded into the
 * first Conv or Gemm by src/passes/fold-input-affine.ts) and `qgc verify` them bit-exact on the
 * host and QEMU Cortex-M4; and a model with several ops qgc has no int8 form for is refused
 * with one error naming every one of them, before calibration. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeNpy } from '../src/io/npy.js';
import { cli } from './support/cli.js';
import { f32, model } from './support/op-models.js';
import { rng } from './support/qgraph.js';
import { ARM_GCC, CMSIS_NN, HOST_CC, QEMU, needs } from './support/tools.js';
import { tempFolders } from './support/tmp.js';

const tmp = tempFolders('qgc-input-norm-');
const ints = (name: string, v: number[]) => ({ name, type: 7, ints: v });
const weights = (n: number, seed: number) => {
  const r = rng(seed);
  return Array.from({ length: n }, () => r() - 0.5);
};

/** The model file, calibration data (32 samples) and test data (8) in a new folder. */
function write(bytes: Uint8Array, shape: number[], lo: number, hi: number): { dir: string; model: string; calib: string; test: string } {
  const dir = tmp();
  const r = rng(7);
  const data = (count: number) => ({ dtype: 'float32' as const, shape: [count, ...shape.slice(1)], data: Float32Array.from({ length: count * shape.slice(1).reduce((a, b) => a * b, 1) }, () => lo + (hi - lo) * r()) });
  writeFileSync(join(dir, 'model.onnx'), bytes);
  writeNpy(join(dir, 'calib.npy'), data(32));
  writeNpy(join(dir, 'test.npy'), data(8));
  return { dir, model: join(dir, 'model.onnx'), calib: join(dir, 'calib.npy'), test: join(dir, 'test.npy') };
}

const MODELS = [
  {
    what: '(x - mean) / std per channel before an unpadded Conv', kernels: 'portable',
    shape: [1, 3, 8, 8], lo: 0, hi: 1,
    bytes: () => model([
      { opType: 'Sub', input: ['x', 'mean'], output: ['s'] },
      { opType: 'Div', input: ['s', 'std'], output: ['n'] },
      { opType: 'Conv', input: ['n', 'w1', 'b1'], output: ['c1'], attribute: [ints('kernel_shape', [3, 3])] },
      { opType: 'Relu', input: ['c1'], output: ['r1'] },
      { opType: 'Conv', input: ['r1', 'w2'], output: ['y'], attribute: [ints('kernel_shape', [1, 1])] },
    ], [['x', 'float32', [1, 3, 8, 8]]], ['y'], 13, [
      f32('mean', [1, 3, 1, 1], [0.485, 0.456, 0.406]), f32('std', [1, 3, 1, 1], [0.229, 0.224, 0.225]),
      f32('w1', [4, 3, 3, 3], weights(108, 1)), f32('b1', [4], [0.1, -0.1, 0.05, 0]), f32('w2', [2, 4, 1, 1], weights(8, 2)),
    ]),
  },
  {
    what: 'x * (1/255) - 0.5 before a padded Conv (the raw input padded with 127.5)', kernels: 'cmsis-nn',
    shape: [1, 1, 8, 8], lo: 0, hi: 255,
    bytes: () => model([
      { opType: 'Mul', input: ['x', 'k'], output: ['m'] },
      { opType: 'Sub', input: ['m', 'half'], output: ['n'] },
      { opType: 'Conv', input: ['n', 'w1'], output: ['c1'], attribute: [ints('kernel_shape', [3, 3]), ints('pads', [1, 1, 1, 1])] },
      { opType: 'Relu', input: ['c1'], output: ['r1'] },
      { opType: 'Flatten', input: ['r1'], output: ['f'] },
      { opType: 'Gemm', input: ['f', 'w2', 'b2'], output: ['y'], attribute: [{ name: 'transB', type: 2, i: 1 }] },
    ], [['x', 'float32', [1, 1, 8, 8]]], ['y'], 13, [
      f32('k', [], [1 / 255]), f32('half', [1], [0.5]), f32('w1', [3, 1, 3, 3], weights(27, 3)), f32('w2', [5, 192], weights(960, 4)), f32('b2', [5], [0, 0.1, 0.2, -0.1, 0]),
    ]),
  },
];

describe('input normalization folded into the first layer', () => {
  for (const m of MODELS) {
    {
      const kernels = m.kernels;
      it(`${m.what}, ${kernels}: compiles without Sub/Div/Mul and verifies bit-exact on the host and QEMU Cortex-M4`, async (ctx) => {
        needs(ctx, HOST_CC, ARM_GCC, QEMU, ...(kernels === 'cmsis-nn' ? [CMSIS_NN] : []));
        const f = write(m.bytes(), m.shape, m.lo, m.hi);
        const out = join(f.dir, 'out');
        const c = await cli('compile', f.model, '--target', 'cortex-m4', '--kernels', kernels, '--calib', f.calib, '-o', out);
        expect(c.code, c.err).toBe(0);
        const ops = (JSON.parse(readFileSync(join(out, 'net_report.json'), 'utf8')) as { layers: { op: string }[] }).layers.map((l) => l.op);
        expect(ops[0]).toMatch(/^(QConv|Pad)$/);
        expect(ops.filter((op) => /Sub|Div|Mul|QAdd/.test(op))).toEqual([]);
        const v = await cli('verify', out, '--inputs', f.test, '--targets', 'host,cortex-m4');
        expect(v.code, v.err + v.out).toBe(0);
        expect(v.out).not.toMatch(/differs from what qgc generates/); // the identity macros regenerate too
        for (const target of ['host', 'cortex-m4']) expect(v.out.split('\n').find((l) => l.startsWith(`${target} (`)), v.out).toMatch(/\s8\s+[\d,]+\s+bit-exact/);
      }, 300_000);
    }
  }
});

describe('an unsupported model', () => {
  it('is refused with one error naming every node without an int8 form, before calibration', async () => {
    const bytes = model([
      { opType: 'Conv', input: ['x', 'w'], output: ['c'], attribute: [ints('kernel_shape', [1, 1])] },
      { opType: 'Exp', input: ['c'], output: ['s'] },
      { opType: 'Conv', input: ['s', 'w'], output: ['c2'], attribute: [ints('kernel_shape', [1, 1])] },
      { opType: 'Erf', input: ['c2'], output: ['t'] },
      { opType: 'Softplus', input: ['t'], output: ['y'] },
    ], [['x', 'float32', [1, 2, 4, 4]]], ['y'], 13, [f32('w', [2, 2, 1, 1], [0.5, -0.25, 0.125, 1])]);
    const f = write(bytes, [1, 2, 4, 4], -1, 1);
    // A calibration file that does not exist: the op check comes first. --int8-only: Exp and Erf,
    // which would run in float otherwise, block too.
    const r = await cli('compile', f.model, '--target', 'cortex-m4', '--calib', join(f.dir, 'missing.npy'), '--int8-only', '-o', join(f.dir, 'out'));
    expect(r.code).toBe(2);
    const line = r.err.trim();
    expect(line.split('\n')).toHaveLength(1);
    expect(line).toMatch(/^error QGC1101: node 'Exp_1' \(Exp\): Exp is not supported in int8, nor are 2 more nodes: node 'Erf_3' \(Erf\), node 'Softplus_4' \(Softplus\)\. /);
    expect(line).toMatch(/Exp: qgc has no int8 kernel for it .* Erf: qgc has no int8 kernel for it .* Softplus: qgc has no int8 kernel for it/);
    // Advice names only what qgc can do.
    expect(line).not.toMatch(/keep this model in float/);
    // Without --int8-only, Exp and Erf would run in float: the one error names only Softplus.
    const fallback = await cli('compile', f.model, '--target', 'cortex-m4', '--calib', join(f.dir, 'missing.npy'), '-o', join(f.dir, 'out'));
    expect(fallback.code).toBe(2);
    expect(fallback.err.trim().split('\n')).toEqual([expect.stringMatching(/^error QGC1101: node 'Softplus_4' \(Softplus\): Softplus is not supported in int8\. /)]);
  });
});
