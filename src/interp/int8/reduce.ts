/** The int8 reductions of issue 16: QMean is TFLite's reference_ops::QuantizedMeanOrSum with
 * compute_sum = false (the sum of x - zp_in over the axes, requantized by the multiplier that
 * folds in 1 / count: src/ir/intmath.ts meanParams; qgc's requantization where TFLite calls
 * MultiplyByQuantizedMultiplier), QReduceMax the plain maximum (scale and zero point kept). */
import type { NodeOf } from '../../ir/graph.js';
import { requantize } from '../../ir/intmath.js';
import type { Kernel, KernelTable } from '../types.js';
import { reduce, reducedShape } from '../reduce.js';
import type { Requantize } from './activation.js';
import { clamp, int8Input } from './common.js';

/** QMean over `x` (`rq`: the requantization; a test may pass TFLite's single rounding). */
export function mean(node: NodeOf<'QMean'>, x: Int8Array, shape: readonly number[], rq: Requantize = requantize): Int8Array {
  const a = node.attrs;
  const count = a.axes.reduce((p, ax) => p * shape[ax], 1);
  // The float reduction's sum of the int8 values is exact (at most 2^23 * 128 < 2^53).
  const sums = reduce({ dtype: 'float64', shape, data: Float64Array.from(x) }, a, { init: 0, step: (acc, v) => acc + v, finish: (acc) => acc });
  return Int8Array.from(sums.data as Float64Array, (s) => clamp(rq((s - a.inputZeroPoint * count) | 0, a.multiplier, a.shift) + a.outputZeroPoint, -128, 127));
}

const qmean: Kernel<'QMean'> = (node, inputs) => {
  const x = int8Input(node, inputs, 0);
  return [{ dtype: 'int8', shape: reducedShape(x.shape, node.attrs), data: mean(node, x.data, x.shape) }];
};

const qreduceMax: Kernel<'QReduceMax'> = (node, inputs) => {
  const x = int8Input(node, inputs, 0);
  const out = reduce({ dtype: 'float64', shape: x.shape, data: Float64Array.from(x.data) }, node.attrs, { init: -Infinity, step: (acc, v) => Math.max(acc, v), finish: (acc) => acc });
  return [{ dtype: 'int8', shape: out.shape, data: Int8Array.from(out.data as Float64Array) }];
};

export const int8ReduceKernels = {
  QMean: qmean,
  QReduceMax: qreduceMax,
} satisfies Partial<KernelTable>;
