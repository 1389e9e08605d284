/**
 * Physical layouts of the schedule's tensors (target-independent: every backend stores a tensor
 * as some permutation of a reshape of its logical shape).
 *
 * The IR is NCHW (ONNX order). In memory, a tensor's bytes are
 * `transpose(reshape(logical, layout.shape), layout.perm)` in row-major order: activations of
 * rank ≥ 3 are channels-last (NHWC, as CMSIS-NN wants); a Reshape or Transpose is a view that
 * only changes the logical side of that formula, never the bytes. Two layouts are compared
 * through their `axes` (size-1 dims dropped, contiguous dims merged), so e.g. NHWC [1,8,1,1]
 * and row-major [1,8] are the same bytes.
 */
import { stridesOf } from '../ir/graph.js';

/** Bytes = transpose(reshape(logical, shape), perm), row-major. */
export interface Layout {
  shape: readonly number[];
  perm: readonly number[];
}

export const identity = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** Plain row-major order of `shape`. */
export function rowMajor(shape: readonly number[]): Layout {
  return { shape: [...shape], perm: identity(shape.length) };
}

/** Channels-last for rank ≥ 3 ([N,C,H,W] → [N,H,W,C], [N,C,L] → [N,L,C]); row-major below. */
export function channelsLast(shape: readonly number[]): Layout {
  const r = shape.length;
  if (r < 3) return rowMajor(shape);
  return { shape: [...shape], perm: [0, ...identity(r).slice(2), 1] };
}

/** Physical axes, outermost first: `dims[k]` elements, `logicalStrides[k]` apart in the
 * logical row-major order. Size-1 axes are dropped and axes that are contiguous in both orders
 * merged, so equal `axes` means equal bytes. */
export interface Axes {
  dims: number[];
  logicalStrides: number[];
}

export function axesOf(layout: Layout): Axes {
  const st = stridesOf(layout.shape);
  const dims: number[] = [];
  const strides: number[] = [];
  for (const p of layout.perm) {
    const d = layout.shape[p];
    if (d === 1) continue;
    const s = st[p];
    const last = dims.length - 1;
    if (last >= 0 && strides[last] === s * d) {
      dims[last] *= d;
      strides[last] = s;
    } else {
      dims.push(d);
      strides.push(s);
    }
  }
  return { dims, logicalStrides: strides };
}

/** True when both layouts put the same logical element at every byte. */
export function sameBytes(a: Layout, b: Layout): boolean {
  const x = axesOf(a);
  const y = axesOf(b);
  return x.dims.length === y.dims.length && x.dims.every((d, i) => d === y.dims[i] && x.logicalStrides[i] === y.logicalStrides[i]);
}

/** True when the bytes are in logical row-major order. */
export function isRowMajor(layout: Layout): boolean {
  const a = axesOf(layout);
  return a.dims.length === 0 || (a.dims.length === 1 && a.logicalStrides[0] === 1);
}

/** True when the layout's shape is the tensor's logical shape (no reshape in between). */
export function isCanonical(layout: Layout, logical: readonly number[]): boolean {
  return layout.shape.length === logical.length && layout.shape.every((d, i) => d === logical[i]);
}

/** The logical shape in physical order (for a canonical layout: NHWC dims of an NCHW tensor). */
export function physicalShape(layout: Layout): number[] {
  return layout.perm.map((p) => layout.shape[p]);
}

/** The layout a Transpose view gives: `logicalOut = transpose(logicalIn, t)` over a canonical
 * input layout (bytes = transpose(logicalIn, P)) is stored as transpose(logicalOut, t⁻¹∘P). */
export function transposeView(input: Layout, t: readonly number[], outShape: readonly number[]): Layout {
  const inv = new Array<number>(t.length);
  t.forEach((v, k) => (inv[v] = k));
  return { shape: [...outShape], perm: input.perm.map((p) => inv[p]) };
}

/** A strided copy (gather): the destination is written in order over `dims` (outermost first)
 * and element (i0, i1, ...) is read at Σ i_k * srcStrides[k] in the source. */
