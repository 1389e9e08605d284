/**
 * Choosing quantization parameters from real ranges: int8 asymmetric per-tensor activations,
 * int8 or int4 symmetric weights (per output channel or per tensor) and int32 biases, with the
 * fallbacks that keep every scale finite and positive whatever the data:
 *
 * - An activation range always includes 0 (so real 0, e.g. padding, is exact). A range
 *   narrower than `255 * MIN_ACTIVATION_SCALE` (an all-zero or all-constant-tiny tensor) gets
 *   the scale MIN_ACTIVATION_SCALE: never 0, never NaN, and requantization multipliers that
 *   stay representable.
 * - A weight channel whose largest magnitude is 0 (all-zero weights) gets scale
 *   ZERO_WEIGHT_SCALE, 1/7 at 4 bits (its weights are all 0 whatever the scale); a smaller non-zero
 *   channel is floored at MIN_WEIGHT_SCALE.
 * - A bias that would not fit in ±BIAS_LIMIT at scale s_in * s_w[c] raises s_w[c] until it
 *   does (reported through `onAdjust`), so the int32 bias never saturates silently.
 */
import { roundHalfAwayFromZero } from '../ir/intmath.js';
import type { QuantParams } from '../ir/graph.js';
import { QUANT_BITS } from '../ir/qops.js';
import type { Range } from './histogram.js';

/** Smallest activation scale qgc picks (2^-20 ≈ 9.5e-7). */
export const MIN_ACTIVATION_SCALE = 2 ** -20;
/** Scale of a weight channel that is all zeros: as if its weights spanned [-1, 1]. */
export const ZERO_WEIGHT_SCALE = 1 / 127;
/** Smallest scale of a weight channel that has a non-zero weight (2^-40). */
export const MIN_WEIGHT_SCALE = 2 ** -40;
/** Largest |bias| in the int32 domain: 2^30 leaves headroom for the accumulated products. */
export const BIAS_LIMIT = 2 ** 30;
/** int8 activation range. */
export const QMIN = -128;
export const QMAX = 127;
/** Symmetric int8 weight range. */
export const WMAX = 127;

/** Largest magnitude of a symmetric weight of `bits` bits: 127 for int8, 7 for int4. */
export function weightMax(bits: number): number {
  return 2 ** (bits - 1) - 1;
}

/** Per-tensor activation parameters as plain numbers (scale is a float32 value). */
export interface ActParams {
  scale: number;
  zeroPoint: number;
}

/**
 * Asymmetric int8 parameters for a real range (TFLite's / ONNX Runtime's choice): the range
 * is widened to include 0, scale = (max - min) / 255 (floored at MIN_ACTIVATION_SCALE) and
 * the zero point is -128 - min / scale rounded, clamped to [-128, 127]. Non-finite bounds are
 * a bug of the caller (calibration rejects NaN/Infinity) and throw.
 */
export function activationParams(range: Range): ActParams {
  if (!Number.isFinite(range.min) || !Number.isFinite(range.max) || range.min > range.max) {
    throw new RangeError(`activation range [${range.min}, ${range.max}] is not a finite interval`);
  }
  const lo = Math.min(range.min, 0);
  const hi = Math.max(range.max, 0);
  const scale = Math.fround(Math.max((hi - lo) / (QMAX - QMIN), MIN_ACTIVATION_SCALE));
  if (!Number.isFinite(scale)) throw new RangeError(`activation range [${range.min}, ${range.max}] is too wide for a float32 scale`);
  const zp = roundHalfAwayFromZero(QMIN - lo / scale);
  return { scale, zeroPoint: Math.min(QMAX, Math.max(QMIN, zp)) };
}

/** Activation parameters with a scale no smaller than `minScale` (the range widens upward
 * from its lower end, which keeps covering the same values). */
export function activationParamsAtLeast(range: Range, minScale: number): ActParams {
  const p = activationParams(range);
  if (p.scale >= minScale) return p;
  let scale = Math.fround(minScale);
  if (scale < minScale) scale = Math.fround(minScale * (1 + 2 ** -23));
  const zp = roundHalfAwayFromZero(QMIN - Math.min(range.min, 0) / scale);
  return { scale, zeroPoint: Math.min(QMAX, Math.max(QMIN, zp)) };
}

/** The IR form of per-tensor parameters. */
export function toQuantParams(p: ActParams): QuantParams {
  return { scale: Float32Array.of(p.scale), zeroPoint: Int32Array.of(p.zeroPoint), bits: QUANT_BITS.activation };
}

/** Reads per-tensor parameters back from the IR form. */
export function fromQuantParams(q: QuantParams): ActParams {
  return { scale: q.scale[0], zeroPoint: q.zeroPoint[0] };
}

