/** Float Conv kernel (ONNX semantics, any spatial rank): im2col into a column tile, then
 * a row-times-tile GEMM accumulated in float64. Also exports the window helpers the
 * pooling kernels share. */
import { allocate, type NumericData } from '../ir/dtype.js';
import type { WindowAttrs } from '../ir/ops.js';
import type { Kernel, KernelTable } from './types.js';
import { req } from './util.js';

/** Output size of one spatial dim for explicit (already resolved) pads. With `ceilMode`,
 * the last window must start inside the input or the begin padding (PyTorch/ORT rule). */
export function windowOutSize(inSize: number, kernel: number, stride: number, dilation: number, padBegin: number, padEnd: number, ceilMode: boolean): number {
  const span = inSize + padBegin + padEnd - ((kernel - 1) * dilation + 1);
  if (!ceilMode) return Math.floor(span / stride) + 1;
  let out = Math.ceil(span / stride) + 1;
  if ((out - 1) * stride >= inSize + padBegin) out--;
  return out;
}

/** Output spatial dims of a window op over `spatialIn`. */
export function windowOutShape(spatialIn: readonly number[], w: WindowAttrs, ceilMode = false): number[] {
  const n = spatialIn.length;
  return spatialIn.map((d, i) => windowOutSize(d, w.kernel[i], w.strides[i], w.dilations[i], w.pads[i], w.pads[i + n], ceilMode));
}

/**
 * For every (output position p, kernel tap k): the flat offset of the input element the
 * tap reads inside one channel's spatial block, or -1 when it falls in the padding.
 * Layout: `tapMajor` → table[k * P + p] (im2col rows); otherwise table[p * K + k].
 */
export function windowOffsets(spatialIn: readonly number[], outSpatial: readonly number[], w: WindowAttrs, tapMajor: boolean): Int32Array {
  const n = spatialIn.length;
  let P = 1;
  let K = 1;
  for (let d = 0; d < n; d++) {
    P *= outSpatial[d];
    K *= w.kernel[d];
  }
  // Per dim: input coordinate of output o and tap k (or -1 when outside), times the stride.
  const perDim: Int32Array[] = [];
  let inStride = 1;
  const inStrides = new Array<number>(n);
  for (let d = n - 1; d >= 0; d--) {
    inStrides[d] = inStride;
    inStride *= spatialIn[d];
  }
  for (let d = 0; d < n; d++) {
    const O = outSpatial[d];
    const Kd = w.kernel[d];
    const t = new Int32Array(O * Kd);
    for (let o = 0; o < O; o++) {
      for (let k = 0; k < Kd; k++) {
        const c = o * w.strides[d] - w.pads[d] + k * w.dilations[d];
        t[o * Kd + k] = c >= 0 && c < spatialIn[d] ? c * inStrides[d] : -1;
      }
    }
    perDim.push(t);
  }
  const table = new Int32Array(P * K);
  const oIdx = new Int32Array(n);
  for (let p = 0; p < P; p++) {
    const kIdx = new Int32Array(n);
    for (let k = 0; k < K; k++) {
      let off = 0;
      for (let d = 0; d < n; d++) {
        const v = perDim[d][oIdx[d] * w.kernel[d] + kIdx[d]];
        if (v < 0) {
          off = -1;
          break;
        }
        off += v;
      }
      table[tapMajor ? k * P + p : p * K + k] = off;
      for (let d = n - 1; d >= 0; d--) {
        if (++kIdx[d] < w.kernel[d]) break;
        kIdx[d] = 0;
      }
    }
    for (let d = n - 1; d >= 0; d--) {
      if (++oIdx[d] < outSpatial[d]) break;
      oIdx[d] = 0;
    }
  }
  return table;
}

/** Column tile budget (elements) so a tile stays cache-sized. */
const TILE_ELEMS = 1 << 16;

const conv: Kernel<'Conv'> = (node, inputs) => {
  const x = req(inputs, 0);
  const wv = req(inputs, 1);
  const bias = inputs[2] ? (inputs[2].data as NumericData) : undefined;
  const a = node.attrs;
  const [N, C] = x.shape;
  const M = wv.shape[0];
  const G = a.group;
  const Cg = C / G;
  const Mg = M / G;
  const spatialIn = x.shape.slice(2);
  const outSpatial = windowOutShape(spatialIn, a);
  let S = 1; // input spatial size
  for (const d of spatialIn) S *= d;
  let P = 1; // output spatial size
  for (const d of outSpatial) P *= d;
  let K = 1;
  for (const k of a.kernel) K *= k;
  const CK = Cg * K; // GEMM inner dimension

  const xd = x.data as NumericData;
  const wd = wv.data as NumericData;
  const out = allocate(x.dtype, N * M * P) as NumericData;

  // A 1x1 window with unit stride and no padding reads the input as is: skip im2col.
  const identity = K === 1 && P === S && a.strides.every((s) => s === 1) && a.pads.every((p) => p === 0);
  const table = identity ? undefined : windowOffsets(spatialIn, outSpatial, a, true);
  const T = Math.max(1, Math.min(P, Math.max(64, Math.floor(TILE_ELEMS / CK))));
  const col = identity ? undefined : new Float64Array(CK * T);
  const acc = new Float64Array(T);

  for (let n = 0; n < N; n++) {
    for (let g = 0; g < G; g++) {
      const xBase = (n * C + g * Cg) * S;
      for (let p0 = 0; p0 < P; p0 += T) {
        const tl = Math.min(T, P - p0);
        // Source rows: row r (channel c, tap k) of length tl starts at src[srcOff + r * rowStride].
        let src: NumericData | Float64Array;
        let srcOff: number;
        let rowStride: number;
        if (col && table) {
          for (let c = 0; c < Cg; c++) {
            const cBase = xBase + c * S;
            for (let k = 0; k < K; k++) {
              const r = (c * K + k) * tl;
              const t = k * P + p0;
              for (let p = 0; p < tl; p++) {
                const off = table[t + p];
                col[r + p] = off < 0 ? 0 : xd[cBase + off];
              }
            }
          }
          src = col;
          srcOff = 0;
          rowStride = tl;
        } else {
          src = xd;
          srcOff = xBase + p0;
          rowStride = S;
        }
        for (let m = 0; m < Mg; m++) {
          const oc = g * Mg + m;
          const wBase = oc * CK;
          acc.fill(0, 0, tl);
          for (let r = 0; r < CK; r++) {
            const wk = wd[wBase + r];
            const s = srcOff + r * rowStride;
            for (let p = 0; p < tl; p++) acc[p] += wk * src[s + p];
          }
          const b = bias ? bias[oc] : 0;
          const o = (n * M + oc) * P + p0;
          for (let p = 0; p < tl; p++) out[o + p] = acc[p] + b;
        }
      }
    }
  }
  return [{ dtype: x.dtype, shape: [N, M, ...outSpatial], data: out }];
};

export const convKernels = {
  Conv: conv,
} satisfies Partial<KernelTable>;
