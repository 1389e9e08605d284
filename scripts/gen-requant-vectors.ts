/**
 * Generates test/data/requant-vectors.json, the shared table that pins down qgc's
 * requantization for every backend: the integer interpreter (src/ir/intmath.ts), CMSIS-NN
 * itself, the portable C kernels, the Wasm kernels and the WGSL shaders (which emulate the
 * 64-bit product with 32-bit pieces). Each backend's test evaluates its requantize on every
 * row and must reproduce `result` exactly.
 *
 *   npx tsx scripts/gen-requant-vectors.ts     (deterministic: rewrites the same file)
 *
 * The results are computed here, independently of src/ir/intmath.ts, from the
 * mathematical definition with BigInt; test/requant.test.ts checks that this definition,
 * intmath.ts and CMSIS-NN's arm_nn_requantize (compiled from its header) all agree.
 *
 * File format (one JSON object):
 *   {
 *     "function":   "arm_nn_requantize (CMSIS-NN default build)",
 *     "definition": the three steps below, in words,
 *     "columns":    ["value", "multiplier", "shift", "result"],
 *     "cases":      [[value, multiplier, shift, result], ...]   every entry an int32 as a JSON number
 *   }
 *
 * One row (value v, multiplier m, shift s; all int32, s in [-31, 30]):
 *   1. a = v * 2^max(s, 0). Every row keeps a inside int32 (C leaves the overflow undefined).
 *   2. h = floor((a * m + 2^30) / 2^31) with the exact 64-bit product, i.e. a*m / 2^31 rounded
 *      half up (toward +infinity), then wrapped to int32. Only a = m = INT32_MIN leaves the
 *      range: 2^31 wraps to INT32_MIN. This is arm_nn_doubling_high_mult_no_sat: there is no
 *      saturation (TFLite's SaturatingRoundingDoublingHighMul would give INT32_MAX there;
 *      the two agree everywhere else, ties included).
 *   3. result = h / 2^max(-s, 0) rounded half away from zero (arm_nn_divide_by_power_of_two).
 *
 * Rows cover: zero values and a zero multiplier; ties of step 2 and of step 3, positive and
 * negative; INT32_MIN/INT32_MAX values and multipliers (the INT32_MIN * INT32_MIN wrap);
 * every shift from -31 to 30 (left shifts with the largest values that fit); multipliers at
 * 2^30 and 2^31 - 1 and negative ones; realistic accumulators with multipliers from typical
 * scales; and uniformly random rows.
 *
 * A second table, `s64`, pins arm_nn_requantize_s64 (CMSIS-NN's _s16 kernels: int64 accumulator
 * and bias, the Q31 multiplier reduced to Q15): rows [value as a decimal string,
 * reducedMultiplier, shift, result]; see requantizeS64Definition.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { mulberry32 as prng } from '../test/support/random.js';

const I32_MIN = -(2 ** 31);
const I32_MAX = 2 ** 31 - 1;

export type RequantRow = [value: number, multiplier: number, shift: number, result: number];

/** A row of the 64-bit table: the int64 value as a decimal string (JSON numbers stop at 2^53). */
export type RequantS64Row = [value: string, reducedMultiplier: number, shift: number, result: number];

export interface RequantTable {
  function: string;
  definition: string;
  columns: ['value', 'multiplier', 'shift', 'result'];
  cases: RequantRow[];
  /** arm_nn_requantize_s64 (the _s16 kernels' int64 accumulators), its definition and rows. */
  s64: {
    function: string;
    definition: string;
    columns: ['value', 'reducedMultiplier', 'shift', 'result'];
    cases: RequantS64Row[];
  };
}

const wrap32 = (x: bigint): bigint => BigInt.asIntN(32, x);

/** Floor division by 2^k of a BigInt (BigInt's >> already floors; stated explicitly). */
function floorDivPow2(x: bigint, k: bigint): bigint {
  const d = 1n << k;
  const q = x / d; // truncates toward zero
  return x < 0n && q * d !== x ? q - 1n : q;
}