/** The scale for weights whose largest magnitude is `maxAbs`, at `qmax` (WMAX for int8). */
export function weightScale(maxAbs: number, qmax = WMAX): number {
  if (!Number.isFinite(maxAbs)) throw new RangeError(`weight magnitude ${maxAbs} is not finite`);
  if (maxAbs === 0) return Math.fround(ZERO_WEIGHT_SCALE * (WMAX / qmax)); // as if spanning [-1, 1]
  return Math.fround(Math.max(maxAbs / qmax, MIN_WEIGHT_SCALE));
}

/**
 * Symmetric weight scales of a constant [M, ...] weight: one per output channel (axis 0), or
 * a single one with `perTensor`.
 */
export function weightScales(data: Float32Array, channels: number, perTensor: boolean, qmax = WMAX): Float32Array {
  const per = channels === 0 ? 0 : data.length / channels;
  const maxAbs = new Float64Array(perTensor ? 1 : channels);
  for (let c = 0; c < channels; c++) {
    let m = 0;
    for (let i = c * per; i < (c + 1) * per; i++) m = Math.max(m, Math.abs(data[i]));
    const k = perTensor ? 0 : c;
    maxAbs[k] = Math.max(maxAbs[k], m);
  }
  return Float32Array.from(maxAbs, (m) => weightScale(m, qmax));
}

/**
 * Raises weight scales where the bias would not fit: |b[c]| / (s_in * s_w[c]) must stay within
 * BIAS_LIMIT. Returns the (possibly new) scales; `onAdjust(c, from, to)` reports each change.
 * With one (per-tensor) weight scale, the largest bias decides it.
 */
export function fitBiasScales(
  bias: Float32Array | undefined,
  inputScale: number,
  scales: Float32Array,
  onAdjust?: (channel: number, from: number, to: number) => void,
): Float32Array {
  if (!bias) return scales;
  const out = Float32Array.from(scales);
  for (let c = 0; c < bias.length; c++) {
    const k = out.length === 1 ? 0 : c;
    const need = Math.abs(bias[c]) / (inputScale * BIAS_LIMIT);
    if (need > out[k]) {
      // Round up in float32 so the division below really fits.
      let s = Math.fround(need);
      while (Math.abs(bias[c]) / (Math.fround(inputScale) * s) > BIAS_LIMIT) s = Math.fround(s * (1 + 2 ** -20));
      onAdjust?.(c, out[k], s);
      out[k] = s;
    }
  }
  return out;
}

/** Integer weights, q = round(w / s_w[c]) (half away from zero) clamped to [-qmax, qmax]
 * ([-127, 127] for int8, [-7, 7] for int4; stored one per byte). */
export function quantizeWeights(data: Float32Array, scales: Float32Array, qmax = WMAX): Int8Array {
  const channels = scales.length;
  const per = data.length / channels;
  const out = new Int8Array(data.length);
  // Channel by channel, so the scale is read once per channel (ResNet-50 has 25 M weights).
  for (let c = 0; c < channels; c++) {
    const s = scales[c];
    const end = channels === 1 ? data.length : (c + 1) * per;
    for (let i = channels === 1 ? 0 : c * per; i < end; i++) {
      const q = roundHalfAwayFromZero(data[i] / s);
      out[i] = q > qmax ? qmax : q < -qmax ? -qmax : q;
    }
  }
  return out;
}

/** Bias scales s_in * s_w[c] as float32 (one per output channel). */
export function biasScales(inputScale: number, scales: Float32Array, channels: number): Float32Array {
  const out = new Float32Array(channels);
  for (let c = 0; c < channels; c++) out[c] = Math.fround(inputScale) * scales[scales.length === 1 ? 0 : c];
  return out;
}

/** int32 bias, q = round(b / (s_in * s_w[c])), saturated to ±BIAS_LIMIT (fitBiasScales makes
 * saturation unnecessary; it stays as a guard). */
export function quantizeBias(bias: Float32Array, biasScale: Float32Array): Int32Array {
  const out = new Int32Array(bias.length);
  for (let c = 0; c < bias.length; c++) {
    const q = roundHalfAwayFromZero(bias[c] / biasScale[c]);
    out[c] = Math.max(-BIAS_LIMIT, Math.min(BIAS_LIMIT, q));
  }
  return out;
}

/** int8 value of a real number in per-tensor parameters (round half away, saturating). */
export function quantizeValue(v: number, p: ActParams): number {
  const q = p.zeroPoint + roundHalfAwayFromZero(v / p.scale);
  return Math.min(QMAX, Math.max(QMIN, q));
}
