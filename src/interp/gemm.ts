/** Float kernels for Gemm and MatMul (ONNX semantics), accumulated in float64, plus the
 * blocked matrix-product micro-kernel that Conv shares. */
import { allocate, type NumericData } from '../ir/dtype.js';
import { elementCount } from '../ir/graph.js';
import type { Kernel, KernelTable } from './types.js';
import { broadcastIndex, broadcastShape, req } from './util.js';

/** Receives output row i of a product, held in acc[off .. off + N). */
export type RowSink = (i: number, acc: Float64Array, off: number) => void;

/**
 * Row i of A·B for i < M, where A is row-major [M, K] at a[aOff] (row stride lda) and B is
 * row-major [K, N] at b[bOff] (row stride ldb); each row goes to `emit`. Four rows of A and
 * four of B per pass (i-k-j order), so each B element loaded feeds four accumulators.
 * `acc` is scratch of at least 4 * N elements.
 */
export function gemmRows(
  M: number, K: number, N: number,
  a: Float64Array, aOff: number, lda: number,
  b: Float64Array, bOff: number, ldb: number,
  acc: Float64Array, emit: RowSink,
): void {
  const o1 = N;
  const o2 = 2 * N;
  const o3 = 3 * N;
  let i = 0;
  for (; i + 4 <= M; i += 4) {
    acc.fill(0, 0, 4 * N);
    const ra = aOff + i * lda;
    const rb = ra + lda;
    const rc = rb + lda;
    const rd = rc + lda;
    let k = 0;
    for (; k + 4 <= K; k += 4) {
      const a0 = a[ra + k], a1 = a[ra + k + 1], a2 = a[ra + k + 2], a3 = a[ra + k + 3];
      const b0 = a[rb + k], b1 = a[rb + k + 1], b2 = a[rb + k + 2], b3 = a[rb + k + 3];
      const c0 = a[rc + k], c1 = a[rc + k + 1], c2 = a[rc + k + 2], c3 = a[rc + k + 3];
      const d0 = a[rd + k], d1 = a[rd + k + 1], d2 = a[rd + k + 2], d3 = a[rd + k + 3];
      const s0 = bOff + k * ldb;
      const s1 = s0 + ldb;
      const s2 = s1 + ldb;
      const s3 = s2 + ldb;
      for (let j = 0; j < N; j++) {
        const x0 = b[s0 + j], x1 = b[s1 + j], x2 = b[s2 + j], x3 = b[s3 + j];
        acc[j] += a0 * x0 + a1 * x1 + a2 * x2 + a3 * x3;
        acc[o1 + j] += b0 * x0 + b1 * x1 + b2 * x2 + b3 * x3;
        acc[o2 + j] += c0 * x0 + c1 * x1 + c2 * x2 + c3 * x3;
        acc[o3 + j] += d0 * x0 + d1 * x1 + d2 * x2 + d3 * x3;
      }
    }
    for (; k < K; k++) {
      const a0 = a[ra + k], b0 = a[rb + k], c0 = a[rc + k], d0 = a[rd + k];
      const s0 = bOff + k * ldb;
      for (let j = 0; j < N; j++) {
        const x0 = b[s0 + j];
        acc[j] += a0 * x0;
        acc[o1 + j] += b0 * x0;
        acc[o2 + j] += c0 * x0;
        acc[o3 + j] += d0 * x0;
      }
    }
    emit(i, acc, 0);
    emit(i + 1, acc, o1);
    emit(i + 2, acc, o2);
    emit(i + 3, acc, o3);
  }
  for (; i < M; i++) {
    acc.fill(0, 0, N);
    const ra = aOff + i * lda;
    let k = 0;
    for (; k + 4 <= K; k += 4) {
      const a0 = a[ra + k], a1 = a[ra + k + 1], a2 = a[ra + k + 2], a3 = a[ra + k + 3];
      const s0 = bOff + k * ldb;
      const s1 = s0 + ldb;
      const s2 = s1 + ldb;
      const s3 = s2 + ldb;
      for (let j = 0; j < N; j++) acc[j] += a0 * b[s0 + j] + a1 * b[s1 + j] + a2 * b[s2 + j] + a3 * b[s3 + j];
    }
    for (; k < K; k++) {
      const a0 = a[ra + k];
      const s0 = bOff + k * ldb;
      for (let j = 0; j < N; j++) acc[j] += a0 * b[s0 + j];
    }
    emit(i, acc, 0);
  }
}

/** A copy of a [rows, cols] matrix at src[off] as float64, transposed when `transpose`. */
function toFloat64(src: NumericData, off: number, rows: number, cols: number, transpose: boolean): Float64Array {
  const out = new Float64Array(rows * cols);
  if (!transpose) {
    for (let i = 0; i < rows * cols; i++) out[i] = src[off + i];
  } else {
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = src[off + r * cols + c];
  }
  return out;
}

/** Few rows (matrix-vector products): no conversion, A row times B directly from the
 * input arrays; B is [K, N] row-major, or [N, K] when `bTransposed` (dot products). */
