/** QMaxPool and QAveragePool, as CMSIS-NN's arm_max_pool_s8 / arm_avgpool_s8 (= TFLM's
 * reference kernels): windows skip padded taps; the average divides the sum of the valid taps
 * by their count, rounding half away from zero with C's truncating division; then the clamp.
 * Any spatial rank and dilation (CMSIS-NN itself takes 2-D without dilation). */
import { CompileError, ErrorCode } from '../../errors.js';
import type { Kernel, KernelTable } from '../types.js';
import { PAD, int8Input, windowTable } from './common.js';

const qmaxPool: Kernel<'QMaxPool'> = (node, inputs) => {
  const x = int8Input(node, inputs, 0);
  const a = node.attrs;
  const { outSpatial, S, P, K, table } = windowTable(x.shape.slice(2), a, a.ceilMode);
  const NC = x.shape[0] * x.shape[1];
  const xd = x.data;
  const out = new Int8Array(NC * P);
  const lo = a.actMin;
  const hi = a.actMax;
  for (let c = 0; c < NC; c++) {
    const base = c * S;
    const ob = c * P;
    for (let p = 0; p < P; p++) {
      // A window without valid taps cannot occur for ONNX pads (< kernel); it would give -128.
      let m = -128;
      const t = p * K;
      for (let k = 0; k < K; k++) {
        const off = table[t + k];
        if (off >= 0) {
          const v = xd[base + off];
          if (v > m) m = v;
        }
      }
      out[ob + p] = m < lo ? lo : m > hi ? hi : m;
    }
  }
  return [{ dtype: 'int8', shape: [x.shape[0], x.shape[1], ...outSpatial], data: out }];
};

const qaveragePool: Kernel<'QAveragePool'> = (node, inputs) => {
  const x = int8Input(node, inputs, 0);
  const a = node.attrs;
  const { outSpatial, S, P, K, table } = windowTable(x.shape.slice(2), a, a.ceilMode);
  const NC = x.shape[0] * x.shape[1];
  const xd = x.data;
  const out = new Int8Array(NC * P);
  const lo = a.actMin;
  const hi = a.actMax;
  // Valid-tap count per window (the same for every channel).
  const counts = new Int32Array(P);
  for (let p = 0; p < P; p++) {
    let n = 0;
    let padded = 0;
    for (let k = 0; k < K; k++) {
      const off = table[p * K + k];
      if (off >= 0) n++;
      else if (off === PAD) padded++;
    }
    if (n === 0) {
      throw new CompileError(ErrorCode.ShapeMismatch, `an average-pool window covers only padding`, { node: node.name, op: node.op });
    }
    if (a.countIncludePad && padded > 0) {
      throw new CompileError(
        ErrorCode.BadAttribute,
        'QAveragePool divides by the valid taps only (TFLite/CMSIS-NN); count_include_pad with padding is not representable',
        { node: node.name, op: node.op },
        'lower count_include_pad=1 pooling with explicit zero-point padding and no pads',
      );
    }
    counts[p] = n;
  }
  for (let c = 0; c < NC; c++) {
    const base = c * S;
    const ob = c * P;
    for (let p = 0; p < P; p++) {
      let sum = 0;
      const t = p * K;
      for (let k = 0; k < K; k++) {
        const off = table[t + k];
        if (off >= 0) sum += xd[base + off];
      }
      const count = counts[p];
      const half = count >> 1;
      const v = Math.trunc((sum > 0 ? sum + half : sum - half) / count);
      out[ob + p] = v < lo ? lo : v > hi ? hi : v;
    }
  }
  return [{ dtype: 'int8', shape: [x.shape[0], x.shape[1], ...outSpatial], data: out }];
};

export const int8PoolKernels = {
  QMaxPool: qmaxPool,
  QAveragePool: qaveragePool,
} satisfies Partial<KernelTable>;
