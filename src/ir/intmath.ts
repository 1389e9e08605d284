/**
 * The integer arithmetic of qgc's int8 contract, in one place: every backend (the
 * interpreter, portable C, Wasm, WGSL) computes exactly these functions, and
 * `test/data/requant-vectors.json` pins them down (see scripts/gen-requant-vectors.ts).
 *
 * - Parameter computation (float → integer) follows TensorFlow Lite / TFLite Micro's
 *   default build (not TFLITE_SINGLE_ROUNDING): QuantizeMultiplier, the Add prepare step,
 *   the Softmax prepare step (PreprocessSoftmaxScaling, CalculateInputRadius).
 * - Run-time arithmetic follows CMSIS-NN's default build (neither CMSIS_NN_USE_SINGLE_ROUNDING
 *   nor the inline-assembly variants, which compute the same values): arm_nn_requantize,
 *   arm_nn_doubling_high_mult(_no_sat), arm_nn_divide_by_power_of_two and the softmax
 *   fixed-point helpers of arm_nnsupportfunctions.h.
 *
 * All values are int32 held in JS numbers. 64-bit products are computed exactly by
 * splitting one operand into 16-bit halves (every partial product stays below 2^53);
 * `requantizeBigInt` is the slow BigInt statement of the same function for tests.
 */
import type { ActClamp, OperandRequant, QAddAttrs, QBatchMatMulAttrs, QMulAttrs, QSoftmaxAttrs, Requant } from './qops.js';

export const INT32_MIN = -2147483648;
export const INT32_MAX = 2147483647;
const TWO_31 = 2147483648;
const TWO_30 = 1073741824;

/** A Q31 multiplier and a power-of-two exponent: real ≈ multiplier * 2^(shift - 31). */
export interface QuantizedMultiplier {
  multiplier: number;
  shift: number;
}

const f64 = new DataView(new ArrayBuffer(8));

/** C's frexp: x = fraction * 2^exponent with |fraction| in [0.5, 1); (0, 0) for zero.
 * Exact (bit manipulation), subnormals included. Non-finite input throws. */
export function frexp(x: number): { fraction: number; exponent: number } {
  if (x === 0) return { fraction: x, exponent: 0 };
  if (!Number.isFinite(x)) throw new RangeError(`frexp: ${x} is not finite`);
  f64.setFloat64(0, x);
  const hi = f64.getUint32(0);
  const biased = (hi >>> 20) & 0x7ff;
  if (biased === 0) {
    // Subnormal: scale into the normal range first (exact).
    const r = frexp(x * 2 ** 64);
    return { fraction: r.fraction, exponent: r.exponent - 64 };
  }
  f64.setUint32(0, (hi & 0x800fffff) | (1022 << 20));
  return { fraction: f64.getFloat64(0), exponent: biased - 1022 };
}

