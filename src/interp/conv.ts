/** Float Conv kernel (ONNX semantics, any spatial rank). Each channel block is copied
 * into a zero-padded float64 buffer, so window taps need no bounds checks; then either
 * im2col into a cache-sized column tile times the weights with the blocked GEMM of
 * gemm.ts, or, for depthwise-style convs (few output channels per group), direct
 * accumulation four taps at a time. Float64 accumulators throughout. Also exports the
 * window geometry that the pooling kernels share. */
import { allocate, type NumericData } from '../ir/dtype.js';
import { windowOutShape } from '../ir/geometry.js';
import type { WindowAttrs } from '../ir/ops.js';
import type { Kernel, KernelTable } from './types.js';
import { gemmRows, type RowSink } from './gemm.js';
import { req } from './util.js';

/**
 * Where the windows of a window op read inside one channel, once the channel is copied into
 * a padded buffer (`fillPadded`). Output positions are split into Q "rows" (all spatial dims
 * but the last) of Wo positions: tap k of output (q, j) reads padded[qOff[q] + j * sw + kOff[k]].
 */
export interface WindowGeometry {
  outSpatial: number[];
  /** Output positions per channel (Q * Wo), taps per window. */
  P: number;
  K: number;
  Q: number;
  Wo: number;
  /** Stride of the last spatial dim. */
  sw: number;
  qOff: Int32Array;
  kOff: Int32Array;
  /** Elements of one padded channel. */
  Sp: number;
  /** Elements of one input channel, and the input's last dim. */
  S: number;
  Win: number;
  /** Per input row (all spatial dims but the last): where it starts in the padded buffer. */
  rowDst: Int32Array;
}

function product(xs: readonly number[]): number {
  let p = 1;
  for (const x of xs) p *= x;
  return p;
}

/** Offsets sum_d idx_d * step_d over every multi-index of `dims` (row-major order). */
function gridOffsets(dims: readonly number[], step: readonly number[], base = 0): Int32Array {
  const n = product(dims);
  const out = new Int32Array(n);
  const idx = new Array<number>(dims.length).fill(0);
  let off = base;
  for (let i = 0; i < n; i++) {
    out[i] = off;
    for (let d = dims.length - 1; d >= 0; d--) {
      idx[d]++;
      off += step[d];
      if (idx[d] < dims[d]) break;
      off -= step[d] * idx[d];
      idx[d] = 0;
    }
  }
  return out;
}

export function windowGeometry(spatialIn: readonly number[], w: WindowAttrs, outSpatial: readonly number[]): WindowGeometry {
  const nd = spatialIn.length;
  // The padded extent also covers ceil_mode windows that run past the end padding.
  const padded = spatialIn.map((d, i) =>
    Math.max(d + w.pads[i] + w.pads[i + nd], (outSpatial[i] - 1) * w.strides[i] + (w.kernel[i] - 1) * w.dilations[i] + 1));
  const pst = new Array<number>(nd);
  let acc = 1;
  for (let d = nd - 1; d >= 0; d--) {
    pst[d] = acc;
    acc *= padded[d];
  }
  const lead = outSpatial.slice(0, -1);
  return {
    outSpatial: [...outSpatial],
    P: product(outSpatial),
    K: product(w.kernel),
    Q: product(lead),
    Wo: outSpatial[nd - 1],
    sw: w.strides[nd - 1],
    qOff: gridOffsets(lead, lead.map((_, d) => w.strides[d] * pst[d])),
    kOff: gridOffsets(w.kernel, w.kernel.map((_, d) => w.dilations[d] * pst[d])),
    Sp: acc,
    S: product(spatialIn),
    Win: spatialIn[nd - 1],
    rowDst: gridOffsets(spatialIn.slice(0, -1), pst.slice(0, -1), w.pads.slice(0, nd).reduce((s, p, d) => s + p * pst[d], 0)),
  };
}

/** Copies one input channel (at src[srcOff]) into the interior of a padded channel buffer
 * (at dst[dstOff]); the padding elements of dst are left as they are. */
export function fillPadded(dst: Float64Array, dstOff: number, src: NumericData, srcOff: number, g: WindowGeometry): void {
  const { rowDst, Win } = g;
  for (let r = 0; r < rowDst.length; r++) {
    const s = srcOff + r * Win;
    const d = dstOff + rowDst[r];
    for (let i = 0; i < Win; i++) dst[d + i] = src[s + i];
  }
}

/** acc[r * Wo + j] += sum_t w[wOff + t] * xp[src[t] + qOff[q0 + r] + j * sw] over taps t < n
 * (n <= 4), for rows r < rows and j < Wo: four taps per pass over acc. */
