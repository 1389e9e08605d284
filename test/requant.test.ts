/** The shared requantization table (test/data/requant-vectors.json) against its generator,
 * src/ir/intmath.ts and CMSIS-NN's own arm_nnsupportfunctions.h compiled on the host;
 * the softmax fixed-point helpers and TFLite's parameter formulas against C. */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { formatRequantTable, generateRequantVectors, type RequantTable } from '../scripts/gen-requant-vectors.js';
import {
  INT32_MAX,
  INT32_MIN,
  addParams,
  doublingHighMulNoSat,
  expOnNegativeValues,
  frexp,
  multiplyByPOT,
  oneOverOnePlusX,
  quantizeMultiplier,
  reduceMultiplier,
  requantize,
  requantizeBigInt,
  requantizeS64,
  roundingDivideByPOT,
  saturatingRoundingDoublingHighMul,
  softmaxParams,
} from '../src/ir/intmath.js';
import { CMSIS_NN, GCC, compileProgram, removePrograms, runProgram, supportSource } from './support/cmsis.js';
import { describeNeeding } from './support/tools.js';
import { mulberry32 as rng } from './support/random.js';

const tablePath = new URL('./data/requant-vectors.json', import.meta.url);
const table = JSON.parse(readFileSync(tablePath, 'utf8')) as RequantTable;


const f32bits = (x: number) => new Uint32Array(Float32Array.of(x).buffer)[0];
const f64bits = (x: number) => new BigUint64Array(Float64Array.of(x).buffer)[0];

describe('requantization table', () => {
  it('is what the generator writes (regenerate with npx tsx scripts/gen-requant-vectors.ts)', () => {
    expect(readFileSync(tablePath, 'utf8')).toBe(formatRequantTable(generateRequantVectors()));
  });

  it('covers ties, extremes and every shift', () => {
    const rows = table.cases;
    expect(rows.length).toBeGreaterThanOrEqual(300);
    const shifts = new Set(rows.map((r) => r[2]));
    for (let s = -31; s <= 30; s++) expect(shifts.has(s)).toBe(true);
    expect(rows).toContainEqual([INT32_MIN, INT32_MIN, 0, INT32_MIN]); // no saturation: wraps
    expect(rows.some((r) => r[0] === 0)).toBe(true);
    expect(rows.some((r) => r[1] === 0)).toBe(true);
    expect(rows.some((r) => r[1] === INT32_MAX)).toBe(true);
    expect(rows.some((r) => r[1] === 2 ** 30)).toBe(true);
    // Ties of the final rounding, both signs: 3/2 -> 2 and -3/2 -> -2 (away from zero).
    expect(rows).toContainEqual([12, 2 ** 30, -2, 2]);
    expect(rows).toContainEqual([-12, 2 ** 30, -2, -2]);
    // Ties of the doubling high multiply round up: 1/2 -> 1, -1/2 -> 0.
    expect(rows).toContainEqual([1, 2 ** 30, 0, 1]);
    expect(rows).toContainEqual([-1, 2 ** 30, 0, 0]);
  });

  it('intmath.requantize and requantizeBigInt reproduce every row', () => {
    for (const [v, m, s, r] of table.cases) {
      expect(requantize(v, m, s), `${v} ${m} ${s}`).toBe(r);
      expect(requantizeBigInt(v, m, s), `${v} ${m} ${s}`).toBe(r);
    }
  });

  it('the fast requantize equals the BigInt one on random inputs', () => {
    const next = rng(7);
    for (let k = 0; k < 200_000; k++) {
      const shift = (next() % 62) - 31;
      const v = shift > 0 ? (next() | 0) >> shift : next() | 0;
      const m = k % 3 === 0 ? next() | 0 : 2 ** 30 + (next() % 2 ** 30);
      const fast = requantize(v, m, shift);
      if (fast !== requantizeBigInt(v, m, shift)) expect([v, m, shift, fast]).toEqual([v, m, shift, requantizeBigInt(v, m, shift)]);
    }
  });

  it('doublingHighMulNoSat and roundingDivideByPOT compose to requantize', () => {
    const next = rng(9);
    for (let k = 0; k < 20_000; k++) {
      const v = next() | 0;
      const m = next() | 0;
      const e = next() % 32;
      expect(roundingDivideByPOT(doublingHighMulNoSat(v, m), e)).toBe(requantize(v, m, -e));
    }
  });
});

