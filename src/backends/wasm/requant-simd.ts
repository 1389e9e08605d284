/**
 * arm_nn_requantize (src/ir/intmath.ts `requantize`) four channels per i32x4, exactly, without
 * per-lane variable shifts:
 *
 * - h = ((v << left) * mult + 2^30) >> 31: `i64x2.extmul_*_i32x4_s`, + 2^30, then `i64x2.shl` by
 *   one and the odd i32 lanes (bits 31..62 of the sum, h's two's complement; h fits 32 bits
 *   when mult >= 0).
 * - The rounding division by 2^r (half away from zero) with R = max(1, max r) of the layer: with
 *   P = 2^(R - r) per lane, round(h / 2^r) = (h * P + 2^(R - 1) + (h < 0 ? -1 : 0)) >> R (the -1
 *   stands in for -2^(R - r): h * P + 2^(R - 1) is a multiple of 2^(R - r), so no multiple of 2^R
 *   lies between the two). The output zero point is folded in as + zp * 2^R.
 * - To keep h * P in 32 bits, h is first clamped to ±2^(r + 9) per lane: a value past that
 *   divides to at least 512 in magnitude, which saturates int8 either way. With R <= 21 every
 *   intermediate stays below 2^31.
 *
 * Layers with a negative multiplier or a right shift above 21 keep the older i64 form.
 */
import { v128, type Expr, type Fn } from './fn.js';

/** Largest right shift the fast form takes. */
export const MAX_FAST_RIGHT = 21;

/** Bytes of one four-channel record: bias, 2^left, mult, bound, -bound, 2^(R - r) (i32x4 each). */
export const FAST_RECORD_BYTES = 96;

/** The per-layer constants of the fast form. */
export interface FastRequant {
  /** Four-channel records, `FAST_RECORD_BYTES` each, for ceil(M / 4) blocks (zero-padded). */
  records: Int32Array;
  /** The common shift R. */
  R: number;
  /** Whether any channel shifts left (else the multiply by 2^left is left out). */
  anyLeft: boolean;
  /** Whether h is clamped to ±2^(r + 9) (false when the accumulator bounds show |h * 2^(R - r)| <= 2^30). */
  clamp: boolean;
  ozp: number;
}

/** The fast form's constants, or null when the layer does not qualify. `accBound`, when given,
 * bounds |accumulator + bias| per channel (from the weights), which can make the clamp unneeded. */
export function fastRequant(mult: Int32Array, shift: Int32Array, bias: Int32Array | undefined, ozp: number, accBound?: readonly number[]): FastRequant | null {
  const M = mult.length;
  if (mult.some((v) => v < 0)) return null;
  const rights = Array.from(shift, (s) => Math.max(-s, 0));
  const R = Math.max(1, ...rights);
  if (R > MAX_FAST_RIGHT) return null;
  const blocks = Math.ceil(M / 4);
  const records = new Int32Array(blocks * (FAST_RECORD_BYTES / 4));
  for (let m = 0; m < blocks * 4; m++) {
    const b = Math.floor(m / 4) * (FAST_RECORD_BYTES / 4);
    const i = m % 4;
    const r = m < M ? rights[m] : 0;
    const left = m < M ? Math.max(shift[m], 0) : 0;
    records[b + i] = m < M && bias ? bias[m] : 0;
    records[b + 4 + i] = 2 ** left | 0;
    records[b + 8 + i] = m < M ? mult[m] : 0;
    records[b + 12 + i] = 2 ** (r + 9);
    records[b + 16 + i] = -(2 ** (r + 9));
    records[b + 20 + i] = 2 ** (R - r);
  }
  // |h| <= |a| * mult / 2^31 + 1 with |a| <= bound * 2^left (no wrap while that stays below 2^31).
  const safe = accBound !== undefined && Array.from(mult, (v, m) => {
    const a = accBound[m] * 2 ** Math.max(shift[m], 0);
    return a < 2 ** 31 && ((a * v) / 2 ** 31 + 1) * 2 ** (R - rights[m]) <= 2 ** 30;
  }).every(Boolean);
  return { records, R, anyLeft: Array.from(shift).some((s) => s > 0), clamp: !safe, ozp };
}

/** The requantized values (output zero point added, not clamped) of the i32x4 accumulator `acc`,
 * channels of the record at local `rec` + `off`. */
