/** Kernels of the reductions (ReduceMean, ReduceMax, ReduceMin, ReduceSum, ReduceL2) over the
 * axes the importer resolved, accumulated in float64 (ONNX semantics; over an empty set the sum
 * is 0, the max -Infinity, the min +Infinity, the mean NaN; bool max and min are any and all). */
import { allocate, getNumber, isBigInt, type NumericData } from '../ir/dtype.js';
import { elementCount, stridesOf } from '../ir/graph.js';
import type { ReduceAttrs } from '../ir/ops.js';
import type { KernelTable, Value } from './types.js';
import { req, roundToFloat16 } from './util.js';

/** How one reduction starts, takes an element, and ends (`count`: elements per output). */
interface Reducer {
  init: number;
  step(acc: number, v: number): number;
  finish(acc: number, count: number): number;
}

const SUM: Reducer = { init: 0, step: (a, v) => a + v, finish: (a) => a };
const MEAN: Reducer = { init: 0, step: (a, v) => a + v, finish: (a, n) => a / n };
// NaN propagates: once the accumulator is NaN, neither comparison replaces it.
const MAX: Reducer = { init: -Infinity, step: (a, v) => (v > a || v !== v ? v : a), finish: (a) => a };
const MIN: Reducer = { init: Infinity, step: (a, v) => (v < a || v !== v ? v : a), finish: (a) => a };
const L2: Reducer = { init: 0, step: (a, v) => a + v * v, finish: (a) => Math.sqrt(a) };

/** The output shape of a reduction of `shape` over `attrs.axes`. */
export function reducedShape(shape: readonly number[], attrs: ReduceAttrs): number[] {
  const out: number[] = [];
  shape.forEach((d, i) => {
    if (!attrs.axes.includes(i)) out.push(d);
    else if (attrs.keepdims) out.push(1);
  });
  return out;
}

/** Reduces `x` over `attrs.axes`; no axes: a copy of x. */
export function reduce(x: Value, attrs: ReduceAttrs, r: Reducer): Value {
  const shape = reducedShape(x.shape, attrs);
  if (attrs.axes.length === 0) return { dtype: x.dtype, shape, data: x.data.slice() };
  const rank = x.shape.length;
  // Output stride along each input dim (0 along reduced dims), over the keepdims shape.
  const kept = x.shape.map((d, i) => (attrs.axes.includes(i) ? 1 : d));
  const keptStrides = stridesOf(kept);
  const strides = x.shape.map((_, i) => (attrs.axes.includes(i) ? 0 : keptStrides[i]));
  const m = elementCount(kept);
  const count = attrs.axes.reduce((p, a) => p * x.shape[a], 1);
  const acc = new Float64Array(m).fill(r.init);
  const n = x.data.length;
  const counter = new Array<number>(rank).fill(0);
  let o = 0;
  for (let k = 0; k < n; k++) {
    acc[o] = r.step(acc[o], getNumber(x.data, k));
    for (let d = rank - 1; d >= 0; d--) {
      counter[d]++;
      o += strides[d];
      if (counter[d] < x.shape[d]) break;
      o -= strides[d] * counter[d];
      counter[d] = 0;
    }
  }
  const out = allocate(x.dtype, m);
  if (isBigInt(x.dtype)) {
    const b = out as BigInt64Array | BigUint64Array;
    for (let i = 0; i < m; i++) {
      const v = r.finish(acc[i], count);
      b[i] = Number.isFinite(v) ? BigInt(Math.trunc(v)) : 0n;
    }
  } else {
    const f = out as NumericData;
    const half = x.dtype === 'float16';
    // bool (ReduceMax: any, ReduceMin: all): the empty set gives -Infinity (false) or +Infinity (true).
    if (x.dtype === 'bool') for (let i = 0; i < m; i++) f[i] = acc[i] > 0 ? 1 : 0;
    else for (let i = 0; i < m; i++) f[i] = half ? roundToFloat16(r.finish(acc[i], count)) : r.finish(acc[i], count);
  }
  return { dtype: x.dtype, shape, data: out };
}

export const reduceKernels = {
  ReduceMean: (n, inputs) => [reduce(req(inputs, 0), n.attrs, MEAN)],
  ReduceMax: (n, inputs) => [reduce(req(inputs, 0), n.attrs, MAX)],
  ReduceMin: (n, inputs) => [reduce(req(inputs, 0), n.attrs, MIN)],
  ReduceSum: (n, inputs) => [reduce(req(inputs, 0), n.attrs, SUM)],
  ReduceL2: (n, inputs) => [reduce(req(inputs, 0), n.attrs, L2)],
} satisfies Partial<KernelTable>;