export interface StridedCopy {
  dims: number[];
  srcStrides: number[];
}

/** Copy from `from` bytes into logical row-major order. */
export function toRowMajor(from: Layout): StridedCopy {
  const a = axesOf(from);
  const phys = stridesOf(a.dims);
  const order = identity(a.dims.length).sort((i, j) => a.logicalStrides[j] - a.logicalStrides[i]);
  return finish({ dims: order.map((k) => a.dims[k]), srcStrides: order.map((k) => phys[k]) });
}

/** Copy from logical row-major order into `to` bytes. */
export function fromRowMajor(to: Layout): StridedCopy {
  const a = axesOf(to);
  return finish({ dims: a.dims, srcStrides: a.logicalStrides });
}

/** Merges destination-contiguous axes whose source strides also line up; at least one axis. */
function finish(c: StridedCopy): StridedCopy {
  const dims: number[] = [];
  const src: number[] = [];
  c.dims.forEach((d, k) => {
    const last = dims.length - 1;
    if (last >= 0 && src[last] === c.srcStrides[k] * d) {
      dims[last] *= d;
      src[last] = c.srcStrides[k];
    } else {
      dims.push(d);
      src.push(c.srcStrides[k]);
    }
  });
  return dims.length ? { dims, srcStrides: src } : { dims: [1], srcStrides: [1] };
}

/** For each byte of `layout` (in physical order), the logical row-major index it holds. */
export function physicalToLogical(layout: Layout): Int32Array {
  const a = axesOf(layout);
  const n = a.dims.reduce((x, y) => x * y, 1);
  const out = new Int32Array(n);
  const idx = new Array<number>(a.dims.length).fill(0);
  for (let j = 0; j < n; j++) {
    let l = 0;
    for (let k = 0; k < idx.length; k++) l += idx[k] * a.logicalStrides[k];
    out[j] = l;
    for (let k = idx.length - 1; k >= 0; k--) {
      if (++idx[k] < a.dims[k]) break;
      idx[k] = 0;
    }
  }
  return out;
}

/** FC weights [M, K] whose input arrives in `inputLayout` bytes (batch outermost): column j of
 * the result multiplies input byte j of each row, so a Flatten of an NHWC tensor costs nothing. */
export function weightsForInputLayout(w: Int8Array, m: number, k: number, inputLayout: Layout): Int8Array {
  const sigma = physicalToLogical(inputLayout);
  const out = new Int8Array(m * k);
  for (let r = 0; r < m; r++) for (let j = 0; j < k; j++) out[r * k + j] = w[r * k + (sigma[j] % k)];
  return out;
}

/** True when every batch row of an [N, K] tensor in `layout` occupies its own K consecutive
 * bytes in the same internal order (so one weight reordering serves every row). */
export function batchRowsContiguous(layout: Layout, n: number, k: number): boolean {
  if (n === 1) return true;
  const sigma = physicalToLogical(layout);
  for (let j = 0; j < sigma.length; j++) {
    if (Math.floor(sigma[j] / k) !== Math.floor(j / k) || sigma[j] % k !== sigma[j % k] % k) return false;
  }
  return true;
}

/** numpy-style transpose of row-major `data` of `shape` by `perm`. */
export function permuteData<T extends Int8Array | Int32Array>(data: T, shape: readonly number[], perm: readonly number[]): T {
  const copy = fromRowMajor({ shape, perm });
  const out = new (data.constructor as new (n: number) => T)(data.length);
  const idx = new Array<number>(copy.dims.length).fill(0);
  for (let o = 0; o < data.length; o++) {
    let s = 0;
    for (let k = 0; k < idx.length; k++) s += idx[k] * copy.srcStrides[k];
    out[o] = data[s];
    for (let k = idx.length - 1; k >= 0; k--) {
      if (++idx[k] < copy.dims[k]) break;
      idx[k] = 0;
    }
  }
  return out;
}
