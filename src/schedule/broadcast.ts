/**
 * How a broadcasting elementwise kernel (QAdd, QMul) walks its operands, target-independent: the
 * output is written in its byte order over `dims` (outermost first) and operand j is read at
 * Σ i_k * strides[j][k] elements (0 along a broadcast dim). Adjacent axes that are contiguous for
 * every operand are merged, so the common cases (a per-channel scale over NHWC, a scalar) need one
 * or two loops. Constants of the output's shape are stored in the output's byte order instead.
 */
import { stridesOf } from '../ir/graph.js';
import { identity, isCanonical, physicalToLogical, type Layout } from './layout.js';

/** The walk of one broadcasting step. */
export interface BroadcastWalk {
  dims: number[];
  /** strides[j][k]: elements operand j advances per step of axis k. */
  strides: number[][];
}

/** An operand as the walk reads it: a canonical layout of its logical shape (a constant is row-major). */
export interface WalkOperand {
  shape: readonly number[];
  layout: Layout;
}

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

/** True when every operand has the output's shape: the kernel reads them in the output's byte order. */
export function isPlainElementwise(outShape: readonly number[], shapes: readonly (readonly number[])[]): boolean {
  return shapes.every((s) => sameShape(s, outShape));
}

/** Elements between neighbours along each logical dim of a tensor in a canonical layout. */
function elementStrides(t: WalkOperand): number[] {
  if (!isCanonical(t.layout, t.shape)) throw new Error(`broadcast operand layout [${t.layout.shape}] is not canonical for [${t.shape}]`);
  const phys = stridesOf(t.layout.perm.map((p) => t.layout.shape[p]));
  const out = new Array<number>(t.shape.length);
  t.layout.perm.forEach((d, k) => (out[d] = phys[k]));
  return out;
}

/** The walk of a broadcasting step whose output (canonical, of the broadcast shape) is `out`. */
export function broadcastWalk(out: WalkOperand, operands: readonly WalkOperand[]): BroadcastWalk {
  const rank = out.shape.length;
  const outStrides = elementStrides(out);
  const per = operands.map((t) => {
    const s = elementStrides(t);
    const lead = rank - t.shape.length;
    return identity(rank).map((d) => (d < lead || t.shape[d - lead] === 1 ? 0 : s[d - lead]));
  });
  // Physical order of the output: logical dims by decreasing output stride, size-1 dims dropped.
  const order = identity(rank).filter((d) => out.shape[d] !== 1).sort((a, b) => outStrides[b] - outStrides[a]);
  const dims: number[] = [];
  const strides: number[][] = operands.map(() => []);
  const outWalk: number[] = [];
  for (const d of order) {
    const last = dims.length - 1;
    const n = out.shape[d];
    const merges = last >= 0 && outWalk[last] === outStrides[d] * n && per.every((s, j) => strides[j][last] === s[d] * n);
    if (merges) {
      dims[last] *= n;
      outWalk[last] = outStrides[d];
      per.forEach((s, j) => (strides[j][last] = s[d]));
    } else {
      dims.push(n);
      outWalk.push(outStrides[d]);
      per.forEach((s, j) => strides[j].push(s[d]));
    }
  }
  if (dims.length === 0) return { dims: [1], strides: operands.map(() => [0]) };
  return { dims, strides };
}

/** A constant of the output's shape (row-major data) in the output's byte order. */
export function inOutputOrder<T extends Int8Array>(data: T, outLayout: Layout): T {
  const sigma = physicalToLogical(outLayout);
  const out = new (data.constructor as new (n: number) => T)(data.length);
  for (let j = 0; j < sigma.length; j++) out[j] = data[sigma[j]];
  return out;
}

/** The walk over the batches of a matrix product [..., M, K] x [..., K, N] (row-major operands):
 * one axis per batch dim of more than one element, then an inner axis of one matrix; operands
 * move by whole matrices (stride 0 along a broadcast batch dim). */
export function batchWalk(lhs: readonly number[], rhs: readonly number[], out: readonly number[]): BroadcastWalk {
  const rank = out.length;
  const [m, k] = lhs.slice(lhs.length - 2);
  const n = rhs[rhs.length - 1];
  const strides = (shape: readonly number[], matrix: number) => {
    const batch = shape.slice(0, shape.length - 2);
    const s = stridesOf(batch).map((v) => v * matrix);
    const lead = rank - 2 - batch.length;
    return identity(rank - 2).map((d) => (d < lead || batch[d - lead] === 1 ? 0 : s[d - lead]));
  };
  const sa = strides(lhs, m * k);
  const sb = strides(rhs, k * n);
  const axes = identity(rank - 2).filter((d) => out[d] !== 1);
  return { dims: [...axes.map((d) => out[d]), 1], strides: [[...axes.map((d) => sa[d]), 0], [...axes.map((d) => sb[d]), 0]] };
}
