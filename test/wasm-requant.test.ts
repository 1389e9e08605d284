/** The Wasm SIMD module's fast requantization (src/backends/wasm/requant-simd.ts) against
 * src/ir/intmath.ts: every row of test/data/requant-vectors.json it takes (multiplier >= 0,
 * right shift <= 21), each on all four lanes with the other rows' channels beside it, plus random
 * and extreme accumulators, biases and output zero points; the int8 results must be equal. */
import { readFileSync } from 'node:fs';
import binaryen from 'binaryen';
import { describe, expect, it } from 'vitest';
import { Fn } from '../src/backends/wasm/fn.js';
import { fastRequant, MAX_FAST_RIGHT, packInt8, requant4, storeInt8 } from '../src/backends/wasm/requant-simd.js';
import { requantize } from '../src/ir/intmath.js';

/** The part of the WebAssembly global this test uses (the project's lib has no DOM types). */
interface Engine {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: { memory: { buffer: ArrayBuffer }; run: () => void } };
}
const wasm = (globalThis as unknown as { WebAssembly: Engine }).WebAssembly;

interface Vectors { cases: [number, number, number, number][] }
const vectors = JSON.parse(readFileSync(new URL('./data/requant-vectors.json', import.meta.url), 'utf8')) as Vectors;

/** Runs the fast form on `values` (each through all four channels) and returns int8 per value and lane. */
function runFast(mult: number[], shift: number[], bias: number[], ozp: number, lo: number, hi: number, values: Int32Array, bound?: number): Int8Array {
  const q = fastRequant(Int32Array.from(mult), Int32Array.from(shift), Int32Array.from(bias), ozp, bound === undefined ? undefined : [bound, bound, bound, bound]);
  if (!q) throw new Error('layer does not qualify');
  if (bound !== undefined && q.clamp) throw new Error('the bound should have removed the clamp');
  const n = values.length;
  const recAt = 0;
  const inAt = q.records.byteLength;
  const outAt = inAt + n * 16;
  const bytes = outAt + n * 4 + 16;
  const m = new binaryen.Module();
  try {
    m.setFeatures(binaryen.Features.MVP | binaryen.Features.SIMD128 | binaryen.Features.SignExt);
    m.setMemory(Math.ceil(bytes / 65536), Math.ceil(bytes / 65536), 'memory');
    const f = new Fn(m, true, false);
    const [rp, ip, op] = [f.local(), f.local(), f.local()];
    f.finish('run', [
      f.set(rp, f.c(recAt)), f.set(ip, f.c(inAt)), f.set(op, f.c(outAt)),
      f.repeat(n, [
        storeInt8(f, f.get(op), packInt8(f, [requant4(f, q, m.v128.load(0, 1, f.get(ip)), rp, 0)], lo, hi), 1),
        f.inc(ip, 16), f.inc(op, 4),
      ]),
    ]);
    m.addFunctionExport('run', 'run');
    if (!m.validate()) throw new Error('invalid module');
    m.optimize();
    const inst = new wasm.Instance(new wasm.Module(m.emitBinary()));
    const mem = new Uint8Array(inst.exports.memory.buffer);
    const rec = new Uint8Array(q.records.buffer);
    mem.set(rec, recAt);
    const acc = new Int32Array(n * 4);
    values.forEach((v, i) => acc.fill(v, i * 4, i * 4 + 4));
    mem.set(new Uint8Array(acc.buffer), inAt);
    inst.exports.run();
    return new Int8Array(mem.buffer, outAt, n * 4).slice();
  } finally {
    m.dispose();
  }
}

function check(mult: number[], shift: number[], bias: number[], ozp: number, lo: number, hi: number, values: Int32Array, bound?: number): number {
  const got = runFast(mult, shift, bias, ozp, lo, hi, values, bound);
  let bad = 0;
  values.forEach((v, i) => {
    for (let l = 0; l < 4; l++) {
      const want = Math.min(hi, Math.max(lo, requantize((v + bias[l]) | 0, mult[l], shift[l]) + ozp));
      if (got[i * 4 + l] !== want) {
        if (bad++ < 5) console.error({ v, lane: l, mult: mult[l], shift: shift[l], bias: bias[l], ozp, want, got: got[i * 4 + l] });
      }
    }
  });
  return bad;
}