describe('the 64-bit requantization table (arm_nn_requantize_s64, the _s16 kernels)', () => {
  const rows = table.s64.cases;

  it('covers every shift, ties of both signs, zero and extreme multipliers, values beyond int32', () => {
    expect(rows.length).toBeGreaterThanOrEqual(500);
    const shifts = new Set(rows.map((r) => r[2]));
    for (let s = -31; s <= 14; s++) expect(shifts.has(s)).toBe(true);
    // Ties of the last shift round half up: 1.5 -> 2, -1.5 -> -1 (unlike arm_nn_requantize).
    expect(rows).toContainEqual([String(3n << 14n), 1, 0, 2]);
    expect(rows).toContainEqual([String(-3n << 14n), 1, 0, -1]);
    expect(rows.some((r) => r[1] === 0) && rows.some((r) => r[1] === 0x7fff)).toBe(true);
    expect(rows.some((r) => BigInt(r[0]) > 2n ** 31n) && rows.some((r) => BigInt(r[0]) < -(2n ** 31n))).toBe(true);
  });

  it('intmath.requantizeS64 reproduces every row', () => {
    const bad = rows.filter(([v, m, s, r]) => requantizeS64(BigInt(v), m, s) !== r);
    expect(bad).toEqual([]);
  });
});

describe('quantizeMultiplier (TFLite QuantizeMultiplier)', () => {
  it('handles exact powers, the q == 2^31 carry, flushing and negatives', () => {
    expect(quantizeMultiplier(0)).toEqual({ multiplier: 0, shift: 0 });
    expect(quantizeMultiplier(1)).toEqual({ multiplier: 2 ** 30, shift: 1 });
    expect(quantizeMultiplier(0.5)).toEqual({ multiplier: 2 ** 30, shift: 0 });
    expect(quantizeMultiplier(0.75)).toEqual({ multiplier: 3 * 2 ** 29, shift: 0 });
    // Just below 1: the fraction rounds up to 2^31, which carries into the shift.
    expect(quantizeMultiplier(1 - 2 ** -40)).toEqual({ multiplier: 2 ** 30, shift: 1 });
    expect(quantizeMultiplier(2 ** -32)).toEqual({ multiplier: 2 ** 30, shift: -31 });
    expect(quantizeMultiplier(2 ** -33)).toEqual({ multiplier: 0, shift: 0 });
    expect(quantizeMultiplier(-0.75)).toEqual({ multiplier: -3 * 2 ** 29, shift: 0 });
    expect(frexp(5e-324)).toEqual({ fraction: 0.5, exponent: -1073 });
  });
});

