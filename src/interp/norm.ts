/** Float kernels for BatchNormalization in inference mode and LayerNormalization (ONNX semantics). */
import { allocate, type NumericData } from '../ir/dtype.js';
import type { Kernel, KernelTable } from './types.js';
import { broadcastIndex, req, roundToFloat16 } from './util.js';

const batchNorm: Kernel<'BatchNormalization'> = (node, inputs) => {
  const x = req(inputs, 0);
  const scale = req(inputs, 1).data as NumericData;
  const bias = req(inputs, 2).data as NumericData;
  const mean = req(inputs, 3).data as NumericData;
  const variance = req(inputs, 4).data as NumericData;
  const [N, C] = x.shape;
  let S = 1;
  for (let i = 2; i < x.shape.length; i++) S *= x.shape[i];
  const xd = x.data as NumericData;
  const out = allocate(x.dtype, xd.length) as NumericData;
  const eps = node.attrs.epsilon;
  for (let c = 0; c < C; c++) {
    // (x - mean) / sqrt(var + eps) * scale + B, with the per-channel factor hoisted.
    const f = scale[c] / Math.sqrt(variance[c] + eps);
    const m = mean[c];
    const b = bias[c];
    for (let n = 0; n < N; n++) {
      const base = (n * C + c) * S;
      for (let i = 0; i < S; i++) out[base + i] = (xd[base + i] - m) * f + b;
    }
  }
  return [{ dtype: x.dtype, shape: x.shape, data: out }];
};

/** LayerNormalization: over each block of the axes [axis, rank), Y = (X - mean) / sqrt(var +
 * epsilon) * Scale + B (Scale and B broadcast to X), statistics in float64 (stash_type 1 asks
 * for at least float32). Outputs Y, Mean and InvStdDev (float32, X's shape with the normalized
 * axes set to 1); the node keeps the ones the model names. */
const layerNorm: Kernel<'LayerNormalization'> = (node, inputs) => {
  const x = req(inputs, 0);
  const scale = req(inputs, 1);
  const bias = inputs[2];
  const { axis, epsilon } = node.attrs;
  let outer = 1;
  for (let i = 0; i < axis; i++) outer *= x.shape[i];
  let inner = 1;
  for (let i = axis; i < x.shape.length; i++) inner *= x.shape[i];
  const xd = x.data as NumericData;
  const sd = scale.data as NumericData;
  const bd = bias?.data as NumericData | undefined;
  const is = broadcastIndex(scale.shape, x.shape);
  const ib = bias ? broadcastIndex(bias.shape, x.shape) : undefined;
  const y = allocate(x.dtype, xd.length) as NumericData;
  const mean = new Float32Array(outer);
  const invStd = new Float32Array(outer);
  const half = x.dtype === 'float16';
  for (let o = 0; o < outer; o++) {
    const base = o * inner;
    let s = 0;
    for (let i = 0; i < inner; i++) s += xd[base + i];
    const m = s / inner;
    let v = 0;
    for (let i = 0; i < inner; i++) v += (xd[base + i] - m) ** 2;
    const inv = 1 / Math.sqrt(v / inner + epsilon);
    mean[o] = m;
    invStd[o] = inv;
    for (let i = 0; i < inner; i++) {
      const k = base + i;
      const r = (xd[k] - m) * inv * sd[is ? is[k] : k] + (bd ? bd[ib ? ib[k] : k] : 0);
      y[k] = half ? roundToFloat16(r) : r;
    }
  }
  const statShape = x.shape.map((d, i) => (i < axis ? d : 1));
  return [
    { dtype: x.dtype, shape: x.shape, data: y },
    { dtype: 'float32', shape: statShape, data: mean },
    { dtype: 'float32', shape: statShape, data: invStd },
  ];
};

export const normKernels = {
  BatchNormalization: batchNorm,
  LayerNormalization: layerNorm,
} satisfies Partial<KernelTable>;