let seed = 12345;
const rand32 = () => {
  seed = (Math.imul(seed, 1103515245) + 12345) | 0;
  return seed ^ (seed >>> 15);
};

describe('Wasm SIMD requantization (fast form) equals intmath requantize', () => {
  const rows = vectors.cases.filter(([, mult, shift]) => mult >= 0 && -shift <= MAX_FAST_RIGHT);

  it('covers the vector rows it takes', () => {
    expect(rows.length).toBeGreaterThan(800);
    expect(fastRequant(Int32Array.of(1, 2), Int32Array.of(0, -(MAX_FAST_RIGHT + 1)), undefined, 0)).toBeNull();
    expect(fastRequant(Int32Array.of(-1), Int32Array.of(0), undefined, 0)).toBeNull();
  });

  it('every vector row, all lanes, with random and extreme accumulators, biases and zero points', () => {
    const extremes = [0, 1, -1, 2, -2, 2 ** 31 - 1, -(2 ** 31), 2 ** 30, -(2 ** 30), 2 ** 20 + 1, -(2 ** 20) - 1, 65535, -65536, 12345678, -12345678];
    let bad = 0;
    for (let i = 0; i < rows.length; i += 4) {
      const layer = [0, 1, 2, 3].map((k) => rows[(i + k) % rows.length]);
      const mult = layer.map((r) => r[1]);
      const shift = layer.map((r) => r[2]);
      const values = [...layer.map((r) => r[0]), ...extremes];
      for (let k = 0; k < 48; k++) values.push(k % 2 ? rand32() : rand32() >> (k % 24));
      const ozp = [0, -128, 127, 57, -3][(i / 4) % 5];
      const bias = (i / 4) % 3 === 0 ? [0, 0, 0, 0] : [rand32() >> 8, rand32() >> 16, -77, rand32()];
      const [lo, hi] = (i / 4) % 4 === 1 ? [-20, 90] : [-128, 127];
      bad += check(mult, shift, bias, ozp, lo, hi, Int32Array.from(values));
    }
    expect(bad).toBe(0);
  });

  it('each right shift 0..21 against each other as lane neighbours, random multipliers', () => {
    let bad = 0;
    for (let r = 0; r <= MAX_FAST_RIGHT; r++) {
      const shift = [-r, 0, -MAX_FAST_RIGHT, r % 3 === 0 ? 5 : -(r >> 1)];
      const mult = [rand32() >>> 1, 2 ** 31 - 1, 0, (rand32() >>> 1) | 2 ** 30];
      const values = Int32Array.from({ length: 400 }, (_, k) => (k % 3 === 0 ? rand32() : rand32() >> (k % 31)));
      bad += check(mult, shift, [0, 0, 0, 0], r % 2 ? 13 : -128, -128, 127, values);
    }
    expect(bad).toBe(0);
  });

  it('without the clamp where the accumulator bound allows it (values up to the bound)', () => {
    let bad = 0;
    for (let r = 0; r <= MAX_FAST_RIGHT; r++) {
      const shift = [-r, -Math.max(r - 3, 0), r === 0 ? 2 : -r + 1, -(r >> 1)];
      const mult = [rand32() >>> 1, 2 ** 30 + (rand32() >>> 3), 1518500250, (rand32() >>> 1) | 2 ** 29];
      const R = Math.max(1, r);
      // The largest bound with |h| * 2^(R - r) <= 2^30 on every lane (lane 0 limits with r = R).
      const bound = Math.floor((2 ** 30 / 2 ** (R - Math.min(...shift.map((s) => Math.max(-s, 0)))) - 1) * 2 ** 31 / (2 ** 31 - 1) / 8) * 2;
      const values = Int32Array.from({ length: 300 }, (_, k) => (k < 2 ? (k ? -bound : bound) : (rand32() % bound)));
      bad += check(mult, shift, [0, 0, 0, 0], r % 2 ? -128 : 31, -128, 127, values, bound);
    }
    expect(bad).toBe(0);
  });
});