describeNeeding([GCC, CMSIS_NN], 'against CMSIS-NN (host gcc)', () => {
  const exe = compileProgram([supportSource('intmath-check.c')]);
  afterAll(removePrograms);
  const run = (lines: string[]) =>
    runProgram(exe, [], lines.join('\n') + '\n')
      .toString()
      .trim()
      .split('\n');

  it('arm_nn_requantize reproduces every row of the table', () => {
    const out = run(table.cases.map(([v, m, s]) => `r ${v} ${m} ${s}`)).map(Number);
    expect(out.length).toBe(table.cases.length);
    const bad = table.cases.filter((row, i) => out[i] !== row[3]);
    expect(bad).toEqual([]);
  });

  it('arm_nn_requantize_s64 reproduces every row of the 64-bit table, and REDUCE_MULTIPLIER is reduceMultiplier', () => {
    const rows = table.s64.cases;
    const out = run(rows.map(([v, m, s]) => `R ${v} ${m} ${s}`)).map(Number);
    expect(rows.filter((row, i) => out[i] !== row[3])).toEqual([]);
    const next = rng(17);
    const ms = [0, 1, 2 ** 15 - 1, 2 ** 15, 2 ** 30, 0x7ffeffff, 0x7fff0000, INT32_MAX, ...Array.from({ length: 500 }, () => next() >>> 1)];
    const reduced = run(ms.map((m) => `u ${m}`)).map(Number);
    expect(ms.filter((m, i) => reduced[i] !== reduceMultiplier(m))).toEqual([]);
  });

  it('the multiply, divide and softmax helpers agree with arm_nnsupportfunctions.h', () => {
    const next = rng(11);
    const special = [INT32_MIN, INT32_MIN + 1, -(2 ** 30), -1, 0, 1, 2 ** 30, INT32_MAX - 1, INT32_MAX];
    const pick = (k: number) => (k < special.length ? special[k] : next() | 0);
    const lines: string[] = [];
    const expected: number[] = [];
    const push = (line: string, value: number) => {
      lines.push(line);
      expected.push(value);
    };
    for (let k = 0; k < 3000; k++) {
      const a = pick(k % 40 === 0 ? k / 40 : 99);
      const b = pick(k % 7 === 0 ? k % special.length : 99);
      push(`d ${a} ${b}`, saturatingRoundingDoublingHighMul(a, b));
      push(`n ${a} ${b}`, doublingHighMulNoSat(a, b));
      const e = next() % 32;
      push(`p ${a} ${e}`, roundingDivideByPOT(a, e));
      const pe = 1 + (next() % 30);
      push(`m ${a} ${pe}`, multiplyByPOT(a, pe));
      const neg = k < special.length ? Math.min(special[k], 0) : -(next() >>> (next() % 32));
      push(`e ${neg}`, expOnNegativeValues(neg));
      const pos = k < special.length ? Math.max(special[k], 0) : next() >>> 1;
      push(`o ${pos}`, oneOverOnePlusX(pos));
    }
    const out = run(lines).map(Number);
    const bad = lines.flatMap((l, i) => (out[i] === expected[i] ? [] : [`${l}: C ${out[i]}, TS ${expected[i]}`]));
    expect(bad.slice(0, 20)).toEqual([]);
  });

  it('quantizeMultiplier, softmaxParams and addParams match the TFLite formulas in C', () => {
    const next = rng(13);
    const rnd = () => next() / 2 ** 32;
    const lines: string[] = [];
    const expected: string[] = [];
    for (let k = 0; k < 2000; k++) {
      const real = k < 4 ? [1, 0.5, 2 ** -31, 2 ** -32][k] : Math.exp((rnd() - 0.7) * 30) * (k % 17 === 0 ? -1 : 1);
      const q = quantizeMultiplier(real);
      lines.push(`q ${f64bits(real)}`);
      expected.push(`${q.multiplier} ${q.shift}`);
    }
    for (let k = 0; k < 500; k++) {
      const scale = Math.fround(Math.exp((rnd() - 0.5) * 12));
      const beta = k % 5 === 0 ? Math.fround(rnd() * 3) : 1;
      const p = softmaxParams(scale, beta);
      lines.push(`s ${f32bits(beta)} ${f32bits(scale)}`);
      expected.push(`${p.multiplier} ${p.shift} ${p.diffMin}`);
    }
    for (let k = 0; k < 500; k++) {
      const s = () => Math.fround(Math.exp((rnd() - 0.5) * 8));
      const [s1, s2, so] = k === 0 ? [0.5, 0.5, 1] : [s(), s(), s()];
      const p = addParams(s1, 3, s2, -4, so, 5);
      lines.push(`a ${f32bits(s1)} 3 ${f32bits(s2)} -4 ${f32bits(so)} 5`);
      expected.push(
        `${p.input1.multiplier} ${p.input1.shift} ${p.input2.multiplier} ${p.input2.shift} ${p.output.multiplier} ${p.output.shift} ${p.leftShift}`,
      );
    }
    const out = run(lines);
    const bad = lines.flatMap((l, i) => (out[i] === expected[i] ? [] : [`${l}: C ${out[i]}, TS ${expected[i]}`]));
    expect(bad.slice(0, 20)).toEqual([]);
  });
});
