/** QConv, QFullyConnected and QBatchMatMul (two activations): int32 accumulation of (x - inputZeroPoint) * w plus bias, then
 * arm_nn_requantize per output channel, the output zero point and the clamp — the arithmetic of
 * CMSIS-NN's arm_convolve_wrapper_s8 / arm_depthwise_conv_wrapper_s8 /
 * arm_fully_connected_wrapper_s8. Padded taps contribute nothing (CMSIS-NN skips them, which is
 * the same as an input equal to the zero point). Sums wrap like C's int32. */
import { ErrorCode, check } from '../../errors.js';
import { requantize } from '../../ir/intmath.js';
import type { Kernel, KernelTable } from '../types.js';
import { broadcastIndex, broadcastShape } from '../util.js';
import { biasInput, int8Input, windowTable } from './common.js';
import { qconvS16, qfullyConnectedS16 } from './conv-s16.js';

const qconv: Kernel<'QConv'> = (node, inputs) => {
  const x = int8Input(node, inputs, 0);
  const w = int8Input(node, inputs, 1);
  const a = node.attrs;
  const where = { node: node.name, op: node.op };
  const [N, C] = x.shape;
  const M = w.shape[0];
  const G = a.group;
  check(
    x.shape.length >= 3 &&
      w.shape.length === x.shape.length &&
      C % G === 0 &&
      M % G === 0 &&
      w.shape[1] * G === C &&
      a.kernel.every((k, i) => k === w.shape[i + 2]),
    ErrorCode.ShapeMismatch,
    `QConv shapes do not fit: x [${x.shape.join(', ')}], w [${w.shape.join(', ')}], group ${G}, kernel ${a.kernel.join('x')}`,
    where,
  );
  const bias = biasInput(node, inputs, 2, M);
  const perChannel = a.multiplier.length !== 1;
  check(!perChannel || (a.multiplier.length === M && a.shift.length === M), ErrorCode.Internal, `QConv needs 1 or ${M} multipliers`, where);

  const { outSpatial, S, P, K, table } = windowTable(x.shape.slice(2), a, false);
  const Cg = C / G;
  const Mg = M / G;
  const CgK = Cg * K;
  const xd = x.data;
  const wd = w.data;
  const zp = a.inputZeroPoint;
  const ozp = a.outputZeroPoint;
  const lo = a.actMin;
  const hi = a.actMax;
  const out = new Int8Array(N * M * P);
  const finish = (acc: number, m: number): number => {
    const c = perChannel ? m : 0;
    const v = requantize(((bias ? bias[m] : 0) + acc) | 0, a.multiplier[c], a.shift[c]) + ozp;
    return v < lo ? lo : v > hi ? hi : v;
  };
  // One im2col buffer per (batch, group): cols[p * CgK + c * K + k] = x - zp, 0 in padding.
  const cols = new Int16Array(P * CgK);
  for (let n = 0; n < N; n++) {
    for (let g = 0; g < G; g++) {
      const xBase = (n * C + g * Cg) * S;
      for (let p = 0; p < P; p++) {
        const t = p * K;
        let dst = p * CgK;
        for (let c = 0; c < Cg; c++) {
          const cBase = xBase + c * S;
          for (let k = 0; k < K; k++) {
            const off = table[t + k];
            cols[dst++] = off >= 0 ? xd[cBase + off] - zp : 0;
          }
        }
      }
      // Output channels in pairs over positions in pairs (a 2x2 register block): each loaded
      // weight and column value feeds two multiply-adds.
      const oBase = n * M * P;
      for (let mg = 0; mg < Mg; mg += 2) {
        const m0 = g * Mg + mg;
        const m1 = mg + 1 < Mg ? m0 + 1 : m0; // odd count: the last channel pairs with itself
        const w0 = m0 * CgK;
        const w1 = m1 * CgK;
        for (let p = 0; p < P; p += 2) {
          const c0 = p * CgK;
          const c1 = p + 1 < P ? c0 + CgK : c0;
          let a00 = 0;
          let a01 = 0;
          let a10 = 0;
          let a11 = 0;
          for (let j = 0; j < CgK; j++) {
            const x0 = cols[c0 + j];
            const x1 = cols[c1 + j];
            const k0 = wd[w0 + j];
            const k1 = wd[w1 + j];
            a00 += k0 * x0;
            a01 += k0 * x1;
            a10 += k1 * x0;
            a11 += k1 * x1;
          }
          out[oBase + m0 * P + p] = finish(a00, m0);
          if (c1 !== c0) out[oBase + m0 * P + p + 1] = finish(a01, m0);
          if (m1 !== m0) {
            out[oBase + m1 * P + p] = finish(a10, m1);
            if (c1 !== c0) out[oBase + m1 * P + p + 1] = finish(a11, m1);
          }
        }
      }
    }
  }
  return [{ dtype: 'int8', shape: [N, M, ...outSpatial], data: out }];
};

