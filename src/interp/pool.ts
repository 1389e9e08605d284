/** Float kernels for MaxPool, AveragePool and GlobalAveragePool (ONNX semantics, any
 * spatial rank), on padded channel copies with precomputed tap offsets (see conv.ts). */
import { allocate, type NumericData } from '../ir/dtype.js';
import type { PoolAttrs } from '../ir/ops.js';
import { windowOutShape } from '../ir/geometry.js';
import { fillPadded, windowGeometry, type WindowGeometry } from './conv.js';
import type { Kernel, KernelTable, Value } from './types.js';
import { req } from './util.js';

/** res[p] = max over the taps of window p (NaN inputs are skipped, as in onnxruntime:
 * comparisons with NaN are false). Taps are the outer loop so the inner loop walks one
 * output row. */
function maxWindows(res: Float64Array, xp: Float64Array, g: WindowGeometry): void {
  const { K, Q, Wo, sw, qOff, kOff } = g;
  res.fill(-Infinity);
  for (let k = 0; k < K; k++) {
    for (let q = 0; q < Q; q++) {
      const s = qOff[q] + kOff[k];
      const d = q * Wo;
      for (let j = 0; j < Wo; j++) {
        const v = xp[s + j * sw];
        const r = res[d + j];
        res[d + j] = v > r ? v : r;
      }
    }
  }
}

/** res[p] = sum over the taps of window p. */
function sumWindows(res: Float64Array, xp: Float64Array, g: WindowGeometry): void {
  const { K, Q, Wo, sw, qOff, kOff } = g;
  res.fill(0);
  for (let k = 0; k < K; k++) {
    for (let q = 0; q < Q; q++) {
      const s = qOff[q] + kOff[k];
      const d = q * Wo;
      for (let j = 0; j < Wo; j++) res[d + j] += xp[s + j * sw];
    }
  }
}

/**
 * Max or sum over every window of every channel, on a padded copy of each channel (padding
 * = -Infinity for max, 0 for sum); each result is scaled by `scale[p]` (sum) before it is
 * stored.
 */
function pooled(x: Value, a: PoolAttrs, isMax: boolean, scale?: Float64Array): Value {
  const spatialIn = x.shape.slice(2);
  const geo = windowGeometry(spatialIn, a, windowOutShape(spatialIn, a, a.ceilMode));
  const { P, Sp, S } = geo;
  const NC = x.shape[0] * x.shape[1];
  const xd = x.data as NumericData;
  const out = allocate(x.dtype, NC * P) as NumericData;
  const xp = new Float64Array(Sp).fill(isMax ? -Infinity : 0);
  const res = new Float64Array(P);
  for (let c = 0; c < NC; c++) {
    fillPadded(xp, 0, xd, c * S, geo);
    if (isMax) maxWindows(res, xp, geo);
    else sumWindows(res, xp, geo);
    const o = c * P;
    if (scale) for (let p = 0; p < P; p++) out[o + p] = res[p] * scale[p];
    else for (let p = 0; p < P; p++) out[o + p] = res[p];
  }
  return { dtype: x.dtype, shape: [x.shape[0], x.shape[1], ...geo.outSpatial], data: out };
}

const maxPool: Kernel<'MaxPool'> = (node, inputs) => [pooled(req(inputs, 0), node.attrs, true)];

/** Per output position, the divisor: the taps inside the input (count_include_pad = 0), or
 * the taps inside the input plus its explicit padding (count_include_pad = 1; the extra
 * ceil_mode overhang never counts), as in the ONNX reference. The valid taps of a window
 * are a product of per-dim ranges, so the count is a product of per-dim counts. */
function avgDivisors(spatialIn: readonly number[], a: PoolAttrs): Float64Array {
  const nd = spatialIn.length;
  const outSpatial = windowOutShape(spatialIn, a, a.ceilMode);
  const perDim = spatialIn.map((inSize, d) => {
    const lo = a.countIncludePad ? -a.pads[d] : 0;
    const hi = a.countIncludePad ? inSize + a.pads[d + nd] : inSize;
    const counts = new Float64Array(outSpatial[d]);
    for (let o = 0; o < outSpatial[d]; o++) {
      let n = 0;
      for (let k = 0; k < a.kernel[d]; k++) {
        const c = o * a.strides[d] - a.pads[d] + k * a.dilations[d];
        if (c >= lo && c < hi) n++;
      }
      counts[o] = n;
    }
    return counts;
  });
  let P = 1;
  for (const o of outSpatial) P *= o;
  const div = new Float64Array(P);
  const idx = new Int32Array(nd);
  for (let p = 0; p < P; p++) {
    let n = 1;
    for (let d = 0; d < nd; d++) n *= perDim[d][idx[d]];
    div[p] = n;
    for (let d = nd - 1; d >= 0; d--) {
      if (++idx[d] < outSpatial[d]) break;
      idx[d] = 0;
    }
  }
  return div;
}

const averagePool: Kernel<'AveragePool'> = (node, inputs) => {
  const x = req(inputs, 0);
  const div = avgDivisors(x.shape.slice(2), node.attrs);
  for (let p = 0; p < div.length; p++) div[p] = 1 / div[p];
  return [pooled(x, node.attrs, false, div)];
};

const globalAveragePool: Kernel<'GlobalAveragePool'> = (_node, inputs) => {
  const x = req(inputs, 0);
  const NC = x.shape[0] * x.shape[1];
  let S = 1;
  for (let i = 2; i < x.shape.length; i++) S *= x.shape[i];
  const xd = x.data as NumericData;
  const out = allocate(x.dtype, NC) as NumericData;
  for (let c = 0; c < NC; c++) {
    let s = 0;
    const base = c * S;
    for (let i = 0; i < S; i++) s += xd[base + i];
    out[c] = s / S;
  }
  return [{ dtype: x.dtype, shape: x.shape.map((d, i) => (i < 2 ? d : 1)), data: out }];
};

/** Max over all spatial positions of each channel (NaN propagates, as in onnxruntime's
 * GlobalMaxPool, which uses a plain maximum over the channel). */
const globalMaxPool: Kernel<'GlobalMaxPool'> = (_node, inputs) => {
  const x = req(inputs, 0);
  const NC = x.shape[0] * x.shape[1];
  let S = 1;
  for (let i = 2; i < x.shape.length; i++) S *= x.shape[i];
  const xd = x.data as NumericData;
  const out = allocate(x.dtype, NC) as NumericData;
  for (let c = 0; c < NC; c++) {
    let m = -Infinity;
    const base = c * S;
    for (let i = 0; i < S; i++) {
      const v = xd[base + i];
      if (v > m || v !== v) m = v;
      if (m !== m) break;
    }
    out[c] = m;
  }
  return [{ dtype: x.dtype, shape: x.shape.map((d, i) => (i < 2 ? d : 1)), data: out }];
};

export const poolKernels = {
  MaxPool: maxPool,
  AveragePool: averagePool,
  GlobalAveragePool: globalAveragePool,
  GlobalMaxPool: globalMaxPool,
} satisfies Partial<KernelTable>;