function smallRows(
  M: number, K: number, N: number,
  a: NumericData, aOff: number, aRowStep: number, aColStep: number,
  b: NumericData, bOff: number, bTransposed: boolean,
  acc: Float64Array, emit: RowSink,
): void {
  for (let i = 0; i < M; i++) {
    const ra = aOff + i * aRowStep;
    if (!bTransposed) {
      acc.fill(0, 0, N);
      let k = 0;
      for (; k + 4 <= K; k += 4) {
        const a0 = a[ra + k * aColStep];
        const a1 = a[ra + (k + 1) * aColStep];
        const a2 = a[ra + (k + 2) * aColStep];
        const a3 = a[ra + (k + 3) * aColStep];
        const r0 = bOff + k * N;
        const r1 = r0 + N;
        const r2 = r1 + N;
        const r3 = r2 + N;
        for (let j = 0; j < N; j++) acc[j] += a0 * b[r0 + j] + a1 * b[r1 + j] + a2 * b[r2 + j] + a3 * b[r3 + j];
      }
      for (; k < K; k++) {
        const av = a[ra + k * aColStep];
        const r = bOff + k * N;
        for (let j = 0; j < N; j++) acc[j] += av * b[r + j];
      }
    } else {
      let j = 0;
      for (; j + 4 <= N; j += 4) {
        const r0 = bOff + j * K;
        const r1 = r0 + K;
        const r2 = r1 + K;
        const r3 = r2 + K;
        let s0 = 0;
        let s1 = 0;
        let s2 = 0;
        let s3 = 0;
        for (let k = 0; k < K; k++) {
          const av = a[ra + k * aColStep];
          s0 += av * b[r0 + k];
          s1 += av * b[r1 + k];
          s2 += av * b[r2 + k];
          s3 += av * b[r3 + k];
        }
        acc[j] = s0;
        acc[j + 1] = s1;
        acc[j + 2] = s2;
        acc[j + 3] = s3;
      }
      for (; j < N; j++) {
        const r = bOff + j * K;
        let s = 0;
        for (let k = 0; k < K; k++) s += a[ra + k * aColStep] * b[r + k];
        acc[j] = s;
      }
    }
    emit(i, acc, 0);
  }
}

/** Below this many rows the inputs are used in place (no float64 copies). */
const SMALL_M = 4;

const gemm: Kernel<'Gemm'> = (node, inputs) => {
  const a = req(inputs, 0);
  const b = req(inputs, 1);
  const c = inputs[2];
  const { alpha, beta, transA, transB } = node.attrs;
  const M = transA ? a.shape[1] : a.shape[0];
  const K = transA ? a.shape[0] : a.shape[1];
  const N = transB ? b.shape[0] : b.shape[1];
  const ad = a.data as NumericData;
  const bd = b.data as NumericData;
  const out = allocate(a.dtype, M * N) as NumericData;
  // C broadcast to [M, N]: element (i, j) is cd[i * cRow + j * cCol].
  const cd = c ? (c.data as NumericData) : undefined;
  let cRow = 0;
  let cCol = 0;
  if (c) {
    const cs = c.shape;
    const cn = cs.length >= 1 ? cs[cs.length - 1] : 1;
    const cm = cs.length === 2 ? cs[0] : 1;
    cCol = cn === 1 ? 0 : 1;
    cRow = cm === 1 ? 0 : cn;
  }
  const emit: RowSink = (i, acc, off) => {
    const o = i * N;
    if (cd) {
      const cr = i * cRow;
      for (let j = 0; j < N; j++) out[o + j] = alpha * acc[off + j] + beta * cd[cr + j * cCol];
    } else {
      for (let j = 0; j < N; j++) out[o + j] = alpha * acc[off + j];
    }
  };
  const acc = new Float64Array(4 * N);
  if (M < SMALL_M) {
    // Row i of A' is A[i, :] (step 1) or column i of A (step M).
    smallRows(M, K, N, ad, 0, transA ? 1 : K, transA ? M : 1, bd, 0, transB, acc, emit);
  } else {
    gemmRows(M, K, N, toFloat64(ad, 0, a.shape[0], a.shape[1], transA), 0, K, toFloat64(bd, 0, b.shape[0], b.shape[1], transB), 0, N, acc, emit);
  }
  return [{ dtype: a.dtype, shape: [M, N], data: out }];
};

const matmul: Kernel<'MatMul'> = (_node, inputs) => {
  const a = req(inputs, 0);
  const b = req(inputs, 1);
  const as = a.shape.length === 1 ? [1, a.shape[0]] : a.shape;
  const bs = b.shape.length === 1 ? [b.shape[0], 1] : b.shape;
  const M = as[as.length - 2];
  const K = as[as.length - 1];
  const N = bs[bs.length - 1];
  const batchA = as.slice(0, -2);
  const batchB = bs.slice(0, -2);
  const batch = broadcastShape(batchA, batchB);
  const nb = elementCount(batch);
  const ia = broadcastIndex(batchA, batch);
  const ib = broadcastIndex(batchB, batch);
  const ad = a.data as NumericData;
  const bd = b.data as NumericData;
  const out = allocate(a.dtype, nb * M * N) as NumericData;
  const acc = new Float64Array(4 * N);
  const small = M < SMALL_M;
  const a64 = small ? undefined : toFloat64(ad, 0, 1, ad.length, false);
  const b64 = small ? undefined : toFloat64(bd, 0, 1, bd.length, false);
  let o0 = 0;
  const emit: RowSink = (i, acc, off) => {
    const o = o0 + i * N;
    for (let j = 0; j < N; j++) out[o + j] = acc[off + j];
  };
  for (let t = 0; t < nb; t++) {
    const aBase = (ia ? ia[t] : t) * M * K;
    const bBase = (ib ? ib[t] : t) * K * N;
    o0 = t * M * N;
    if (a64 && b64) gemmRows(M, K, N, a64, aBase, K, b64, bBase, N, acc, emit);
    else smallRows(M, K, N, ad, aBase, K, 1, bd, bBase, false, acc, emit);
  }
  const shape = [...batch];
  if (a.shape.length > 1) shape.push(M);
  if (b.shape.length > 1) shape.push(N);
  return [{ dtype: a.dtype, shape, data: out }];
};

export const gemmKernels = {
  Gemm: gemm,
  MatMul: matmul,
} satisfies Partial<KernelTable>;
