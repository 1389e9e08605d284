/** Kernels for the shape family: data movement (Flatten, Reshape, Squeeze, Unsqueeze,
 * Identity, Transpose, Concat, Pad, Gather) and Shape. They work on any dtype, int64
 * (BigInt64Array) included, since the importer folds shape arithmetic with them. */
import { CompileError, ErrorCode } from '../errors.js';
import { allocate, getNumber, isBigInt, type TensorData } from '../ir/dtype.js';
import { elementCount, stridesOf, type NodeOf } from '../ir/graph.js';
import type { Kernel, KernelTable, Value } from './types.js';
import { req } from './util.js';

/** Element-generic view of typed arrays, so one loop copies number and bigint storage. */
type Slots = { [i: number]: unknown; length: number };

/** Same data, new shape (a copy: kernels never share their inputs' storage). */
function reshaped(x: Value, shape: readonly number[]): Value {
  return { dtype: x.dtype, shape: [...shape], data: x.data.slice() };
}

/** Copies `len` elements; short runs by hand (no subarray views), long runs with set(). */
function copyRun(dst: TensorData, dOff: number, src: TensorData, sOff: number, len: number): void {
  if (len >= 32) {
    (dst as Uint8Array).set((src as Uint8Array).subarray(sOff, sOff + len), dOff);
    return;
  }
  const d = dst as Slots;
  const s = src as Slots;
  for (let i = 0; i < len; i++) d[dOff + i] = s[sOff + i];
}

const identity: Kernel<'Identity'> = (n, inputs) => {
  const x = req(inputs, 0);
  const outs: Value[] = [reshaped(x, x.shape)];
  // Dropout imports as Identity; its optional mask output (opset 10+) is all true in inference.
  for (let i = 1; i < n.outputs.length; i++) outs.push({ dtype: 'bool', shape: [...x.shape], data: new Uint8Array(x.data.length).fill(1) });
  return outs;
};

const transpose: Kernel<'Transpose'> = (n, inputs) => {
  const x = req(inputs, 0);
  const perm = n.attrs.perm;
  const rank = perm.length;
  const inStrides = stridesOf(x.shape);
  const outShape = perm.map((p) => x.shape[p]);
  const total = elementCount(outShape);
  const out = allocate(x.dtype, total);
  if (total === 0) return [{ dtype: x.dtype, shape: outShape, data: out }];
  if (rank === 0) return [reshaped(x, [])];
  // Walk the output in order; the input offset moves by the permuted strides.
  const st = perm.map((p) => inStrides[p]);
  const innerLen = outShape[rank - 1];
  const innerStride = st[rank - 1];
  const counter = new Array<number>(rank).fill(0);
  const d = out as Slots;
  const s = x.data as Slots;
  let src = 0;
  for (let o = 0; o < total; o += innerLen) {
    for (let i = 0; i < innerLen; i++) d[o + i] = s[src + i * innerStride];
    for (let k = rank - 2; k >= 0; k--) {
      counter[k]++;
      src += st[k];
      if (counter[k] < outShape[k]) break;
      src -= st[k] * counter[k];
      counter[k] = 0;
    }
  }
  return [{ dtype: x.dtype, shape: outShape, data: out }];
};

const concat: Kernel<'Concat'> = (n, inputs) => {
  const axis = n.attrs.axis;
  const parts = inputs.map((_, i) => req(inputs, i));
  const first = parts[0];
  const outShape = [...first.shape];
  outShape[axis] = parts.reduce((s, p) => s + p.shape[axis], 0);
  const out = allocate(first.dtype, elementCount(outShape));
  let outer = 1;
  for (let i = 0; i < axis; i++) outer *= outShape[i];
  const rowLens = parts.map((p) => elementCount(p.shape.slice(axis)));
  const outRow = rowLens.reduce((s, l) => s + l, 0);
  for (let o = 0; o < outer; o++) {
    let off = o * outRow;
    for (let k = 0; k < parts.length; k++) {
      copyRun(out, off, parts[k].data, o * rowLens[k], rowLens[k]);
      off += rowLens[k];
    }
  }
  return [{ dtype: first.dtype, shape: outShape, data: out }];
};

/** Source coordinate (or -1 for the constant) of each output coordinate along one axis. */
function padMap(mode: NodeOf<'Pad'>['attrs']['mode'], size: number, begin: number, end: number): Int32Array {
  // Negative pads crop first; the remaining positive pads pad the cropped range [lo, lo + m).
  const lo = Math.max(0, -begin);
  const m = size - lo - Math.max(0, -end);
  const before = Math.max(0, begin);
  const outLen = before + m + Math.max(0, end);
  const map = new Int32Array(outLen);
  for (let o = 0; o < outLen; o++) {
    let j = o - before;
    if (j < 0 || j >= m) {
      switch (mode) {
        case 'constant':
          j = -1;
          break;
        case 'edge':
          j = j < 0 ? 0 : m - 1;
          break;
        case 'wrap':
          j = ((j % m) + m) % m;
          break;
        case 'reflect': {
          // numpy's reflect: period 2(m - 1), mirrored without repeating the edge.
          if (m === 1) j = 0;
          else {
            const period = 2 * (m - 1);
            j = ((j % period) + period) % period;
            if (j >= m) j = period - j;
          }
          break;
        }
      }
    }
    map[o] = j < 0 ? -1 : lo + j;
  }
  return map;
}

