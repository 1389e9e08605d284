/** Float kernels for Gemm and MatMul (ONNX semantics), accumulated in float64. */
import { allocate, type NumericData } from '../ir/dtype.js';
import { elementCount } from '../ir/graph.js';
import type { Kernel, KernelTable } from './types.js';
import { broadcastIndex, broadcastShape, req } from './util.js';

/**
 * acc[0..N) = sum_k A[aOff + i*aRow + k*aCol] * B[k, :] for one row i, in i-k-j order when B
 * is row-major [K, N] (bRow = N, bCol = 1); for a transposed B ([N, K], bCol = K) a
 * contiguous dot product per j instead.
 */
function rowTimesMatrix(
  acc: Float64Array, a: NumericData, aOff: number, aStep: number,
  b: NumericData, bOff: number, K: number, N: number, bTransposed: boolean,
): void {
  if (!bTransposed) {
    acc.fill(0, 0, N);
    let k = 0;
    // Four rows of B per pass over acc.
    for (; k + 4 <= K; k += 4) {
      const a0 = a[aOff + k * aStep];
      const a1 = a[aOff + (k + 1) * aStep];
      const a2 = a[aOff + (k + 2) * aStep];
      const a3 = a[aOff + (k + 3) * aStep];
      const r0 = bOff + k * N;
      const r1 = r0 + N;
      const r2 = r1 + N;
      const r3 = r2 + N;
      for (let j = 0; j < N; j++) acc[j] += a0 * b[r0 + j] + a1 * b[r1 + j] + a2 * b[r2 + j] + a3 * b[r3 + j];
    }
    for (; k < K; k++) {
      const av = a[aOff + k * aStep];
      const r = bOff + k * N;
      for (let j = 0; j < N; j++) acc[j] += av * b[r + j];
    }
  } else {
    let j = 0;
    // Four columns of B' (rows of B) per pass over the row of A.
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
        const av = a[aOff + k * aStep];
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
      for (let k = 0; k < K; k++) s += a[aOff + k * aStep] * b[r + k];
      acc[j] = s;
    }
  }
}

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
  let cd: NumericData | undefined;
  let cRow = 0;
  let cCol = 0;
  if (c) {
    cd = c.data as NumericData;
    const cs = c.shape;
    const cn = cs.length >= 1 ? cs[cs.length - 1] : 1;
    const cm = cs.length === 2 ? cs[0] : 1;
    cCol = cn === 1 ? 0 : 1;
    cRow = cm === 1 ? 0 : cn;
  }
  const acc = new Float64Array(N);
  for (let i = 0; i < M; i++) {
    // Row i of A' is A[i, :] (step 1) or column i of A (step M).
    rowTimesMatrix(acc, ad, transA ? i : i * K, transA ? M : 1, bd, 0, K, N, transB);
    const o = i * N;
    if (cd) {
      const cr = i * cRow;
      for (let j = 0; j < N; j++) out[o + j] = alpha * acc[j] + beta * cd[cr + j * cCol];
    } else {
      for (let j = 0; j < N; j++) out[o + j] = alpha * acc[j];
    }
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
  const acc = new Float64Array(N);
  for (let t = 0; t < nb; t++) {
    const aBase = (ia ? ia[t] : t) * M * K;
    const bBase = (ib ? ib[t] : t) * K * N;
    for (let i = 0; i < M; i++) {
      rowTimesMatrix(acc, ad, aBase + i * K, 1, bd, bBase, K, N, false);
      const o = (t * M + i) * N;
      for (let j = 0; j < N; j++) out[o + j] = acc[j];
    }
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