/** x / 2^k rounded to nearest, halves away from zero. */
function roundHalfAwayDivPow2(x: bigint, k: bigint): bigint {
  if (k === 0n) return x;
  const d = 1n << k;
  const mag = x < 0n ? -x : x;
  const q = (2n * mag + d) / (2n * d); // floor((|x| + d/2) / d)
  return x < 0n ? -q : q;
}

/** The definition in the header comment; null when the left shift overflows int32. */
export function requantizeDefinition(value: number, multiplier: number, shift: number): number | null {
  const left = BigInt(Math.max(shift, 0));
  const right = BigInt(Math.max(-shift, 0));
  const a = BigInt(value) * (1n << left);
  if (a !== wrap32(a)) return null;
  const h = wrap32(floorDivPow2(a * BigInt(multiplier) + (1n << 30n), 31n));
  return Number(roundHalfAwayDivPow2(h, right));
}


/** arm_nn_requantize_s64 from its definition: p = value * reducedMultiplier over exact integers;
 * r = floor(p / 2^(14 - shift)) wrapped to int32; result = floor((r + 1) / 2). Null where r + 1
 * would overflow int32 or the product leaves int64 (C leaves both undefined). */
export function requantizeS64Definition(value: bigint, reducedMultiplier: number, shift: number): number | null {
  const p = value * BigInt(reducedMultiplier);
  if (p !== BigInt.asIntN(64, p)) return null;
  const r = BigInt.asIntN(32, floorDivPow2(p, BigInt(14 - shift)));
  if (r === BigInt(I32_MAX)) return null;
  return Number(floorDivPow2(r + 1n, 1n));
}

/** Rows of arm_nn_requantize_s64: ties of the last shift, both signs; accumulators of int16
 * layers (sums of int16 * int8 products plus int64 biases, beyond int32 too); reduced
 * multipliers from REDUCE_MULTIPLIER of typical Q31 multipliers and the extremes 0, 1 and 0x7FFF;
 * every shift from -31 to 14; results that wrap in the int64 → int32 step. */
function generateS64Rows(next: () => number): RequantS64Row[] {
  const int = (lo: number, hi: number) => lo + (next() % (hi - lo + 1));
  const rows: RequantS64Row[] = [];
  const seen = new Set<string>();
  const add = (v: bigint, m: number, s: number): void => {
    const key = `${v},${m},${s}`;
    if (seen.has(key)) return;
    const r = requantizeS64Definition(v, m, s);
    if (r === null) return;
    seen.add(key);
    rows.push([v.toString(), m, s, r]);
  };
  const big = (bits: number) => BigInt(int(0, 2 ** 30)) * (1n << BigInt(Math.max(bits - 30, 0))) + BigInt(int(0, 2 ** Math.min(bits, 30)));
  const reduce = (m: number) => (m < 0x7fff0000 ? (m + (1 << 15)) >> 16 : 0x7fff);
  for (const v of [0n, 1n, -1n, 2n, -2n, 3n, -3n]) for (const m of [0, 1, 16384, 0x7fff]) for (const s of [14, 0, -1, -15]) add(v, m, s);
  // Ties of the last shift: p = odd * 2^(14 - s), so p / 2^(15 - s) = odd / 2 (half up: -1.5 -> -1, 1.5 -> 2).
  for (let s = -31; s <= 14; s++) {
    const k = BigInt(14 - s);
    for (const odd of [1n, 3n, 5n, BigInt(2 * int(0, 1000) + 1)]) for (const sign of [1n, -1n]) add(sign * odd * (1n << k), 1, s);
  }
  // Every shift, with int16-layer accumulators (|acc| up to 2^40) and typical multipliers.
  for (let s = -31; s <= 14; s++) {
    for (let k = 0; k < 6; k++) {
      const acc = big(int(8, 40)) * (next() % 2 ? 1n : -1n);
      add(acc, reduce(int(2 ** 30, 2 ** 31 - 1)), s);
    }
  }
  // Realistic: sums of up to 512 int16 * int8 products plus a bias, shifts of scales 2^-20 .. 2^-1.
  for (let k = 0; k < 120; k++) {
    const acc = BigInt(int(0, 2 ** 31) - 2 ** 30) + BigInt(int(0, 2 ** 20) - 2 ** 19) * 1024n;
    add(acc, reduce(int(2 ** 30, 2 ** 31 - 1)), -int(1, 20));
  }
  // Results beyond int32 before the conversion (the kernels' outputs are clamped to int16 after).
  for (let k = 0; k < 10; k++) add(big(46) * (k % 2 ? 1n : -1n), 0x7fff, int(0, 14));
  return rows;
}