function tapRows(
  acc: Float64Array, xp: Float64Array, w: Float64Array, wOff: number, src: Int32Array, t0: number, n: number,
  qOff: Int32Array, q0: number, rows: number, Wo: number, sw: number,
): void {
  if (n < 4) {
    for (let t = 0; t < n; t++) {
      const wt = w[wOff + t];
      for (let r = 0; r < rows; r++) {
        const s = src[t0 + t] + qOff[q0 + r];
        const d = r * Wo;
        if (sw === 1) for (let j = 0; j < Wo; j++) acc[d + j] += wt * xp[s + j];
        else for (let j = 0; j < Wo; j++) acc[d + j] += wt * xp[s + j * sw];
      }
    }
    return;
  }
  const w0 = w[wOff];
  const w1 = w[wOff + 1];
  const w2 = w[wOff + 2];
  const w3 = w[wOff + 3];
  for (let r = 0; r < rows; r++) {
    const q = qOff[q0 + r];
    const s0 = src[t0] + q;
    const s1 = src[t0 + 1] + q;
    const s2 = src[t0 + 2] + q;
    const s3 = src[t0 + 3] + q;
    const d = r * Wo;
    if (sw === 1) {
      for (let j = 0; j < Wo; j++) acc[d + j] += w0 * xp[s0 + j] + w1 * xp[s1 + j] + w2 * xp[s2 + j] + w3 * xp[s3 + j];
    } else {
      for (let j = 0; j < Wo; j++) {
        const i = j * sw;
        acc[d + j] += w0 * xp[s0 + i] + w1 * xp[s1 + i] + w2 * xp[s2 + i] + w3 * xp[s3 + i];
      }
    }
  }
}

/** Column tile budget (elements) so a tile stays cache-sized. */
const TILE_ELEMS = 1 << 15;
const MIN_TILE = 64;

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
  const geo = windowGeometry(spatialIn, a, windowOutShape(spatialIn, a));
  const { P, K, Q, Wo, sw, qOff, kOff, Sp, S } = geo;
  const CK = Cg * K; // GEMM inner dimension

  const xd = x.data as NumericData;
  const wd = new Float64Array(wv.data as NumericData);
  const out = allocate(x.dtype, N * M * P) as NumericData;
  const xp = new Float64Array(Cg * Sp);
  // Direct accumulation (no im2col) when few output channels share each input block.
  const direct = Mg < 4;
  // At least MIN_TILE positions per tile: the product's inner loop runs over them, and late
  // layers (7x7 outputs, thousands of taps) would otherwise get tiles of one row.
  const rowsPerTile = Math.max(1, Math.min(Q, Math.max(Math.ceil(MIN_TILE / Wo), Math.floor(TILE_ELEMS / ((direct ? 1 : CK) * Wo)))));
  const T = rowsPerTile * Wo;
  const col = direct ? undefined : new Float64Array(CK * T);
  // Tap t = (c, k) of a window starts at xp[tapSrc[t] + window start].
  const tapSrc = new Int32Array(CK);
  for (let c = 0; c < Cg; c++) for (let k = 0; k < K; k++) tapSrc[c * K + k] = c * Sp + kOff[k];
  const acc = new Float64Array(4 * T);
  // Row m of a tile product is output channel oc0 + m of batch n, positions pos0 .. pos0 + tl.
  let n = 0;
  let oc0 = 0;
  let pos0 = 0;
  let tl = 0;
  const emit: RowSink = (m, accRow, off) => {
    const oc = oc0 + m;
    const b = bias ? bias[oc] : 0;
    const o = (n * M + oc) * P + pos0;
    for (let p = 0; p < tl; p++) out[o + p] = accRow[off + p] + b;
  };

  for (n = 0; n < N; n++) {
    for (let g = 0; g < G; g++) {
      const xBase = (n * C + g * Cg) * S;
      for (let c = 0; c < Cg; c++) fillPadded(xp, c * Sp, xd, xBase + c * S, geo);
      for (let q0 = 0; q0 < Q; q0 += rowsPerTile) {
        const rows = Math.min(rowsPerTile, Q - q0);
        tl = rows * Wo;
        if (col) {
          // im2col: row (c, k) of the tile holds tap k of channel c for each output position.
          for (let c = 0; c < Cg; c++) {
            for (let k = 0; k < K; k++) {
              const src = tapSrc[c * K + k];
              const dst = (c * K + k) * tl;
              for (let r = 0; r < rows; r++) {
                const s = src + qOff[q0 + r];
                const d = dst + r * Wo;
                if (sw === 1) for (let j = 0; j < Wo; j++) col[d + j] = xp[s + j];
                else for (let j = 0; j < Wo; j++) col[d + j] = xp[s + j * sw];
              }
            }
          }
        }
        oc0 = g * Mg;
        pos0 = q0 * Wo;
        if (col) {
          gemmRows(Mg, CK, tl, wd, g * Mg * CK, CK, col, 0, tl, acc, emit);
          continue;
        }
        for (let m = 0; m < Mg; m++) {
          const wBase = (g * Mg + m) * CK;
          acc.fill(0, 0, tl);
          for (let t = 0; t < CK; t += 4) tapRows(acc, xp, wd, wBase + t, tapSrc, t, Math.min(4, CK - t), qOff, q0, rows, Wo, sw);
          emit(m, acc, 0);
        }
      }
    }
  }
  return [{ dtype: x.dtype, shape: [N, M, ...geo.outSpatial], data: out }];
};

export const convKernels = {
  Conv: conv,
} satisfies Partial<KernelTable>;
