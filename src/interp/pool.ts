/** Float kernels for MaxPool, AveragePool and GlobalAveragePool (ONNX semantics, any
 * spatial rank). Window taps are precomputed once per call as input offsets. */
import { allocate, type NumericData } from '../ir/dtype.js';
import type { PoolAttrs } from '../ir/ops.js';
import { windowOffsets, windowOutShape } from './conv.js';
import type { Kernel, KernelTable, Value } from './types.js';
import { req } from './util.js';

interface PoolPlan {
  outShape: number[];
  /** Channels (N * C), input and output spatial sizes, taps per window. */
  NC: number;
  S: number;
  P: number;
  K: number;
  /** table[p * K + k]: input offset of tap k of output p in one channel, -1 in padding. */
  table: Int32Array;
}

function plan(x: Value, a: PoolAttrs): PoolPlan {
  const spatialIn = x.shape.slice(2);
  const outSpatial = windowOutShape(spatialIn, a, a.ceilMode);
  let S = 1;
  for (const d of spatialIn) S *= d;
  let P = 1;
  for (const d of outSpatial) P *= d;
  let K = 1;
  for (const k of a.kernel) K *= k;
  return {
    outShape: [x.shape[0], x.shape[1], ...outSpatial],
    NC: x.shape[0] * x.shape[1],
    S,
    P,
    K,
    table: windowOffsets(spatialIn, outSpatial, a, false),
  };
}

const maxPool: Kernel<'MaxPool'> = (node, inputs) => {
  const x = req(inputs, 0);
  const { outShape, NC, S, P, K, table } = plan(x, node.attrs);
  const xd = x.data as NumericData;
  const out = allocate(x.dtype, NC * P) as NumericData;
  for (let c = 0; c < NC; c++) {
    const base = c * S;
    const ob = c * P;
    for (let p = 0; p < P; p++) {
      // NaN inputs are skipped, as in onnxruntime (comparisons with NaN are false).
      let m = -Infinity;
      const t = p * K;
      for (let k = 0; k < K; k++) {
        const off = table[t + k];
        if (off >= 0) {
          const v = xd[base + off];
          if (v > m) m = v;
        }
      }
      out[ob + p] = m;
    }
  }
  return [{ dtype: x.dtype, shape: outShape, data: out }];
};

/** Per output position, the divisor: the taps inside the input (count_include_pad = 0), or
 * the taps inside the input plus its explicit padding (count_include_pad = 1; the extra
 * ceil_mode overhang never counts), as in the ONNX reference. */
function avgDivisors(x: Value, a: PoolAttrs, pl: PoolPlan): Float64Array {
  const div = new Float64Array(pl.P);
  const { K, table } = pl;
  if (!a.countIncludePad) {
    for (let p = 0; p < pl.P; p++) {
      let n = 0;
      for (let k = 0; k < K; k++) if (table[p * K + k] >= 0) n++;
      div[p] = n;
    }
    return div;
  }
  const spatialIn = x.shape.slice(2);
  const outSpatial = pl.outShape.slice(2);
  const nd = spatialIn.length;
  const perDim = spatialIn.map((inSize, d) => {
    const counts = new Float64Array(outSpatial[d]);
    for (let o = 0; o < outSpatial[d]; o++) {
      let n = 0;
      for (let k = 0; k < a.kernel[d]; k++) {
        const c = o * a.strides[d] - a.pads[d] + k * a.dilations[d];
        if (c >= -a.pads[d] && c < inSize + a.pads[d + nd]) n++;
      }
      counts[o] = n;
    }
    return counts;
  });
  const idx = new Int32Array(nd);
  for (let p = 0; p < pl.P; p++) {
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
  const pl = plan(x, node.attrs);
  const { outShape, NC, S, P, K, table } = pl;
  const div = avgDivisors(x, node.attrs, pl);
  const xd = x.data as NumericData;
  const out = allocate(x.dtype, NC * P) as NumericData;
  for (let c = 0; c < NC; c++) {
    const base = c * S;
    const ob = c * P;
    for (let p = 0; p < P; p++) {
      let s = 0;
      const t = p * K;
      for (let k = 0; k < K; k++) {
        const off = table[t + k];
        if (off >= 0) s += xd[base + off];
      }
      out[ob + p] = s / div[p];
    }
  }
  return [{ dtype: x.dtype, shape: outShape, data: out }];
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

export const poolKernels = {
  MaxPool: maxPool,
  AveragePool: averagePool,
  GlobalAveragePool: globalAveragePool,
} satisfies Partial<KernelTable>;
