/** Helpers shared by interpreter kernels. */
import { allocate, getNumber, type DType, type NumericData, type TensorData } from '../ir/dtype.js';
import { elementCount, stridesOf } from '../ir/graph.js';
import type { Value } from './types.js';

/** The input at `i`, which the importer guaranteed to be present. */
export function req(inputs: readonly (Value | undefined)[], i: number): Value {
  const v = inputs[i];
  if (!v) throw new Error(`internal: kernel input ${i} is missing`);
  return v;
}

/** Applies `f` to every element of a float tensor; output has the same dtype and shape. */
export function mapFloat(x: Value, f: (v: number) => number): Value {
  const src = x.data as NumericData;
  const out = allocate(x.dtype, src.length) as NumericData;
  for (let i = 0; i < src.length; i++) out[i] = f(src[i]);
  return { dtype: x.dtype, shape: x.shape, data: out };
}

export function broadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** For each output element of the broadcast shape, the flat index into an input of `shape`.
 * Returns undefined when the input already has the output's shape (identity mapping). */
export function broadcastIndex(shape: readonly number[], outShape: readonly number[]): Int32Array | undefined {
  const same = shape.length === outShape.length && shape.every((d, i) => d === outShape[i]);
  if (same) return undefined;
  const n = elementCount(outShape);
  const rank = outShape.length;
  const inStrides = stridesOf(shape);
  // Stride 0 along broadcast dims.
  const strides = new Array<number>(rank).fill(0);
  for (let i = 0; i < shape.length; i++) {
    const oi = rank - shape.length + i;
    strides[oi] = shape[i] === 1 ? 0 : inStrides[i];
  }
  const idx = new Int32Array(n);
  const counter = new Array<number>(rank).fill(0);
  let flat = 0;
  for (let k = 0; k < n; k++) {
    idx[k] = flat;
    for (let d = rank - 1; d >= 0; d--) {
      counter[d]++;
      flat += strides[d];
      if (counter[d] < outShape[d]) break;
      flat -= strides[d] * counter[d];
      counter[d] = 0;
    }
  }
  return idx;
}

/** A tensor's elements as stored: numbers, or bigints for 64-bit integers. */
export type Elements = { [i: number]: number | bigint; readonly length: number };

/** out[k] = f(a, b) over the broadcast pairs of elements, as stored (no conversion: 64-bit
 * integers stay exact), into a new tensor of `outDtype`. */
export function broadcastElements(a: Value, b: Value, outDtype: DType, f: (x: number | bigint, y: number | bigint) => number | bigint): Value {
  const shape = broadcastShape(a.shape, b.shape);
  const n = elementCount(shape);
  const ia = broadcastIndex(a.shape, shape);
  const ib = broadcastIndex(b.shape, shape);
  const ad = a.data as unknown as Elements;
  const bd = b.data as unknown as Elements;
  const out = allocate(outDtype, n) as unknown as Elements;
  for (let k = 0; k < n; k++) out[k] = f(ad[ia ? ia[k] : k], bd[ib ? ib[k] : k]);
  return { dtype: outDtype, shape, data: out as unknown as TensorData };
}

/** Elementwise binary op with numpy broadcasting, computed in JS numbers. */
export function binaryNumeric(a: Value, b: Value, outDtype: DType, f: (x: number, y: number) => number): Value {
  const outShape = broadcastShape(a.shape, b.shape);
  const n = elementCount(outShape);
  const ia = broadcastIndex(a.shape, outShape);
  const ib = broadcastIndex(b.shape, outShape);
  const out = allocate(outDtype, n);
  const ad = a.data;
  const bd = b.data;
  if (typeof ad[0] === 'bigint' || typeof bd[0] === 'bigint' || outDtype === 'int64' || outDtype === 'uint64') {
    const o = out as BigInt64Array;
    for (let k = 0; k < n; k++) o[k] = BigInt(Math.trunc(f(getNumber(ad, ia ? ia[k] : k), getNumber(bd, ib ? ib[k] : k))));
  } else {
    const o = out as NumericData;
    const an = ad as NumericData;
    const bn = bd as NumericData;
    if (!ia && !ib) for (let k = 0; k < n; k++) o[k] = f(an[k], bn[k]);
    else for (let k = 0; k < n; k++) o[k] = f(an[ia ? ia[k] : k], bn[ib ? ib[k] : k]);
  }
  return { dtype: outDtype, shape: outShape, data: out };
}

/** Rounds a number to the nearest float16 value (round half to even; overflow gives ±Infinity).
 * float16 tensors are stored widened in Float32Array, so kernels round results with this. */
export function roundToFloat16(x: number): number {
  if (x === 0 || !Number.isFinite(x)) return x;
  const ax = Math.abs(x);
  if (ax >= 65520) return x > 0 ? Infinity : -Infinity; // halfway to 2^16 and above round to Infinity
  // Quantum: 2^-24 for subnormals, else 2^(exponent - 10).
  let quantum = 2 ** -24;
  if (ax >= 2 ** -14) {
    let e = Math.floor(Math.log2(ax));
    if (2 ** e > ax) e--;
    else if (2 ** (e + 1) <= ax) e++;
    quantum = 2 ** (e - 10);
  }
  const q = ax / quantum;
  let r = Math.floor(q);
  const frac = q - r;
  if (frac > 0.5 || (frac === 0.5 && r % 2 === 1)) r++;
  const v = r * quantum;
  return x < 0 ? -v : v;
}

/** Rounds every element of float16 storage (or a wider scratch) into a new Float32Array. */
export function toFloat16Storage(src: ArrayLike<number>): Float32Array {
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = roundToFloat16(src[i]);
  return out;
}
