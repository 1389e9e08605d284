/** Kernels of the ops that only copy elements to new places: Slice, Split, Expand, Tile,
 * DepthToSpace, SpaceToDepth. Each is one strided walk over a view of its input (any dtype,
 * int64 included, since import-time folding runs them on shape arithmetic). */
import { allocate, type TensorData } from '../ir/dtype.js';
import { elementCount, stridesOf } from '../ir/graph.js';
import type { BlockAttrs, SliceAttrs } from '../ir/ops.js';
import type { KernelTable, Value } from './types.js';
import { req } from './util.js';

/** Element-generic view of typed arrays, so one loop copies number and bigint storage. */
type Slots = { [i: number]: unknown; length: number };

/** Output of `shape` whose element at multi-index i is x[base + sum(i_d * strides_d)]. */
export function stridedGather(x: Value, shape: readonly number[], strides: readonly number[], base = 0): TensorData {
  const total = elementCount(shape);
  const out = allocate(x.dtype, total);
  if (total === 0) return out;
  const rank = shape.length;
  if (rank === 0) {
    (out as Slots)[0] = (x.data as Slots)[base];
    return out;
  }
  const d = out as Slots;
  const s = x.data as Slots;
  const inner = shape[rank - 1];
  const innerStride = strides[rank - 1];
  const counter = new Array<number>(rank).fill(0);
  let src = base;
  for (let o = 0; o < total; o += inner) {
    for (let i = 0; i < inner; i++) d[o + i] = s[src + i * innerStride];
    for (let k = rank - 2; k >= 0; k--) {
      counter[k]++;
      src += strides[k];
      if (counter[k] < shape[k]) break;
      src -= strides[k] * counter[k];
      counter[k] = 0;
    }
  }
  return out;
}

/** How a data-movement op reads its (row-major) input: output element i (row-major over `dims`)
 * is input element base + Σ i_k * strides[k]. The backends copy int8 tensors with the same walk. */
export interface GatherWalk {
  base: number;
  dims: number[];
  strides: number[];
}

/** Slice's walk: from the starts, by the steps, over the output shape. */
export function sliceWalk(inputShape: readonly number[], a: SliceAttrs): GatherWalk {
  const st = stridesOf(inputShape);
  return { base: a.starts.reduce((s, v, i) => s + v * st[i], 0), dims: [...a.shape], strides: a.steps.map((v, i) => v * st[i]) };
}

/** DepthToSpace / SpaceToDepth's walk: a 6-D view of the input permuted (ONNX's
 * reshape-transpose-reshape); the output shape is returned alongside. */
export function blockWalk(inputShape: readonly number[], a: BlockAttrs, toSpace: boolean): GatherWalk & { outShape: number[] } {
  const [b, c, h, w] = inputShape;
  const bs = a.blocksize;
  let view: number[];
  let perm: number[];
  let outShape: number[];
  if (toSpace) {
    const c2 = c / (bs * bs);
    view = a.mode === 'DCR' ? [b, bs, bs, c2, h, w] : [b, c2, bs, bs, h, w];
    perm = a.mode === 'DCR' ? [0, 3, 4, 1, 5, 2] : [0, 1, 4, 2, 5, 3];
    outShape = [b, c2, h * bs, w * bs];
  } else {
    view = [b, c, h / bs, bs, w / bs, bs];
    perm = a.mode === 'DCR' ? [0, 3, 5, 1, 2, 4] : [0, 1, 3, 5, 2, 4];
    outShape = [b, c * bs * bs, h / bs, w / bs];
  }
  const vs = stridesOf(view);
  return { base: 0, dims: perm.map((p) => view[p]), strides: perm.map((p) => vs[p]), outShape };
}

function blockMove(x: Value, a: BlockAttrs, toSpace: boolean): Value {
  const walk = blockWalk(x.shape, a, toSpace);
  return { dtype: x.dtype, shape: walk.outShape, data: stridedGather(x, walk.dims, walk.strides) };
}

export const rearrangeKernels: Pick<KernelTable, 'Slice' | 'Split' | 'Expand' | 'Tile' | 'DepthToSpace' | 'SpaceToDepth'> = {
  Slice: (n, inputs) => {
    const x = req(inputs, 0);
    const w = sliceWalk(x.shape, n.attrs);
    return [{ dtype: x.dtype, shape: [...n.attrs.shape], data: stridedGather(x, w.dims, w.strides, w.base) }];
  },
  Split: (n, inputs) => {
    const x = req(inputs, 0);
    const st = stridesOf(x.shape);
    const { axis, splits } = n.attrs;
    let begin = 0;
    return splits.map((len) => {
      const shape = x.shape.map((d, i) => (i === axis ? len : d));
      const data = stridedGather(x, shape, st, begin * st[axis]);
      begin += len;
      return { dtype: x.dtype, shape, data };
    });
  },
  Expand: (n, inputs) => {
    const x = req(inputs, 0);
    const shape = n.attrs.shape;
    const st = stridesOf(x.shape);
    const off = shape.length - x.shape.length;
    const strides = shape.map((_, i) => (i < off || x.shape[i - off] === 1 ? 0 : st[i - off]));
    return [{ dtype: x.dtype, shape: [...shape], data: stridedGather(x, shape, strides) }];
  },
  Tile: (n, inputs) => {
    const x = req(inputs, 0);
    const st = stridesOf(x.shape);
    // The output as [r0, d0, r1, d1, ...]: the repeat dims read the same elements again.
    const view = x.shape.flatMap((d, i) => [n.attrs.repeats[i], d]);
    const strides = x.shape.flatMap((_, i) => [0, st[i]]);
    const shape = x.shape.map((d, i) => d * n.attrs.repeats[i]);
    return [{ dtype: x.dtype, shape, data: stridedGather(x, view, strides) }];
  },
  DepthToSpace: (n, inputs) => [blockMove(req(inputs, 0), n.attrs, true)],
  SpaceToDepth: (n, inputs) => [blockMove(req(inputs, 0), n.attrs, false)],
};