const pad: Kernel<'Pad'> = (n, inputs) => {
  const x = req(inputs, 0);
  const { mode, pads, value } = n.attrs;
  const rank = x.shape.length;
  if (rank === 0) return [reshaped(x, [])];
  const maps = x.shape.map((size, d) => padMap(mode, size, pads[d], pads[d + rank]));
  const outShape = maps.map((m) => m.length);
  const total = elementCount(outShape);
  const out = allocate(x.dtype, total);
  const fill: unknown = isBigInt(x.dtype) ? BigInt(Math.trunc(value)) : value;
  if (total === 0) return [{ dtype: x.dtype, shape: outShape, data: out }];
  const inStrides = stridesOf(x.shape);
  const innerMap = maps[rank - 1];
  const innerLen = innerMap.length;
  const d = out as Slots;
  const s = x.data as Slots;
  const counter = new Array<number>(rank - 1).fill(0);
  for (let o = 0; o < total; o += innerLen) {
    // Base input offset of this row, or -1 when an outer coordinate is padding.
    let base = 0;
    for (let k = 0; k < rank - 1; k++) {
      const c = maps[k][counter[k]];
      if (c < 0) {
        base = -1;
        break;
      }
      base += c * inStrides[k];
    }
    if (base < 0) for (let i = 0; i < innerLen; i++) d[o + i] = fill;
    else {
      for (let i = 0; i < innerLen; i++) {
        const c = innerMap[i];
        d[o + i] = c < 0 ? fill : s[base + c];
      }
    }
    for (let k = rank - 2; k >= 0; k--) {
      if (++counter[k] < outShape[k]) break;
      counter[k] = 0;
    }
  }
  return [{ dtype: x.dtype, shape: outShape, data: out }];
};

const gather: Kernel<'Gather'> = (n, inputs) => {
  const x = req(inputs, 0);
  const idx = req(inputs, 1);
  const axis = n.attrs.axis;
  const dim = x.shape[axis];
  const outShape = [...x.shape.slice(0, axis), ...idx.shape, ...x.shape.slice(axis + 1)];
  const out = allocate(x.dtype, elementCount(outShape));
  let outer = 1;
  for (let i = 0; i < axis; i++) outer *= x.shape[i];
  const inner = elementCount(x.shape.slice(axis + 1));
  const count = idx.data.length;
  // Resolve (and check) the indices once.
  const rows = new Int32Array(count);
  for (let k = 0; k < count; k++) {
    let v = getNumber(idx.data, k);
    if (v < 0) v += dim;
    if (!(v >= 0 && v < dim)) {
      throw new CompileError(ErrorCode.BadInput, `index ${getNumber(idx.data, k)} is out of range for axis ${axis} of size ${dim}`,
        { node: n.name, op: 'Gather' }, `Indices must lie in [-${dim}, ${dim - 1}].`);
    }
    rows[k] = v;
  }
  for (let o = 0; o < outer; o++) {
    for (let k = 0; k < count; k++) copyRun(out, (o * count + k) * inner, x.data, (o * dim + rows[k]) * inner, inner);
  }
  return [{ dtype: x.dtype, shape: outShape, data: out }];
};

export const shapeKernels = {
  Identity: identity,
  Flatten: (n, inputs) => {
    const x = req(inputs, 0);
    const a = n.attrs.axis;
    return [reshaped(x, [elementCount(x.shape.slice(0, a)), elementCount(x.shape.slice(a))])];
  },
  Reshape: (n, inputs) => [reshaped(req(inputs, 0), n.attrs.shape)],
  Squeeze: (n, inputs) => [reshaped(req(inputs, 0), n.attrs.shape)],
  Unsqueeze: (n, inputs) => [reshaped(req(inputs, 0), n.attrs.shape)],
  Transpose: transpose,
  Concat: concat,
  Pad: pad,
  Gather: gather,
  // The importer turns Shape into a constant; this kernel (the full shape) is for hand-built graphs.
  Shape: (_n, inputs) => {
    const x = req(inputs, 0);
    return [{ dtype: 'int64', shape: [x.shape.length], data: BigInt64Array.from(x.shape, (d) => BigInt(d)) }];
  },
} satisfies Partial<KernelTable>;
