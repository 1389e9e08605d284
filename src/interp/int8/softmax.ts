/** QSoftmax over the last axis, as CMSIS-NN's arm_softmax_s8 (arm_nn_softmax_common_s8):
 * differences to the row maximum scaled into Q5.26, exp in Q0.31, summed in Q12.19, the sum
 * inverted with one_over_one_plus_x, output in scale 1/256, zero point -128. */
import {
  SOFTMAX_ACCUM_BITS,
  expOnNegativeValues,
  oneOverOnePlusX,
  roundingDivideByPOT,
  saturatingRoundingDoublingHighMul as mulSat,
} from '../../ir/intmath.js';
import type { Kernel, KernelTable } from '../types.js';
import { int8Input } from './common.js';

const qsoftmax: Kernel<'QSoftmax'> = (node, inputs) => {
  const x = int8Input(node, inputs, 0);
  const { multiplier, shift, diffMin } = node.attrs;
  const rowSize = x.shape.length === 0 ? 1 : x.shape[x.shape.length - 1];
  const rows = rowSize === 0 ? 0 : x.data.length / rowSize;
  const xd = x.data;
  const out = new Int8Array(xd.length);
  const mask = 2 ** shift; // diff * mask stays in int32 for diff >= diffMin
  const exps = new Int32Array(rowSize);
  for (let r = 0; r < rows; r++) {
    const base = r * rowSize;
    let max = xd[base];
    for (let c = 1; c < rowSize; c++) if (xd[base + c] > max) max = xd[base + c];
    let sum = 0;
    for (let c = 0; c < rowSize; c++) {
      const diff = xd[base + c] - max;
      if (diff >= diffMin) {
        const e = expOnNegativeValues(mulSat((diff * mask) | 0, multiplier));
        exps[c] = e;
        sum = (sum + roundingDivideByPOT(e, SOFTMAX_ACCUM_BITS)) | 0;
      }
    }
    const headroom = Math.clz32(sum);
    const shiftedScale = oneOverOnePlusX(((sum > 0 ? sum << headroom : 0) - 2147483648) | 0);
    const bitsOverUnit = SOFTMAX_ACCUM_BITS - headroom + 23;
    for (let c = 0; c < rowSize; c++) {
      const diff = xd[base + c] - max;
      if (diff >= diffMin) {
        const v = roundingDivideByPOT(mulSat(shiftedScale, exps[c]), bitsOverUnit) - 128;
        out[base + c] = v > 127 ? 127 : v < -128 ? -128 : v;
      } else {
        out[base + c] = -128;
      }
    }
  }
  return [{ dtype: 'int8', shape: x.shape, data: out }];
};

export const int8SoftmaxKernels = {
  QSoftmax: qsoftmax,
} satisfies Partial<KernelTable>;
