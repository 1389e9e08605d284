/** Kernels of the math family (ONNX semantics): elementwise functions (Abs, Neg, Exp, Log, Sqrt,
 * Reciprocal, Erf, Softplus, Gelu), Pow, PRelu, and the variadic Max and Min, all with numpy
 * broadcasting. Computed in float64; float16 results are rounded once; integer results are
 * stored with the typed array's wrap (as C does). */
import { allocate, getNumber, isBigInt, type NumericData } from '../ir/dtype.js';
import { elementCount } from '../ir/graph.js';
import { erf } from './erf.js';
import type { KernelTable, Value } from './types.js';
import { broadcastElements, broadcastIndex, broadcastShape, req, roundToFloat16 } from './util.js';

type Big = BigInt64Array | BigUint64Array;

/** `f` on every element; `big` on 64-bit integer elements (ops that accept them). */
export function unary(x: Value, f: (v: number) => number, big?: (v: bigint) => bigint): Value {
  const n = x.data.length;
  if (isBigInt(x.dtype)) {
    if (!big) throw new Error(`internal: no 64-bit integer form of this op`);
    const src = x.data as Big;
    const out = allocate(x.dtype, n) as Big;
    for (let i = 0; i < n; i++) out[i] = big(src[i]);
    return { dtype: x.dtype, shape: x.shape, data: out };
  }
  const src = x.data as NumericData;
  const out = allocate(x.dtype, n) as NumericData;
  if (x.dtype === 'float16') for (let i = 0; i < n; i++) out[i] = roundToFloat16(f(src[i]));
  else for (let i = 0; i < n; i++) out[i] = f(src[i]);
  return { dtype: x.dtype, shape: x.shape, data: out };
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** log(1 + e^x) without overflow for large x. */
export const softplus = (v: number): number => (v > 0 ? v + Math.log1p(Math.exp(-v)) : Math.log1p(Math.exp(v)));
/** x * Phi(x), Phi the standard normal CDF. */
export const gelu = (v: number): number => 0.5 * v * (1 + erf(v / Math.SQRT2));
/** Gelu's tanh approximation (approximate = 'tanh'). */
export const geluTanh = (v: number): number => 0.5 * v * (1 + Math.tanh(SQRT_2_OVER_PI * (v + 0.044715 * v * v * v)));

/** A broadcast binary op computed in numbers whose output has the first input's dtype (the
 * second may have another: Pow's exponent). Non-finite results stored as 64-bit integers give 0. */
function sameTypeBinary(a: Value, b: Value, f: (x: number, y: number) => number): Value {
  const shape = broadcastShape(a.shape, b.shape);
  const n = elementCount(shape);
  const ia = broadcastIndex(a.shape, shape);
  const ib = broadcastIndex(b.shape, shape);
  const at = (k: number) => getNumber(a.data, ia ? ia[k] : k);
  const bt = (k: number) => getNumber(b.data, ib ? ib[k] : k);
  if (isBigInt(a.dtype)) {
    const out = allocate(a.dtype, n) as Big;
    for (let k = 0; k < n; k++) {
      const v = f(at(k), bt(k));
      out[k] = Number.isFinite(v) ? BigInt(Math.trunc(v)) : 0n;
    }
    return { dtype: a.dtype, shape, data: out };
  }
  const out = allocate(a.dtype, n) as NumericData;
  if (a.dtype === 'float16') for (let k = 0; k < n; k++) out[k] = roundToFloat16(f(at(k), bt(k)));
  else for (let k = 0; k < n; k++) out[k] = f(at(k), bt(k));
  return { dtype: a.dtype, shape, data: out };
}

/** Elementwise max (`max`) or min of two same-dtype values with broadcasting; NaN wins, as in
 * numpy and onnxruntime. Elements are copied, so no rounding and 64-bit integers stay exact. */
function pick(a: Value, b: Value, max: boolean): Value {
  // x !== x only for NaN; bigint and integer elements are never NaN.
  return broadcastElements(a, b, a.dtype, (x, y) => (x !== x || (max ? x > y : x < y) ? x : y));
}

/** Max or Min of one or more inputs. */
export function extremum(inputs: readonly (Value | undefined)[], max: boolean): Value {
  let acc = req(inputs, 0);
  if (inputs.length === 1) return { dtype: acc.dtype, shape: acc.shape, data: acc.data.slice() };
  for (let i = 1; i < inputs.length; i++) acc = pick(acc, req(inputs, i), max);
  return acc;
}

export const mathKernels = {
  Abs: (_n, inputs) => [unary(req(inputs, 0), Math.abs, (v) => (v < 0n ? -v : v))],
  Neg: (_n, inputs) => [unary(req(inputs, 0), (v) => -v, (v) => -v)],
  Exp: (_n, inputs) => [unary(req(inputs, 0), Math.exp)],
  Log: (_n, inputs) => [unary(req(inputs, 0), Math.log)],
  Sqrt: (_n, inputs) => [unary(req(inputs, 0), Math.sqrt)],
  Reciprocal: (_n, inputs) => [unary(req(inputs, 0), (v) => 1 / v)],
  Erf: (_n, inputs) => [unary(req(inputs, 0), erf)],
  Softplus: (_n, inputs) => [unary(req(inputs, 0), softplus)],
  Gelu: (n, inputs) => [unary(req(inputs, 0), n.attrs.approximate === 'tanh' ? geluTanh : gelu)],
  // The exponent may have another type than the base; the result has the base's.
  Pow: (_n, inputs) => [sameTypeBinary(req(inputs, 0), req(inputs, 1), Math.pow)],
  PRelu: (_n, inputs) => [sameTypeBinary(req(inputs, 0), req(inputs, 1), (x, s) => (x < 0 ? x * s : x))],
  Max: (_n, inputs) => [extremum(inputs, true)],
  Min: (_n, inputs) => [extremum(inputs, false)],
} satisfies Partial<KernelTable>;