export function generateRequantVectors(): RequantTable {
  const next = prng(0x5eed2026);
  const int = (lo: number, hi: number) => lo + (next() % (hi - lo + 1));
  const i32 = () => next() | 0;
  const rows: RequantRow[] = [];
  const seen = new Set<string>();
  const add = (v: number, m: number, s: number): void => {
    const key = `${v},${m},${s}`;
    if (seen.has(key)) return;
    const r = requantizeDefinition(v, m, s);
    if (r === null) return;
    seen.add(key);
    rows.push([v, m, s, r]);
  };

  // Zero value, zero multiplier.
  for (const s of [-31, -20, -1, 0, 1, 10, 30]) {
    add(0, 1518500250, s);
    add(0, I32_MAX, s);
    add(123456, 0, s >= 10 ? 0 : s);
  }
  add(I32_MIN, 0, 0);
  add(I32_MAX, 0, -5);

  // Step-2 ties: a*m = odd * 2^30 (v = 2^i * odd, m = 2^(30-i) * odd), both signs.
  for (let i = 0; i <= 30; i++) {
    const vOdd = 2 * int(0, Math.min(1000, 2 ** (30 - i) - 1)) + 1; // v < 2^31
    const mOdd = 2 * int(0, 2 ** Math.min(i, 20) - 1) + 1; // m < 2^31
    const v = vOdd * 2 ** i;
    const m = mOdd * 2 ** (30 - i);
    for (const sv of [1, -1]) for (const sm of [1, -1]) add(sv * v, sm * m, 0);
  }
  for (const v of [1, -1, 3, -3, 5, -5, 2 ** 30, -(2 ** 30), 7, -7]) {
    add(v, 2 ** 30, 0); // m = 0.5: odd values are exact ties
    add(v, 2 ** 30, -1);
  }
  for (let k = 0; k < 20; k++) add((2 ** 30) * (next() % 2 ? 1 : -1), 2 * int(2 ** 29, 2 ** 30 - 1) + 1, -int(0, 8));

  // Step-3 ties: m = 2^30 (one half) and an even v = odd * 2^r give h = v / 2 = odd * 2^(r-1)
  // exactly, halfway between two multiples of 2^r; s = -r divides by 2^r.
  for (let r = 1; r <= 31; r++) {
    for (let k = 0; k < 3; k++) {
      const odd = r >= 29 ? 1 : 2 * int(0, 2 ** Math.min(30 - r, 12) - 1) + 1;
      const v = odd * 2 ** r;
      if (v <= I32_MAX) add(v, 2 ** 30, -r);
      if (-v >= I32_MIN) add(-v, 2 ** 30, -r);
    }
  }
  for (const v of [4, 12, 20]) for (const sign of [1, -1]) add(sign * v, 2 ** 30, -2); // ±0.5, ±1.5, ±2.5
  // Step-3 ties with general multipliers, found by search (probability 2^-r per try).
  for (let r = 1; r <= 6; r++) {
    let found = 0;
    for (let t = 0; t < 20000 && found < 6; t++) {
      const v = int(0, 2 ** 24) - 2 ** 23;
      const m = int(2 ** 30, I32_MAX);
      const h = requantizeDefinition(v, m, 0) as number;
      if (((h % 2 ** r) + 2 ** r) % 2 ** r === 2 ** (r - 1)) {
        add(v, m, -r);
        found++;
      }
    }
  }

  // Extremes of value and multiplier, including the INT32_MIN * INT32_MIN wrap.
  const extremes = [I32_MIN, I32_MIN + 1, -1, 1, I32_MAX - 1, I32_MAX];
  for (const v of extremes) {
    for (const m of [I32_MIN, I32_MIN + 1, -(2 ** 30), 2 ** 30, 2 ** 30 + 1, I32_MAX - 1, I32_MAX]) {
      for (const s of [0, -1, -15, -31]) add(v, m, s);
    }
  }

  // Every shift; left shifts with values at the edge of what fits.
  for (let s = -31; s <= 30; s++) {
    for (let k = 0; k < 4; k++) add(i32() >> Math.max(s, 0), int(2 ** 30, I32_MAX), s);
    if (s > 0) {
      const maxV = 2 ** (31 - s) - 1;
      add(maxV, I32_MAX, s);
      add(-maxV - 1, I32_MAX, s);
      add(maxV, 2 ** 30, s);
      add(-maxV, 2 ** 30 + 12345, s);
    }
  }

  // Multipliers near 2^30 and 2^31 - 1, and negative multipliers.
  for (let k = 0; k < 40; k++) {
    const s = -int(0, 31);
    add(i32(), 2 ** 30 + int(0, 64), s);
    add(i32(), I32_MAX - int(0, 64), s);
    add(int(0, 2 ** 20) - 2 ** 19, -int(2 ** 30, I32_MAX), -int(0, 12));
  }

  // Realistic accumulators (|acc| < 2^21) with multipliers of scales 2^-14 .. 2^-2.
  for (let k = 0; k < 150; k++) {
    const acc = int(0, 2 ** 22) - 2 ** 21;
    const exp = -int(2, 14); // real = fraction * 2^exp, fraction in [0.5, 1)
    add(acc, int(2 ** 30, I32_MAX), exp);
  }
  // Small values with left shifts (Add's inputs: (x - zp) << 20, then shift <= 0; Concat's
  // ratios above one: shift 1..3).
  for (let k = 0; k < 40; k++) {
    add((int(0, 510) - 255) * 2 ** 20, int(2 ** 30, I32_MAX), -int(0, 12));
    add(int(0, 510) - 255, int(2 ** 30, I32_MAX), int(1, 8));
  }

  // Uniformly random rows.
  for (let k = 0; k < 120; k++) add(i32(), i32(), -int(0, 31));

  return {
    function: 'arm_nn_requantize (CMSIS-NN default build)',
    definition:
      'a = value * 2^max(shift,0) (fits int32 in every row); h = floor((a * multiplier + 2^30) / 2^31) ' +
      'over exact integers, wrapped to int32 (no saturation: INT32_MIN*INT32_MIN gives INT32_MIN); ' +
      'result = h / 2^max(-shift,0) rounded half away from zero',
    columns: ['value', 'multiplier', 'shift', 'result'],
    cases: rows,
    s64: {
      function: 'arm_nn_requantize_s64 (CMSIS-NN, the _s16 kernels)',
      definition:
        'p = value * reducedMultiplier over exact integers (value int64 as a decimal string; reducedMultiplier = REDUCE_MULTIPLIER(multiplier) ' +
        '= multiplier < 0x7FFF0000 ? (multiplier + 2^15) >> 16 : 0x7FFF); r = floor(p / 2^(14 - shift)) wrapped to int32; result = floor((r + 1) / 2)',
      columns: ['value', 'reducedMultiplier', 'shift', 'result'],
      cases: generateS64Rows(next),
    },
  };
}

/** The table as written to disk: one row per line, so diffs stay readable. */
export function formatRequantTable(t: RequantTable): string {
  const head = JSON.stringify({ function: t.function, definition: t.definition, columns: t.columns }, null, 2);
  const rows = t.cases.map((r) => `    ${JSON.stringify(r)}`).join(',\n');
  const s64Head = JSON.stringify({ function: t.s64.function, definition: t.s64.definition, columns: t.s64.columns }, null, 2).replace(/\n/g, '\n  ');
  const s64Rows = t.s64.cases.map((r) => `      ${JSON.stringify(r)}`).join(',\n');
  const s64 = `  "s64": ${s64Head.slice(0, -4)},\n    "cases": [\n${s64Rows}\n    ]\n  }`;
  return `${head.slice(0, -2)},\n  "cases": [\n${rows}\n  ],\n${s64}\n}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const out = new URL('../test/data/requant-vectors.json', import.meta.url);
  const table = generateRequantVectors();
  writeFileSync(out, formatRequantTable(table));
  console.log(`wrote ${table.cases.length} cases and ${table.s64.cases.length} s64 cases to ${fileURLToPath(out)}`);
}
