/**
 * QAdd (arm_elementwise_add_s8, src/interp/int8/elementwise.ts) 16 elements per pass in SIMD128,
 * exactly, without tables (Wasm has no gather):
 *
 * - Operand: a = requantize((x - zp) << L, m, s). With L' = L + max(s, 0) and K = 31 - L',
 *   ((d << L') * m + 2^30) >> 31 = (d * m + 2^(K - 1)) >> K, and splitting m = mh * 2^K + ml
 *   (mh = m >> K, ml = m & (2^K - 1)) gives d * mh + ((d * ml + 2^(K - 1)) >> K): two i32x4
 *   multiplies that cannot overflow while |d| <= 255 and 8 <= L' <= 22 (TFLite's L is 20).
 * - Output: the sum's ((sum << left) * m + 2^30) >> 31 from `i64x2.extmul_*_i32x4_s` (+ 2^30,
 *   `i64x2.shl` by one, the odd i32 lanes: bits 31..62, the interpreter's `| 0` wrap included).
 * - Every right shift is one constant of the layer, so the rounding division by 2^r (half away
 *   from zero) is arm_nn_divide_by_power_of_two itself per lane: (h >> r) + ((h & mask) >
 *   (mask >> 1) + (result < 0)).
 * - The output zero point is added after a saturating narrow to i16 (`i16x8.add_saturate_s`), so a
 *   sum past the i32 range still saturates the way the interpreter's unbounded + does.
 */
import type { QAddAttrs } from '../../../ir/qops.js';
import { v128, type Expr, type Fn } from '../fn.js';

/** One operand's constants: zero point, mh, ml, K, and the right shift r. */
interface OperandPlan { zp: number; mh: number; ml: number; k: number; right: number }

/** The constants of the SIMD QAdd, or null when the layer does not qualify. */
export interface AddSimdPlan {
  input1: OperandPlan;
  input2: OperandPlan;
  /** Output multiplier, left shift, right shift, zero point. */
  mult: number;
  left: number;
  right: number;
  zp: number;
  actMin: number;
  actMax: number;
}

function operandPlan(zp: number, multiplier: number, shift: number, leftShift: number): OperandPlan | null {
  const total = leftShift + Math.max(shift, 0);
  if (!(total >= 8 && total <= 22) || zp < -128 || zp > 127) return null;
  const k = 31 - total;
  return { zp, mh: multiplier >> k, ml: multiplier & ((1 << k) - 1), k, right: Math.max(-shift, 0) };
}

/** The SIMD plan for a QAdd's attributes (null: use the scalar loop). */
export function addSimdPlan(a: Pick<QAddAttrs, 'leftShift' | 'input1' | 'input2' | 'output' | 'actMin' | 'actMax'>): AddSimdPlan | null {
  const in1 = operandPlan(a.input1.zeroPoint, a.input1.multiplier, a.input1.shift, a.leftShift);
  const in2 = operandPlan(a.input2.zeroPoint, a.input2.multiplier, a.input2.shift, a.leftShift);
  const { multiplier, shift, zeroPoint } = a.output;
  if (!in1 || !in2 || shift > 31 || shift < -31 || zeroPoint < -32768 || zeroPoint > 32767) return null;
  return {
    input1: in1, input2: in2, mult: multiplier, left: Math.max(shift, 0), right: Math.max(-shift, 0), zp: zeroPoint,
    actMin: a.actMin, actMax: a.actMax,
  };
}

/** arm_nn_divide_by_power_of_two of every i32 lane of local `h` by the constant 2^r. */
function roundingDivide(f: Fn, h: number, r: number): Expr {
  const m = f.m;
  if (r === 0) return f.get(h);
  const mask = r === 31 ? 0x7fffffff : (1 << r) - 1;
  const res = f.local(v128);
  return m.block(null, [
    f.set(res, m.i32x4.shr_s(f.get(h), f.c(r))),
    m.i32x4.sub(f.get(res), m.i32x4.gt_s(
      m.v128.and(f.get(h), m.i32x4.splat(f.c(mask))),
      m.i32x4.sub(m.i32x4.splat(f.c(mask >> 1)), m.i32x4.shr_s(f.get(res), f.c(31))),
    )),
  ], v128);
}

