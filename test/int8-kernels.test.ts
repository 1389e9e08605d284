/** The int8 interpreter kernels (src/interp/int8) against CMSIS-NN itself: random cases per op,
 * run through arm_convolve_wrapper_s8, arm_depthwise_conv_wrapper_s8,
 * arm_fully_connected_wrapper_s8, arm_elementwise_add_s8 (Sub too), arm_elementwise_mul_s8, arm_max_pool_s8, arm_avgpool_s8 and
 * arm_softmax_s8 (host gcc, default build), compared byte for byte. Ops without a CMSIS-NN
 * counterpart (QConcat, QClamp, Quantize, Dequantize) are checked against their definitions. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompileError } from '../src/errors.js';
import { int8Kernels } from '../src/interp/int8.js';
import { kernels } from '../src/interp/kernels.js';
import type { Kernel, Value } from '../src/interp/types.js';
import type { OpName } from '../src/ir/ops.js';
import { concatOperand, convRequant, requantize } from '../src/ir/intmath.js';
import { CMSIS_NN, CaseWriter, GCC, cmsisLibrary, compileProgram, removePrograms, runDriver, supportSource, type DriverResult } from './support/cmsis.js';
import { Rng, addCase, convCase, fullyConnectedCase, mkNode, mulCase, poolCase, softmaxCase, type Int8Case } from './support/int8-cases.js';
import { describeNeeding } from './support/tools.js';

function run(c: Pick<Int8Case, 'node' | 'inputs'>): Value {
  const kernel = kernels[c.node.op] as Kernel<OpName>;
  return kernel(c.node, c.inputs)[0];
}

const list = (v: Value) => Array.from(v.data as ArrayLike<number>);

describeNeeding([GCC, CMSIS_NN], 'int8 kernels are bit-exact with CMSIS-NN', () => {
  const r = new Rng(20260726);
  const writer = new CaseWriter();
  const groups: Record<string, Int8Case[]> = {
    'QConv (dense)': Array.from({ length: 60 }, (_, i) => convCase(r, writer, 'conv', `conv#${i}`)),
    'QConv (1x1)': Array.from({ length: 20 }, (_, i) => convCase(r, writer, '1x1', `conv1x1#${i}`)),
    'QConv (1-D, run as H = 1)': Array.from({ length: 30 }, (_, i) => convCase(r, writer, 'conv1d', `conv1d#${i}`)),
    'QConv (grouped)': Array.from({ length: 30 }, (_, i) => convCase(r, writer, 'grouped', `grouped#${i}`)),
    'QConv (depthwise)': Array.from({ length: 60 }, (_, i) => convCase(r, writer, 'depthwise', `dw#${i}`)),
    'QConv (depthwise 3x3)': Array.from({ length: 15 }, (_, i) => convCase(r, writer, 'dw3x3', `dw3x3#${i}`)),
    QFullyConnected: Array.from({ length: 50 }, (_, i) => fullyConnectedCase(r, writer, `fc#${i}`)),
    QAdd: Array.from({ length: 50 }, (_, i) => addCase(r, writer, `add#${i}`)),
    QMaxPool: Array.from({ length: 50 }, (_, i) => poolCase(r, writer, 'QMaxPool', `maxpool#${i}`)),
    QAveragePool: Array.from({ length: 50 }, (_, i) => poolCase(r, writer, 'QAveragePool', `avgpool#${i}`)),
    QSoftmax: Array.from({ length: 60 }, (_, i) => softmaxCase(r, writer, `softmax#${i}`)),
    'QAdd (Sub: input 2 negated)': Array.from({ length: 40 }, (_, i) => addCase(r, writer, `sub#${i}`, true)),
    QMul: Array.from({ length: 60 }, (_, i) => mulCase(r, writer, `mul#${i}`)),
  };
  let results: DriverResult[] = [];

  beforeAll(async () => {
    const lib = await cmsisLibrary();
    const exe = compileProgram([supportSource('cmsis-driver.c')], { lib });
    results = runDriver(exe, writer);
  }, 300_000);
  afterAll(removePrograms);

  it("hits every dispatch path of CMSIS-NN's conv and depthwise wrappers", () => {
    const paths = new Map<string, number>();
    for (const c of Object.values(groups).flat()) if (c.path) paths.set(c.path, (paths.get(c.path) ?? 0) + 1);
    const want = ['arm_convolve_s8', 'arm_convolve_1x1_s8_fast', 'arm_convolve_1x1_s8', 'arm_convolve_1_x_n_s8'];
    want.push('arm_depthwise_conv_s8', 'arm_depthwise_conv_s8_opt', 'arm_depthwise_conv_3x3_s8');
    for (const p of want) expect(paths.get(p) ?? 0, p).toBeGreaterThanOrEqual(3);
  });

  for (const [name, cases] of Object.entries(groups)) {
    it(`${name}: ${cases.length} random cases`, () => {
      expect(results.length).toBe(writer.count);
      const failures: string[] = [];
      for (const c of cases) {
        const res = results[c.index];
        if (res.status !== 0) {
          failures.push(`${c.label}: CMSIS-NN status ${res.status}`);
          continue;
        }
        const want = c.fromCmsis(res.output);
        const got = run(c).data as Int8Array;
        const i = want.findIndex((v, k) => v !== got[k]);
        if (got.length !== want.length || i >= 0) failures.push(`${c.label}: element ${i}: CMSIS-NN ${want[i]}, qgc ${got[i]}`);
      }
      expect(failures).toEqual([]);
      // The cases are not degenerate: outputs are not all clamped to one value.
      const distinct = new Set(cases.flatMap((c) => Array.from(run(c).data as Int8Array)));
      expect(distinct.size).toBeGreaterThan(20);
    });
  }
});

const i8 = (shape: number[], values: number[]): Value => ({ dtype: 'int8', shape, data: Int8Array.from(values) });

describe('int8 ops without a CMSIS-NN counterpart', () => {
  it('QClamp clamps', () => {
    const out = run({ node: mkNode('QClamp', { actMin: -3, actMax: 5 }, 1), inputs: [i8([5], [-128, -4, 0, 5, 127])] });
    expect(list(out)).toEqual([-3, -3, 0, 5, 5]);
  });

  it('QConcat copies identity inputs and requantizes the others', () => {
    const same = concatOperand(0.25, 3, 0.25);
    const other = concatOperand(0.625, -10, 0.25); // ratio exactly 2.5
    expect(same).toEqual({ zeroPoint: 3, multiplier: 2 ** 30, shift: 1 });
    const a = i8([1, 2, 2], [-128, 0, 5, 127]);
    const b = i8([1, 1, 2], [-10, -9]);
    const node = mkNode('QConcat', { axis: 1, inputs: [same, other], outputZeroPoint: 3 }, 2);
    const out = run({ node, inputs: [a, b] });
    expect(out.shape).toEqual([1, 3, 2]);
    // (x - (-10)) * 2.5 + 3: 0 -> 3, 1 -> 2.5 rounds half up to 3, +3 -> 6.
    expect(list(out)).toEqual([-128, 0, 5, 127, 3, 6]);
    // The identity operand also computes the identity through requantize.
    for (let v = -255; v <= 255; v++) expect(requantize(v, same.multiplier, same.shift)).toBe(v);
  });

  it('QConcat along the last axis with saturation', () => {
    const op = concatOperand(1, 0, 0.1); // ratio 10
    const node = mkNode('QConcat', { axis: 1, inputs: [op, op], outputZeroPoint: 0 }, 2);
    const out = run({ node, inputs: [i8([2, 1], [20, -20]), i8([2, 1], [1, -1])] });
    expect(list(out)).toEqual([127, 10, -128, -10]);
  });

  it('Quantize rounds half to even, saturates, maps NaN to the zero point', () => {
    const x: Value = { dtype: 'float32', shape: [9], data: Float32Array.from([0.5, 1.5, 2.5, -0.5, -1.5, 300, -300, NaN, 0.2]) };
    const out = run({ node: mkNode('Quantize', { scale: 1, zeroPoint: 0 }, 1), inputs: [x] });
    expect(list(out)).toEqual([0, 2, 2, 0, -2, 127, -128, 0, 0]);
    const y = run({ node: mkNode('Quantize', { scale: 0.1, zeroPoint: -5 }, 1), inputs: [{ ...x, data: Float32Array.from([0.25, 0.35, -1]) }] });
    // In float32 both quotients are ties: 0.25 / 0.1 = 2.5 -> 2 and 0.35 / 0.1 = 3.5 -> 4; then -10.
    expect(list(y)).toEqual([-3, -1, -15]);
  });

  it('Dequantize computes float32((q - zp) * scale)', () => {
    const out = run({ node: mkNode('Dequantize', { scale: 0.1, zeroPoint: 2 }, 1), inputs: [i8([3], [2, 12, -128])] });
    expect(out.dtype).toBe('float32');
    expect(list(out)).toEqual([0, Math.fround(10 * Math.fround(0.1)), Math.fround(-130 * Math.fround(0.1))]);
  });

  it('QAveragePool refuses count_include_pad with padding', () => {
    const attrs = { kernel: [3], strides: [1], dilations: [1], pads: [1, 1], ceilMode: false, countIncludePad: true, actMin: -128, actMax: 127 };
    expect(() => run({ node: mkNode('QAveragePool', attrs, 1), inputs: [i8([1, 1, 3], [1, 2, 3])] })).toThrow(CompileError);
  });

  it('every quantized op has a kernel in the interpreter table', () => {
    for (const op of Object.keys(int8Kernels)) expect(kernels[op as OpName]).toBe(int8Kernels[op as keyof typeof int8Kernels]);
  });
});

describe('int8 kernel speed', () => {
  it('runs a small CNN over 300 images in seconds', () => {
    const r = new Rng(1);
    const conv = (C: number, M: number) =>
      mkNode('QConv', { kernel: [3, 3], strides: [1, 1], dilations: [1, 1], pads: [1, 1, 1, 1], group: 1, inputZeroPoint: -3, outputZeroPoint: -128, actMin: -128, actMax: 127, ...convRequant(0.02, Array(M).fill(0.01), 0.05) }, 3);
    const pool = mkNode('QMaxPool', { kernel: [2, 2], strides: [2, 2], dilations: [1, 1], pads: [0, 0, 0, 0], ceilMode: false, countIncludePad: false, actMin: -128, actMax: 127 }, 1);
    const fc = mkNode('QFullyConnected', { inputZeroPoint: -128, outputZeroPoint: 0, actMin: -128, actMax: 127, ...convRequant(0.05, [0.01], 0.1) }, 3);
    const w1 = i8([16, 1, 3, 3], Array.from(r.int8s(16 * 9, -127, 127)));
    const w2 = i8([32, 16, 3, 3], Array.from(r.int8s(32 * 16 * 9, -127, 127)));
    const w3 = i8([10, 32 * 7 * 7], Array.from(r.int8s(10 * 32 * 49, -127, 127)));
    const batch = 300;
    const x = i8([batch, 1, 28, 28], Array.from(r.int8s(batch * 784)));
    const t0 = performance.now();
    let h = run({ node: conv(1, 16), inputs: [x, w1] });
    h = run({ node: pool, inputs: [h] });
    h = run({ node: conv(16, 32), inputs: [h, w2] });
    h = run({ node: pool, inputs: [h] });
    h = run({ node: fc, inputs: [{ ...h, shape: [batch, 32 * 7 * 7] }, w3] });
    const ms = performance.now() - t0;
    console.log(`int8 CNN (${((batch * (784 * 16 * 9 + 196 * 32 * 16 * 9 + 1568 * 10)) / 1e6).toFixed(0)} M MACs): ${ms.toFixed(0)} ms for ${batch} images`);
    expect(h.shape).toEqual([batch, 10]);
    expect(ms).toBeLessThan(30_000); // about 1.5 s on an idle 2-core machine; loose for loaded CI hosts
  });
});