/** std::round / TfLiteRound: nearest integer, halves away from zero. */
export function roundHalfAwayFromZero(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

/** TFLite's QuantizeMultiplier (default build): frexp, q = round(fraction * 2^31), q == 2^31
 * becomes 2^30 with shift + 1, and shift < -31 flushes to (0, 0). A shift above 30 (real ≥ 2^30)
 * is returned as TFLite returns it, though arm_nn_requantize only accepts shifts up to 30. */
export function quantizeMultiplier(real: number): QuantizedMultiplier {
  if (real === 0) return { multiplier: 0, shift: 0 };
  const { fraction, exponent } = frexp(real);
  let shift = exponent;
  let q = roundHalfAwayFromZero(fraction * TWO_31);
  if (q === TWO_31) {
    q /= 2;
    shift++;
  }
  if (shift < -31) return { multiplier: 0, shift: 0 };
  return { multiplier: q | 0, shift };
}

/** QuantizeMultiplierSmallerThanOneExp: real in (0, 1), shift <= 0. */
export function quantizeMultiplierSmallerThanOne(real: number): QuantizedMultiplier {
  if (!(real > 0 && real < 1)) throw new RangeError(`multiplier ${real} is not in (0, 1)`);
  return quantizeMultiplier(real);
}

/** QuantizeMultiplierGreaterThanOne: real > 1, shift >= 0. */
export function quantizeMultiplierGreaterThanOne(real: number): QuantizedMultiplier {
  if (!(real > 1)) throw new RangeError(`multiplier ${real} is not greater than 1`);
  return quantizeMultiplier(real);
}

/** arm_nn_doubling_high_mult_no_sat: (int32)((a * b + 2^30) >> 31), i.e. a*b/2^31 rounded half
 * up, wrapped to int32 (only a = b = INT32_MIN leaves the range: it gives INT32_MIN). */
export function doublingHighMulNoSat(a: number, b: number): number {
  const bl = b & 0xffff;
  const x = a * (b >> 16); // exact: |x| < 2^46
  const q = Math.floor(x / 32768);
  // a*b + 2^30 = q * 2^31 + ((x - q*2^15) * 2^16 + a*bl + 2^30), the second term exact (< 2^48).
  return (q + Math.floor(((x - q * 32768) * 65536 + a * bl + TWO_30) / TWO_31)) | 0;
}

/** arm_nn_doubling_high_mult (= gemmlowp SaturatingRoundingDoublingHighMul, NEON VQRDMULH):
 * a*b/2^31 rounded half away from zero; INT32_MIN * INT32_MIN saturates to INT32_MAX. */
export function saturatingRoundingDoublingHighMul(a: number, b: number): number {
  if (a === INT32_MIN && b === INT32_MIN) return INT32_MAX;
  const nudge = a < 0 !== b < 0 ? 1 - TWO_30 : TWO_30;
  const bl = b & 0xffff;
  const x = a * (b >> 16);
  const q = Math.floor(x / 32768);
  const s = (x - q * 32768) * 65536 + a * bl + nudge;
  const fs = Math.floor(s / TWO_31);
  let f = q + fs; // floor((a*b + nudge) / 2^31)
  if (f < 0 && s !== fs * TWO_31) f += 1; // C's division truncates toward zero
  return f | 0;
}

/** arm_nn_divide_by_power_of_two (= gemmlowp RoundingDivideByPOT): x / 2^exponent rounded
 * half away from zero, exponent in [0, 31]. */
export function roundingDivideByPOT(x: number, exponent: number): number {
  const mask = ((1 << exponent) - 1) | 0;
  const remainder = x & mask;
  const result = x >> exponent;
  const threshold = (mask >> 1) + (result < 0 ? 1 : 0);
  return remainder > threshold ? result + 1 : result;
}

/** arm_nn_requantize, CMSIS-NN default build: for shift > 0, (val << shift) then the doubling
 * high multiply; for shift <= 0, the doubling high multiply then a rounding right shift by
 * -shift. multiplier in [INT32_MIN + 1, INT32_MAX], shift in [-31, 30]; `val << shift` must fit
 * int32 (C leaves overflow undefined; here it wraps). */
export function requantize(val: number, multiplier: number, shift: number): number {
  const a = shift > 0 ? val << shift : val;
  const bl = multiplier & 0xffff;
  const x = a * (multiplier >> 16);
  const q = Math.floor(x / 32768);
  const h = (q + Math.floor(((x - q * 32768) * 65536 + a * bl + TWO_30) / TWO_31)) | 0;
  if (shift >= 0) return h;
  const right = -shift;
  const mask = ((1 << right) - 1) | 0;
  const result = h >> right;
  const threshold = (mask >> 1) + (result < 0 ? 1 : 0);
  return (h & mask) > threshold ? result + 1 : result;
}

/** The same function as `requantize`, stated with BigInt (slow; for tests and tables). */
export function requantizeBigInt(val: number, multiplier: number, shift: number): number {
  const left = BigInt(Math.max(shift, 0));
  const right = BigInt(Math.max(-shift, 0));
  const a = BigInt.asIntN(32, BigInt(val) << left);
  const h = BigInt.asIntN(32, (a * BigInt(multiplier) + (1n << 30n)) >> 31n);
  if (right === 0n) return Number(h);
  const mask = (1n << right) - 1n;
  const result = h >> right;
  const threshold = (mask >> 1n) + (result < 0n ? 1n : 0n);
  return Number((h & mask) > threshold ? result + 1n : result);
}

/** One multiplier/shift per output channel from real scales (QConv/QFullyConnected). TFLM's
 * PopulateConvolutionQuantizationParams: real = (double(s_in) * double(s_w[c])) / double(s_out),
 * each scale a float32. A single weight scale gives per-tensor arrays of length 1. */
export function convRequant(inputScale: number, weightScales: ArrayLike<number>, outputScale: number): Requant {
  const n = weightScales.length;
  const multiplier = new Int32Array(n);
  const shift = new Int32Array(n);
  const sIn = Math.fround(inputScale);
  const sOut = Math.fround(outputScale);
  for (let c = 0; c < n; c++) {
    const q = quantizeMultiplier((sIn * Math.fround(weightScales[c])) / sOut);
    multiplier[c] = q.multiplier;
    shift[c] = q.shift;
  }
  return { multiplier, shift };
}

/** The output clamp of a fused activation: TFLite's CalculateActivationRangeQuantized, where a
 * bound f becomes zp + round_half_away(float32(f / scale)), intersected with [-128, 127].
 * No bounds: the full int8 range; Relu: (0, Infinity); Relu6: (0, 6). */
export function activationClamp(scale: number, zeroPoint: number, lo = -Infinity, hi = Infinity): ActClamp {
  const q = (f: number) => zeroPoint + roundHalfAwayFromZero(Math.fround(Math.fround(f) / Math.fround(scale)));
  return {
    actMin: lo === -Infinity ? -128 : Math.max(-128, q(lo)),
    actMax: hi === Infinity ? 127 : Math.min(127, q(hi)),
  };
}

/** TFLite/TFLM Add (int8) prepare: left shift 20, inputs rescaled to twice the larger input
 * scale, the output multiplier undoes that. Scales are float32 as in a TFLite tensor. */
export function addParams(
  scale1: number,
  zeroPoint1: number,
  scale2: number,
  zeroPoint2: number,
  outputScale: number,
  outputZeroPoint: number,
): Omit<QAddAttrs, keyof ActClamp> {
  const s1 = Math.fround(scale1);
  const s2 = Math.fround(scale2);
  const sOut = Math.fround(outputScale);
  const leftShift = 20;
  const twiceMaxInputScale = 2 * Math.max(s1, s2);
  const operand = (real: number, zeroPoint: number): OperandRequant => ({ zeroPoint, ...quantizeMultiplierSmallerThanOne(real) });
  return {
    leftShift,
    input1: operand(s1 / twiceMaxInputScale, zeroPoint1),
    input2: operand(s2 / twiceMaxInputScale, zeroPoint2),
    output: operand(twiceMaxInputScale / (2 ** leftShift * sOut), outputZeroPoint),
  };
}

/** TFLite's Sub (int8) prepare, PrepareGeneralSubOp: Add's parameters with input 2's multiplier
 * negated (op_sign -1), so the sum of the rescaled inputs is their difference. */
export function subParams(
  scale1: number,
  zeroPoint1: number,
  scale2: number,
  zeroPoint2: number,
  outputScale: number,
  outputZeroPoint: number,
): Omit<QAddAttrs, keyof ActClamp> {
  const p = addParams(scale1, zeroPoint1, scale2, zeroPoint2, outputScale, outputZeroPoint);
  return { ...p, input2: { ...p.input2, multiplier: -p.input2.multiplier } };
}

/** TFLite/TFLM Mul (int8) prepare: real = double(s1) * double(s2) / double(s_out) through
 * QuantizeMultiplier; the offsets are the zero points. Scales are float32 as in a TFLite tensor. */
export function mulParams(
  scale1: number,
  zeroPoint1: number,
  scale2: number,
  zeroPoint2: number,
  outputScale: number,
  outputZeroPoint: number,
): Omit<QMulAttrs, keyof ActClamp> {
  const q = quantizeMultiplier((Math.fround(scale1) * Math.fround(scale2)) / Math.fround(outputScale));
  return { input1ZeroPoint: zeroPoint1, input2ZeroPoint: zeroPoint2, outputZeroPoint, multiplier: q.multiplier, shift: q.shift };
}

/** TFLite's BatchMatMul (int8) prepare: real = double(s_lhs * s_rhs) / double(s_out) through
 * QuantizeMultiplier (the product of the input scales is a float, as in batch_matmul.cc). */
export function batchMatMulParams(
  lhsScale: number,
  lhsZeroPoint: number,
  rhsScale: number,
  rhsZeroPoint: number,
  outputScale: number,
  outputZeroPoint: number,
): Omit<QBatchMatMulAttrs, keyof ActClamp> {
  const q = quantizeMultiplier(Math.fround(Math.fround(lhsScale) * Math.fround(rhsScale)) / Math.fround(outputScale));
  return { lhsZeroPoint, rhsZeroPoint, outputZeroPoint, multiplier: q.multiplier, shift: q.shift };
}

/** Requantization of a Concat input to the output's scale: the multiplier of s_in / s_out
 * (identity when the parameters match: multiplier 2^30, shift 1, equal zero points). */
export function concatOperand(inputScale: number, inputZeroPoint: number, outputScale: number): OperandRequant {
  return { zeroPoint: inputZeroPoint, ...quantizeMultiplier(Math.fround(inputScale) / Math.fround(outputScale)) };
}

/** True when requantizing with `op` to `outputZeroPoint` is the identity (QConcat copies). */
export function isIdentityOperand(op: OperandRequant, outputZeroPoint: number): boolean {
  return op.zeroPoint === outputZeroPoint && op.multiplier === TWO_30 && op.shift === 1;
}

/** Integer bits of the softmax input differences (Q5.26), as TFLite's kScaledDiffIntegerBits. */
export const SOFTMAX_SCALED_DIFF_INTEGER_BITS = 5;

/** TFLite PreprocessSoftmaxScaling (default build): beta * s_in * 2^(31 - integerBits),
 * capped at 2^31 - 1, as a multiplier greater than one. */
export function preprocessSoftmaxScaling(beta: number, inputScale: number, inputIntegerBits: number): QuantizedMultiplier {
  const real = Math.min(beta * inputScale * 2 ** (31 - inputIntegerBits), TWO_31 - 1);
  return quantizeMultiplierGreaterThanOne(real);
}

/** TFLite CalculateInputRadius: floor((2^integerBits - 1) * 2^(totalBits - integerBits) / 2^leftShift). */
export function calculateInputRadius(inputIntegerBits: number, inputLeftShift: number, totalSignedBits = 31): number {
  return Math.floor(((2 ** inputIntegerBits - 1) * 2 ** (totalSignedBits - inputIntegerBits)) / 2 ** inputLeftShift);
}

/** QSoftmax attributes for an int8 input of scale `inputScale` (float32, as in TFLM's
 * CalculateSoftmaxParams); the output is fixed at scale 1/256, zero point -128. */
export function softmaxParams(inputScale: number, beta = 1): QSoftmaxAttrs {
  const b = Math.fround(beta);
  const { multiplier, shift } = preprocessSoftmaxScaling(b, Math.fround(inputScale), SOFTMAX_SCALED_DIFF_INTEGER_BITS);
  const diffMin = -calculateInputRadius(SOFTMAX_SCALED_DIFF_INTEGER_BITS, shift);
  return { multiplier, shift, diffMin };
}

/** arm_nn_mult_by_power_of_two: val * 2^exp, saturating to int32. */
export function multiplyByPOT(val: number, exp: number): number {
  const thresh = ((1 << (31 - exp)) - 1) | 0;
  if (val > thresh) return INT32_MAX;
  if (val < -thresh) return INT32_MIN;
  return val << exp;
}

/** The Q0.31 constants of the softmax fixed-point helpers (gemmlowp's, as CMSIS-NN uses them):
 * exp(-2^k / 4) for the barrel shifter (k = 0..6), exp(-1/8) and 1/3 of the Taylor step of
 * exp_on_negative_values, 48/17 and -32/17 of one_over_one_plus_x's Newton-Raphson start.
 * Every backend reads them from here. */
export const FIXED_POINT = {
  expBarrel: [1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242],
  expMinusOneEighth: 1895147668,
  oneThird: 715827883,
  fortyEightOverSeventeen: 1515870810,
  minusThirtyTwoOverSeventeen: -1010580540,
} as const;

const EXP_BARREL = FIXED_POINT.expBarrel;

/** arm_nn_exp_on_negative_values: exp(x) for x <= 0 in Q5.26, result in Q0.31 (gemmlowp's
 * exp_on_negative_values with 5 integer bits). */
export function expOnNegativeValues(val: number): number {
  const mul = saturatingRoundingDoublingHighMul;
  const valModMinusQuarter = ((val & 0xffffff) - 0x1000000) | 0;
  const remainder = (valModMinusQuarter - val) | 0;
  const x = ((valModMinusQuarter << 5) + (1 << 28)) | 0;
  const x2 = mul(x, x);
  const op1 = (roundingDivideByPOT(mul(x2, x2), 2) + mul(x2, x)) | 0;
  const op2 = (x + roundingDivideByPOT((mul(op1, FIXED_POINT.oneThird) + x2) | 0, 1)) | 0;
  let result = (FIXED_POINT.expMinusOneEighth + mul(FIXED_POINT.expMinusOneEighth, op2)) | 0;
  for (let i = 0; i < EXP_BARREL.length; i++) {
    if (remainder & (1 << (24 + i))) result = mul(result, EXP_BARREL[i]);
  }
  return val === 0 ? INT32_MAX : result;
}

/** arm_nn_one_over_one_plus_x_for_x_in_0_1: 1 / (1 + x) for x in [0, 1) as Q0.31 in, Q1.30
 * scaled back to Q0.31 out (Newton-Raphson, three steps). */
export function oneOverOnePlusX(val: number): number {
  const mul = saturatingRoundingDoublingHighMul;
  const sum = val + INT32_MAX; // exact in a double, as the int64 in C
  const halfDenominator = Math.trunc((sum + (sum >= 0 ? 1 : -1)) / 2) | 0;
  let x = (FIXED_POINT.fortyEightOverSeventeen + mul(halfDenominator, FIXED_POINT.minusThirtyTwoOverSeventeen)) | 0;
  const one = 1 << 29;
  for (let i = 0; i < 3; i++) {
    x = (x + multiplyByPOT(mul(x, (one - mul(halfDenominator, x)) | 0), 2)) | 0;
  }
  return multiplyByPOT(x, 1);
}

/** Accumulator bits of the softmax sum of exponentials (arm_nn_softmax_common_s8's ACCUM_BITS). */
export const SOFTMAX_ACCUM_BITS = 12;

/** CMSIS-NN's REDUCE_MULTIPLIER: a Q31 multiplier rounded to Q15 for the 64-bit requantization
 * of the _s16 kernels (at most 0x7FFF). */
export function reduceMultiplier(multiplier: number): number {
  return multiplier < 0x7fff0000 ? (multiplier + (1 << 15)) >> 16 : 0x7fff;
}

/** arm_nn_requantize_s64, the requantization of CMSIS-NN's _s16 kernels (int64 accumulator and
 * bias): p = val * reducedMultiplier (exact; the kernels keep |p| below 2^63), r = p >> (14 -
 * shift) arithmetically, kept to its low 32 bits (C's int64 → int32 conversion), then
 * (r + 1) >> 1: a last shift rounding half up. shift in [-49, 14]. */
export function requantizeS64(val: bigint, reducedMultiplier: number, shift: number): number {
  const r = Number(BigInt.asIntN(32, (val * BigInt(reducedMultiplier)) >> BigInt(14 - shift)));
  return (r + 1) >> 1;
}

// --- TFLite's parameter formulas of the int8 activations and reductions (issue 16) ---

/** An int8 lookup table as TFLite's PopulateLookupTable / LUTPopulate builds it, in float32:
 * for every int8 v, dequantized = s_in * (v - zp_in), y = f(dequantized), out = clamp(round(y *
 * (1 / s_out)) + zp_out) with std::round (half away from zero). `f` takes and returns float32
 * values (Math.fround each step). Index v + 128. */
export function lookupTable(f: (x: number) => number, inputScale: number, inputZeroPoint: number, outputScale: number, outputZeroPoint: number): Int8Array {
  const sIn = Math.fround(inputScale);
  const inverse = Math.fround(1 / Math.fround(outputScale));
  const table = new Int8Array(256);
  for (let v = -128; v <= 127; v++) {
    const x = Math.fround(sIn * (v - inputZeroPoint));
    const q = roundHalfAwayFromZero(Math.fround(f(x) * inverse)) + outputZeroPoint;
    table[v + 128] = q < -128 ? -128 : q > 127 ? 127 : q;
  }
  return table;
}

/** The float32 functions of TFLite's int8 tables: Logistic's 1.0f / (1.0f + std::exp(-x)) and
 * Tanh's std::tanh(x), each operation rounded to float32; HardSigmoid's max(0, min(1, alpha * x + beta)). */
export const LUT_FUNCTIONS = {
  sigmoid: (x: number): number => Math.fround(1 / Math.fround(1 + Math.fround(Math.exp(-x)))),
  tanh: (x: number): number => Math.fround(Math.tanh(x)),
  hardSigmoid: (alpha: number, beta: number) => (x: number): number =>
    Math.max(0, Math.min(1, Math.fround(Math.fround(Math.fround(alpha) * x) + Math.fround(beta)))),
};

/** TFLite's DownScaleInt32ToInt16Multiplier: a Q31 multiplier rounded to Q15. */
export function downScaleInt32ToInt16Multiplier(m: number): number {
  if (m >= INT32_MAX - (1 << 15)) return 32767;
  return (m + (1 << 15)) >> 16;
}

/** TFLite's HardSwishPrepare (int8): the input on a "hires" scale s_in / 128, its multipliers
 * onto the output scale and onto the relu-ish scale 3 / 2^15, each QuantizeMultiplier'd and
 * rounded to 16 bits; all scale arithmetic in float32 as TFLite does it. */
export function hardSwishParams(inputScale: number, inputZeroPoint: number, outputScale: number, outputZeroPoint: number) {
  const hires = Math.fround(Math.fround(1 / 128) * Math.fround(inputScale));
  const out = quantizeMultiplier(Math.fround(hires / Math.fround(outputScale)));
  const reluish = quantizeMultiplier(Math.fround(hires / Math.fround(3 / 32768)));
  return {
    inputZeroPoint, outputZeroPoint,
    outputMultiplier: downScaleInt32ToInt16Multiplier(out.multiplier), outputShift: out.shift,
    reluishMultiplier: downScaleInt32ToInt16Multiplier(reluish.multiplier), reluishShift: reluish.shift,
  };
}

/** gemmlowp's SaturatingRoundingDoublingHighMul on int16: a*b/2^15 rounded half away from zero. */
export function saturatingRoundingDoublingHighMul16(a: number, b: number): number {
  if (a === -32768 && b === -32768) return 32767;
  const ab = a * b;
  return Math.trunc((ab + (ab >= 0 ? 1 << 14 : 1 - (1 << 14))) / 32768);
}

/** TFLite's SaturatingDoublingHighMul on int16 (SQDMULH): a*b/2^15 truncated toward zero. */
export function saturatingDoublingHighMul16(a: number, b: number): number {
  if (a === -32768 && b === -32768) return 32767;
  return Math.trunc((a * b) / 32768);
}

/** TFLite's SaturatingLeftShift on int16. */
export function saturatingLeftShift16(v: number, amount: number): number {
  const r = v * 2 ** amount;
  return r > 32767 ? 32767 : r < -32768 ? -32768 : r;
}

/** TFLite's LeakyReluPrepare (int8): QuantizeMultiplier of s_in * alpha / s_out and of
 * s_in / s_out, each computed in float32. */
export function leakyReluParams(inputScale: number, outputScale: number, alpha: number) {
  const sIn = Math.fround(inputScale);
  const sOut = Math.fround(outputScale);
  return {
    identity: quantizeMultiplier(Math.fround(sIn / sOut)),
    negative: quantizeMultiplier(Math.fround(Math.fround(sIn * Math.fround(alpha)) / sOut)),
  };
}

/** TFLite's PreluPrepare (int8): QuantizeMultiplier of s_in / s_out and of s_in * s_slope / s_out, in float32. */
export function preluParams(inputScale: number, slopeScale: number, outputScale: number) {
  const sIn = Math.fround(inputScale);
  const sOut = Math.fround(outputScale);
  return {
    identity: quantizeMultiplier(Math.fround(sIn / sOut)),
    negative: quantizeMultiplier(Math.fround(Math.fround(sIn * Math.fround(slopeScale)) / sOut)),
  };
}

/** TFLite's int8 Mean parameters: PrepareMeanOrSum's QuantizeMultiplier(double(s_in) /
 * double(s_out)), then QuantizedMeanOrSum's folding of 1 / count into it: shift by
 * floor(log2(count)) (at most 32 and at most 31 + shift), multiplier << that / count
 * (truncated), so that requantizing the sum of x - zp_in gives the mean on the output scale. */
export function meanParams(inputScale: number, outputScale: number, count: number): QuantizedMultiplier {
  const q = quantizeMultiplier(Math.fround(inputScale) / Math.fround(outputScale));
  let n = Math.floor(Math.log2(count));
  if (2 ** (n + 1) <= count) n++; // log2 of an exact power can land just below it
  if (2 ** n > count) n--;
  n = Math.min(n, 32, 31 + q.shift);
  const multiplier = Number((BigInt(q.multiplier) << BigInt(n)) / BigInt(count));
  return { multiplier, shift: q.shift - n };
}