/** One operand's rescaled values of the i32x4 `d` (x - zp). */
function operand(f: Fn, p: OperandPlan, d: Expr): Expr {
  const m = f.m;
  const dl = f.local(v128);
  const h = f.local(v128);
  return m.block(null, [
    f.set(dl, d),
    // ml = 0 (the larger input's 2^30): (0 + 2^(K - 1)) >> K is 0, one multiply is all.
    f.set(h, p.ml === 0 ? m.i32x4.mul(f.get(dl), m.i32x4.splat(f.c(p.mh))) : m.i32x4.add(
      m.i32x4.mul(f.get(dl), m.i32x4.splat(f.c(p.mh))),
      m.i32x4.shr_s(m.i32x4.add(m.i32x4.mul(f.get(dl), m.i32x4.splat(f.c(p.ml))), m.i32x4.splat(f.c(2 ** (p.k - 1)))), f.c(p.k)),
    )),
    roundingDivide(f, h, p.right),
  ], v128);
}

/** The four i32x4 `x - zp` of the 16 int8 lanes of `x`. */
function differences(f: Fn, x: Expr, zp: number): Expr[] {
  const m = f.m;
  const t = f.local(v128);
  const lo = f.local(v128);
  const hi = f.local(v128);
  const z = m.i16x8.splat(f.c(zp));
  const setup = m.block(null, [
    f.set(t, x),
    f.set(lo, m.i16x8.sub(m.i16x8.extend_low_i8x16_s(f.get(t)), z)),
    f.set(hi, m.i16x8.sub(m.i16x8.extend_high_i8x16_s(f.get(t)), m.i16x8.splat(f.c(zp)))),
    m.i32x4.extend_low_i16x8_s(f.get(lo)),
  ], v128);
  return [setup, m.i32x4.extend_high_i16x8_s(f.get(lo)), m.i32x4.extend_low_i16x8_s(f.get(hi)), m.i32x4.extend_high_i16x8_s(f.get(hi))];
}

/** The sum's requantization (zero point not added) of the i32x4 `sum`. */
function output(f: Fn, p: AddSimdPlan, sum: Expr): Expr {
  const m = f.m;
  const a = f.local(v128);
  const mult = f.local(v128);
  const h = f.local(v128);
  const wide = (x: Expr) => m.i64x2.shl(m.i64x2.add(x, m.i64x2.splat(m.i64.const(1n << 30n))), f.c(1));
  const odd = [4, 5, 6, 7, 12, 13, 14, 15, 20, 21, 22, 23, 28, 29, 30, 31];
  return m.block(null, [
    f.set(a, p.left ? m.i32x4.shl(sum, f.c(p.left)) : sum),
    f.set(mult, m.i32x4.splat(f.c(p.mult))),
    f.set(h, m.i8x16.shuffle(wide(m.i64x2.extmul_low_i32x4_s(f.get(a), f.get(mult))), wide(m.i64x2.extmul_high_i32x4_s(f.get(a), f.get(mult))), odd)),
    roundingDivide(f, h, p.right),
  ], v128);
}

/** The 16 int8 results of QAdd on the int8 lanes of `x1` and `x2` (as an i8x16). */
export function add16(f: Fn, p: AddSimdPlan, x1: Expr, x2: Expr): Expr {
  const m = f.m;
  const d1 = differences(f, x1, p.input1.zp);
  const d2 = differences(f, x2, p.input2.zp);
  const r = d1.map((d, i) => output(f, p, m.i32x4.add(operand(f, p.input1, d), operand(f, p.input2, d2[i]))));
  const zp = () => m.i16x8.splat(f.c(p.zp));
  const bytes = m.i8x16.narrow_i16x8_s(
    m.i16x8.add_saturate_s(m.i16x8.narrow_i32x4_s(r[0], r[1]), zp()),
    m.i16x8.add_saturate_s(m.i16x8.narrow_i32x4_s(r[2], r[3]), zp()),
  );
  return m.i8x16.min_s(m.i8x16.max_s(bytes, m.i8x16.splat(f.c(p.actMin))), m.i8x16.splat(f.c(p.actMax)));
}