/** x [..., K] (leading dims are batch), w [M, K] → [..., M]. */
const qfullyConnected: Kernel<'QFullyConnected'> = (node, inputs) => {
  const x = int8Input(node, inputs, 0);
  const w = int8Input(node, inputs, 1);
  const a = node.attrs;
  const where = { node: node.name, op: node.op };
  const [M, K] = w.shape;
  check(
    w.shape.length === 2 && x.shape.length >= 1 && x.shape[x.shape.length - 1] === K,
    ErrorCode.ShapeMismatch,
    `QFullyConnected shapes do not fit: x [${x.shape.join(', ')}], w [${w.shape.join(', ')}]`,
    where,
  );
  const bias = biasInput(node, inputs, 2, M);
  const perChannel = a.multiplier.length !== 1;
  check(!perChannel || (a.multiplier.length === M && a.shift.length === M), ErrorCode.Internal, `QFullyConnected needs 1 or ${M} multipliers`, where);
  const N = K === 0 ? 0 : x.data.length / K;
  const xd = x.data;
  const wd = w.data;
  const zp = a.inputZeroPoint;
  const ozp = a.outputZeroPoint;
  const lo = a.actMin;
  const hi = a.actMax;
  // sum (x - zp) * w = sum x * w - zp * sum w: fold the zero point into the bias once.
  const base = new Float64Array(M);
  for (let m = 0; m < M; m++) {
    let s = 0;
    for (let k = 0; k < K; k++) s += wd[m * K + k];
    base[m] = (bias ? bias[m] : 0) - zp * s;
  }
  const out = new Int8Array(N * M);
  for (let n = 0; n < N; n++) {
    const xb = n * K;
    for (let m = 0; m < M; m++) {
      const wb = m * K;
      let acc = base[m];
      for (let k = 0; k < K; k++) acc += xd[xb + k] * wd[wb + k];
      const v = requantize(acc | 0, a.multiplier[perChannel ? m : 0], a.shift[perChannel ? m : 0]) + ozp;
      out[n * M + m] = v < lo ? lo : v > hi ? hi : v;
    }
  }
  return [{ dtype: 'int8', shape: [...x.shape.slice(0, -1), M], data: out }];
};

/** a [..., M, K] x b [..., K, N] → [..., M, N], batch dims broadcast (numpy matmul), as TFLite's
 * reference_ops::BatchMatMul (int8): the int32 sum of (a - za) * (b - zb), requantized with
 * arm_nn_requantize (CMSIS-NN's default rounding, as everywhere in qgc), plus the output zero
 * point, clamped. */
const qbatchMatMul: Kernel<'QBatchMatMul'> = (node, inputs) => {
  const a = int8Input(node, inputs, 0);
  const b = int8Input(node, inputs, 1);
  const { lhsZeroPoint: za, rhsZeroPoint: zb, outputZeroPoint: zo, multiplier, shift, actMin: lo, actMax: hi } = node.attrs;
  const ra = a.shape.length;
  const rb = b.shape.length;
  const [M, K] = a.shape.slice(ra - 2);
  const [K2, N] = b.shape.slice(rb - 2);
  check(ra >= 2 && rb >= 2 && K === K2, ErrorCode.ShapeMismatch, `QBatchMatMul shapes do not fit: [${a.shape.join(', ')}] x [${b.shape.join(', ')}]`, { node: node.name, op: node.op });
  const batch = broadcastShape(a.shape.slice(0, ra - 2), b.shape.slice(0, rb - 2));
  const ia = broadcastIndex(a.shape.slice(0, ra - 2), batch);
  const ib = broadcastIndex(b.shape.slice(0, rb - 2), batch);
  const B = batch.reduce((p, d) => p * d, 1);
  const out = new Int8Array(B * M * N);
  const ad = a.data;
  const bd = b.data;
  for (let t = 0; t < B; t++) {
    const abase = (ia ? ia[t] : t) * M * K;
    const bbase = (ib ? ib[t] : t) * K * N;
    for (let m = 0; m < M; m++) {
      for (let n = 0; n < N; n++) {
        let acc = 0;
        for (let k = 0; k < K; k++) acc += (ad[abase + m * K + k] - za) * (bd[bbase + k * N + n] - zb);
        const v = requantize(acc | 0, multiplier, shift) + zo;
        out[(t * M + m) * N + n] = v < lo ? lo : v > hi ? hi : v;
      }
    }
  }
  return [{ dtype: 'int8', shape: [...batch, M, N], data: out }];
};

/** The s8 kernels, or the s16 ones (conv-s16.ts) for int16 activations. */
export const int8ConvKernels = {
  QConv: (node, inputs) => (inputs[0]?.dtype === 'int16' ? qconvS16(node, inputs) : qconv(node, inputs)),
  QFullyConnected: (node, inputs) => (inputs[0]?.dtype === 'int16' ? qfullyConnectedS16(node, inputs) : qfullyConnected(node, inputs)),
  QBatchMatMul: qbatchMatMul,
} satisfies Partial<KernelTable>;
