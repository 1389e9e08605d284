/**
 * Quantization parameters as lowerQdq reads them from an ONNX graph: constant scales and
 * zero points, the uint8 → int8 shift (zero point − 128, data − 128), int8 weights with
 * zero point 0, and int32 biases with scale s_in * s_w[c]. Every value is kept exactly as
 * the model states it; what qgc's int8 contract cannot hold exactly is refused here.
 */
import { CompileError, ErrorCode, type ErrorLocation } from '../errors.js';
import { getNumber, type DType, type TensorData } from '../ir/dtype.js';
import { elementCount, type Tensor } from '../ir/graph.js';
import { roundHalfEven } from '../interp/quant.js';

/** An int8 activation of the lowered graph: tensor name and per-tensor parameters. */
export interface ActRef {
  name: string;
  scale: number;
  zeroPoint: number;
}

/** A constant integer tensor with its (DequantizeLinear) parameters, values as read
 * (before any shift). `axis` is the per-axis dimension when `scale` has several entries. */
export interface QuantConst {
  name: string;
  dtype: DType;
  shape: readonly number[];
  data: TensorData;
  scale: Float32Array;
  zeroPoint: Int32Array;
  axis: number;
}

/** A scale for messages (six significant digits). */
export const fmt = (v: number): string => String(Number(v.toPrecision(6)));

/** Shift that maps a stored activation type onto int8 (uint8: −128). */
export function int8Shift(dtype: DType, where: ErrorLocation): number {
  if (dtype === 'int8') return 0;
  if (dtype === 'uint8') return -128;
  throw new CompileError(ErrorCode.UnsupportedDType, `quantized activations of type ${dtype} cannot be lowered; qgc's int8 ops take int8 or uint8`,
    where, 'Quantize activations to 8 bits (onnxruntime quantize_static(activation_type=QuantType.QInt8 or QUInt8)).');
}

/** The values of a constant tensor, or a CompileError saying it must be constant. */
export function constData(t: Tensor | undefined, what: string, where: ErrorLocation): TensorData {
  if (!t?.data) {
    throw new CompileError(ErrorCode.BadGraph, `${what}${t ? ` '${t.name}'` : ''} is not a constant`, where,
      'Quantization parameters must be initializers; export the model with constant folding on.');
  }
  return t.data;
}

/** A per-tensor scale (one value) of an activation. */
export function scalarScale(t: Tensor | undefined, where: ErrorLocation): number {
  const d = constData(t, 'scale', where);
  if (d.length !== 1) {
    throw new CompileError(ErrorCode.ShapeMismatch, `activation scale '${t!.name}' has ${d.length} values; qgc's int8 activations are quantized per tensor`,
      where, 'Quantize activations per tensor (per-channel parameters are for weights only).');
  }
  const s = Math.fround(getNumber(d, 0));
  if (!(s > 0) || !Number.isFinite(s)) {
    throw new CompileError(ErrorCode.BadAttribute, `scale '${t!.name}' is ${fmt(s)}; a scale must be positive and finite`, where, 'Re-quantize the model.');
  }
  return s;
}

/**
 * Per-tensor activation parameters from a (scale, zero point) input pair, shifted onto int8.
 * `dtype` is the quantized type when no zero point is given (QuantizeLinear's default: uint8).
 */
export function actParams(scale: Tensor | undefined, zp: Tensor | undefined, dtype: DType, where: ErrorLocation): { scale: number; zeroPoint: number } {
  const s = scalarScale(scale, where);
  if (!zp) return { scale: s, zeroPoint: int8Shift(dtype, where) };
  const z = constData(zp, 'zero point', where);
  if (z.length !== 1) {
    throw new CompileError(ErrorCode.ShapeMismatch, `activation zero point '${zp.name}' has ${z.length} values; it must be one`, where,
      'Quantize activations per tensor.');
  }
  return { scale: s, zeroPoint: getNumber(z, 0) + int8Shift(zp.dtype, where) };
}

