/** Float kernel for BatchNormalization in inference mode (ONNX semantics). */
import { allocate, type NumericData } from '../ir/dtype.js';
import type { Kernel, KernelTable } from './types.js';
import { req } from './util.js';

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

export const normKernels = {
  BatchNormalization: batchNorm,
} satisfies Partial<KernelTable>;
