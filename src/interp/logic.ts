/** Kernels of comparisons and selection (ONNX semantics, numpy broadcasting): Equal and Greater
 * give bool (0/1 bytes), Where picks from X or Y by a bool condition. Elements are compared and
 * copied as stored, so 64-bit integers stay exact. */
import { allocate, type TensorData } from '../ir/dtype.js';
import { elementCount } from '../ir/graph.js';
import type { KernelTable, Value } from './types.js';
import { broadcastElements, broadcastIndex, broadcastShape, req, type Elements as Elems } from './util.js';

/** `f` over the broadcast pairs of a and b, into a bool tensor. */
export function compare(a: Value, b: Value, f: (x: number | bigint, y: number | bigint) => boolean): Value {
  return broadcastElements(a, b, 'bool', (x, y) => (f(x, y) ? 1 : 0));
}

/** Where(condition, X, Y): X where the condition is true, else Y, all three broadcast. */
export function where(c: Value, x: Value, y: Value): Value {
  const shape = broadcastShape(broadcastShape(c.shape, x.shape), y.shape);
  const n = elementCount(shape);
  const ic = broadcastIndex(c.shape, shape);
  const ix = broadcastIndex(x.shape, shape);
  const iy = broadcastIndex(y.shape, shape);
  const cd = c.data;
  const xd = x.data as unknown as Elems;
  const yd = y.data as unknown as Elems;
  const out = allocate(x.dtype, n) as unknown as Elems;
  for (let k = 0; k < n; k++) out[k] = cd[ic ? ic[k] : k] ? xd[ix ? ix[k] : k] : yd[iy ? iy[k] : k];
  return { dtype: x.dtype, shape, data: out as unknown as TensorData };
}

export const logicKernels = {
  Equal: (_n, inputs) => [compare(req(inputs, 0), req(inputs, 1), (x, y) => x === y)],
  Greater: (_n, inputs) => [compare(req(inputs, 0), req(inputs, 1), (x, y) => x > y)],
  Where: (_n, inputs) => [where(req(inputs, 0), req(inputs, 1), req(inputs, 2))],
} satisfies Partial<KernelTable>;