export function requant4(f: Fn, q: FastRequant, acc: Expr, rec: number, off: number): Expr {
  const m = f.m;
  const a = f.local(v128);
  const p = f.local(v128);
  const h = f.local(v128);
  const ld = (k: number) => m.v128.load(off + k * 16, 1, f.get(rec));
  const round = () => m.i64x2.splat(m.i64.const(1n << 30n));
  const wide = (x: Expr) => m.i64x2.shl(m.i64x2.add(x, round()), f.c(1));
  const sum = m.i32x4.add(acc, ld(0));
  const odd = [4, 5, 6, 7, 12, 13, 14, 15, 20, 21, 22, 23, 28, 29, 30, 31];
  return m.block(null, [
    f.set(a, q.anyLeft ? m.i32x4.mul(sum, ld(1)) : sum),
    f.set(p, ld(2)),
    f.set(h, m.i8x16.shuffle(wide(m.i64x2.extmul_low_i32x4_s(f.get(a), f.get(p))), wide(m.i64x2.extmul_high_i32x4_s(f.get(a), f.get(p))), odd)),
    f.set(a, q.clamp ? m.i32x4.min_s(m.i32x4.max_s(f.get(h), ld(4)), ld(3)) : f.get(h)),
    m.i32x4.shr_s(m.i32x4.add(m.i32x4.add(m.i32x4.mul(f.get(a), ld(5)), m.i32x4.splat(f.c(2 ** (q.R - 1) + q.ozp * 2 ** q.R))),
      m.i32x4.shr_s(f.get(h), f.c(31))), f.c(q.R)),
  ], v128);
}

/** Saturates up to four i32x4 (channel order) to int8 lanes and clamps them to [lo, hi]. */
export function packInt8(f: Fn, parts: readonly Expr[], lo: number, hi: number): Expr {
  const m = f.m;
  let bytes: Expr;
  if (parts.length === 4) bytes = m.i8x16.narrow_i16x8_s(m.i16x8.narrow_i32x4_s(parts[0], parts[1]), m.i16x8.narrow_i32x4_s(parts[2], parts[3]));
  else if (parts.length === 2) {
    const t = f.local(v128);
    bytes = m.block(null, [f.set(t, m.i16x8.narrow_i32x4_s(parts[0], parts[1])), m.i8x16.narrow_i16x8_s(f.get(t), f.get(t))], v128);
  } else {
    const t = f.local(v128);
    bytes = m.block(null, [f.set(t, parts[0]), f.set(t, m.i16x8.narrow_i32x4_s(f.get(t), f.get(t))), m.i8x16.narrow_i16x8_s(f.get(t), f.get(t))], v128);
  }
  return m.i8x16.min_s(m.i8x16.max_s(bytes, m.i8x16.splat(f.c(lo))), m.i8x16.splat(f.c(hi)));
}

/** Stores the first 4 × `parts` bytes of `packed` at `addr`. */
export function storeInt8(f: Fn, addr: Expr, packed: Expr, parts: number): Expr {
  const m = f.m;
  if (parts === 4) return m.v128.store(0, 1, addr, packed);
  if (parts === 2) return m.v128.store64_lane(0, 1, 0, addr, packed);
  return m.v128.store32_lane(0, 1, 0, addr, packed);
}

/** Requantizes `count` int32 accumulators at `acc` into int8 at `out`: 16 channels per pass,
 * then 8 or 4; returns the code and how many channels it covered (a multiple of 4). */
export function requantRunFast(f: Fn, q: FastRequant, recAt: number, acc: Expr, out: Expr, count: number, lo: number, hi: number): { code: Expr[]; done: number } {
  const m = f.m;
  const [ap, rp, op] = [f.local(), f.local(), f.local()];
  const code: Expr[] = [f.set(ap, acc), f.set(rp, f.c(recAt)), f.set(op, out)];
  const pass = (parts: number): Expr[] => [
    storeInt8(f, f.get(op), packInt8(f, Array.from({ length: parts }, (_, k) =>
      requant4(f, q, m.v128.load(k * 16, 1, f.get(ap)), rp, k * FAST_RECORD_BYTES)), lo, hi), parts),
    f.inc(ap, parts * 16), f.inc(rp, parts * FAST_RECORD_BYTES), f.inc(op, parts * 4),
  ];
  let done = 0;
  const sixteens = Math.floor(count / 16);
  if (sixteens) code.push(f.repeat(sixteens, pass(4)));
  done = sixteens * 16;
  if (count - done >= 8) {
    code.push(...pass(2));
    done += 8;
  }
  if (count - done >= 4) {
    code.push(...pass(1));
    done += 4;
  }
  return { code, done };
}