/** Reads a DequantizeLinear of a constant integer tensor. */
export function quantConst(x: Tensor, scale: Tensor | undefined, zp: Tensor | undefined, axis: number, where: ErrorLocation): QuantConst {
  const sd = constData(scale, 'scale', where);
  const zd = zp ? constData(zp, 'zero point', where) : undefined;
  const s = Float32Array.from({ length: sd.length }, (_, i) => getNumber(sd, i));
  const z = Int32Array.from({ length: sd.length }, (_, i) => (zd ? getNumber(zd, zd.length === 1 ? 0 : i) : 0));
  return { name: x.name, dtype: x.dtype, shape: x.shape, data: x.data!, scale: s, zeroPoint: z, axis: sd.length > 1 ? axis : 0 };
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** int8 weights with zero point 0 and their scales (one, or one per output channel). */
export interface Int8Weights {
  data: Int8Array;
  scale: Float32Array;
  /** The width of the values: 4 for INT4 weights that stay in the signed 4-bit range, else 8. */
  bits: number;
}

/**
 * Turns quantized weights into qgc's int8 symmetric form, exactly (INT4 weights with zero
 * point 0 keep their width, 4 bits, one value per byte): uint8 is shifted by −128,
 * a nonzero zero point is subtracted when every w − zp fits int8, and otherwise a channel
 * whose values share a common factor k is stored as (w − zp) / k with scale s * k (the same
 * real values). Anything else cannot be represented and is refused. `outAxis` is the
 * output-channel dimension; per-axis parameters must lie along it.
 */
export function int8Weights(w: QuantConst, outAxis: number, where: ErrorLocation): Int8Weights {
  if (w.dtype !== 'int8' && w.dtype !== 'uint8' && w.dtype !== 'int4') {
    throw new CompileError(ErrorCode.UnsupportedDType, `weight '${w.name}' is ${w.dtype}; the lowering takes int8, uint8 or int4 weights`, where,
      'Quantize weights to 8 bits (onnxruntime quantize_static(weight_type=QuantType.QInt8)) or to INT4.');
  }
  const channels = w.shape[outAxis];
  const perChannel = w.scale.length > 1;
  if (perChannel && (w.axis !== outAxis || w.scale.length !== channels)) {
    throw new CompileError(ErrorCode.BadAttribute,
      `weight '${w.name}' is quantized along axis ${w.axis} (${w.scale.length} scales); qgc needs per-tensor or per-output-channel (axis ${outAxis}) weights`,
      where, 'Quantize the weights per output channel (DequantizeLinear axis on the output-channel dimension).');
  }
  const shift = w.dtype === 'uint8' ? -128 : 0;
  const n = elementCount(w.shape);
  let outer = 1;
  for (let i = 0; i < outAxis; i++) outer *= w.shape[i];
  const inner = n / (outer * channels);
  const values = new Int32Array(n);
  const chan = (i: number) => Math.floor(i / inner) % channels;
  for (let i = 0; i < n; i++) values[i] = getNumber(w.data, i) + shift - (w.zeroPoint[perChannel ? chan(i) : 0] + shift);
  const fits = values.every((v) => v >= -128 && v <= 127);
  const bits = w.dtype === 'int4' && values.every((v) => v >= -8 && v <= 7) ? 4 : 8;
  if (fits) return { data: Int8Array.from(values), scale: Float32Array.from(w.scale), bits };
  // Per channel: divide by the smallest factor of the channel's gcd that makes it fit.
  const g = new Int32Array(channels);
  const maxAbs = new Int32Array(channels);
  for (let i = 0; i < n; i++) {
    const c = chan(i);
    g[c] = gcd(g[c], Math.abs(values[i]));
    maxAbs[c] = Math.max(maxAbs[c], Math.abs(values[i]));
  }
  const factor = new Int32Array(channels);
  const scale = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    let k = 1;
    while (k <= g[c] && (g[c] % k !== 0 || maxAbs[c] / k > 127)) k++;
    if (k > Math.max(g[c], 1)) {
      const zp = w.zeroPoint[perChannel ? c : 0];
      throw new CompileError(ErrorCode.UnsupportedDType,
        `weight '${w.name}' has zero point ${zp}${shift ? ' (uint8)' : ''}: channel ${c} spans values up to ${maxAbs[c]} away from it, which int8 weights with zero point 0 cannot hold exactly`,
        where, 'Quantize weights symmetrically to int8 with zero point 0 (onnxruntime quantize_static(weight_type=QuantType.QInt8)).');
    }
    factor[c] = k;
    scale[c] = Math.fround(w.scale[perChannel ? c : 0] * k);
  }
  const data = new Int8Array(n);
  for (let i = 0; i < n; i++) data[i] = values[i] / factor[chan(i)];
  return { data, scale, bits: 8 };
}

/** The bias scales s_in * s_w[c] (float32, as TFLite and onnxruntime store them). */
export function biasScales(inputScale: number, weightScales: Float32Array, channels: number): Float32Array {
  return Float32Array.from({ length: channels }, (_, c) => Math.fround(inputScale * weightScales[weightScales.length === 1 ? 0 : c]));
}

const INT32_LO = -2147483648;
const INT32_HI = 2147483647;
const saturate32 = (v: number) => (v < INT32_LO ? INT32_LO : v > INT32_HI ? INT32_HI : v);

/**
 * The int32 bias of a Conv/Gemm with scale s_in * s_w[c]: an int32 DequantizeLinear whose
 * scales are those (to float32 precision) is kept as it is; any other quantized bias or a
 * float bias is quantized from its real value (round half to even, as QuantizeLinear).
 */
export function int32Bias(bias: QuantConst | TensorData, scales: Float32Array, where: ErrorLocation): Int32Array {
  const m = scales.length;
  const out = new Int32Array(m);
  if (ArrayBuffer.isView(bias)) {
    if (bias.length !== m && bias.length !== 1) {
      throw new CompileError(ErrorCode.ShapeMismatch, `bias has ${bias.length} values for ${m} output channels`, where, 'Give one bias value per output channel.');
    }
    for (let c = 0; c < m; c++) out[c] = saturate32(roundHalfEven(getNumber(bias, bias.length === 1 ? 0 : c) / scales[c]));
    return out;
  }
  const n = elementCount(bias.shape);
  if (n !== m && n !== 1) {
    throw new CompileError(ErrorCode.ShapeMismatch, `bias '${bias.name}' has ${n} values for ${m} output channels`, where, 'Give one bias value per output channel.');
  }
  const at = <T extends { length: number }>(a: T, c: number) => (a.length === 1 ? 0 : c);
  for (let c = 0; c < m; c++) {
    const q = getNumber(bias.data, n === 1 ? 0 : c);
    const s = bias.scale[at(bias.scale, c)];
    const z = bias.zeroPoint[at(bias.zeroPoint, c)];
    const exact = bias.dtype === 'int32' && z === 0 && Math.abs(s - scales[c]) <= 1e-6 * scales[c];
    out[c] = exact ? q : saturate32(roundHalfEven((s * (q - z)) / scales[c]));
  }
  return out;
}
