/** ConvTranspose (any spatial rank, groups, strides, dilations, pads, output padding): each input
 * element scatters its products with the kernel into the output, accumulated in float64. */
import { allocate, type NumericData } from '../ir/dtype.js';
import { elementCount, stridesOf } from '../ir/graph.js';
import type { KernelTable } from './types.js';
import { req, roundToFloat16 } from './util.js';

export const convTransposeKernels: Pick<KernelTable, 'ConvTranspose'> = {
  ConvTranspose: (n, inputs) => {
    const x = req(inputs, 0);
    const w = req(inputs, 1);
    const b = inputs[2];
    const { strides, dilations, pads, group, outputPadding } = n.attrs;
    const nsp = x.shape.length - 2;
    const [N, C] = x.shape;
    const inSp = x.shape.slice(2);
    const kSp = w.shape.slice(2);
    const mPer = w.shape[1];
    const M = mPer * group;
    const cPer = C / group;
    const outSp = inSp.map((d, i) => strides[i] * (d - 1) + outputPadding[i] + (kSp[i] - 1) * dilations[i] + 1 - pads[i] - pads[i + nsp]);
    const outShape = [N, M, ...outSp];
    const acc = new Float64Array(elementCount(outShape));
    const xd = x.data as NumericData;
    const wd = w.data as NumericData;
    const inCount = elementCount(inSp);
    const kCount = elementCount(kSp);
    const outCount = elementCount(outSp);
    const outSt = stridesOf(outSp);
    // For each (input position, kernel position): the output offset, or -1 when outside.
    const target = new Int32Array(inCount * kCount);
    const ii = new Array<number>(nsp).fill(0);
    for (let p = 0; p < inCount; p++) {
      let rem = p;
      for (let d = nsp - 1; d >= 0; d--) {
        ii[d] = rem % inSp[d];
        rem = Math.floor(rem / inSp[d]);
      }
      for (let k = 0; k < kCount; k++) {
        let krem = k;
        let off = 0;
        for (let d = nsp - 1; d >= 0 && off >= 0; d--) {
          const kd = krem % kSp[d];
          krem = Math.floor(krem / kSp[d]);
          const o = ii[d] * strides[d] + kd * dilations[d] - pads[d];
          if (o < 0 || o >= outSp[d]) off = -1;
          else off += o * outSt[d];
        }
        target[p * kCount + k] = off;
      }
    }
    for (let nb = 0; nb < N; nb++) {
      for (let g = 0; g < group; g++) {
        for (let c = 0; c < cPer; c++) {
          const ci = g * cPer + c;
          const xBase = (nb * C + ci) * inCount;
          for (let m = 0; m < mPer; m++) {
            const wBase = (ci * mPer + m) * kCount;
            const oBase = (nb * M + g * mPer + m) * outCount;
            for (let p = 0; p < inCount; p++) {
              const xv = xd[xBase + p];
              const t = p * kCount;
              for (let k = 0; k < kCount; k++) {
                const off = target[t + k];
                if (off >= 0) acc[oBase + off] += xv * wd[wBase + k];
              }
            }
          }
        }
      }
    }
    if (b) {
      const bd = b.data as NumericData;
      for (let nb = 0; nb < N; nb++) for (let m = 0; m < M; m++) {
        const base = (nb * M + m) * outCount;
        for (let i = 0; i < outCount; i++) acc[base + i] += bd[m];
      }
    }
    const out = allocate(x.dtype, acc.length) as NumericData;
    for (let i = 0; i < acc.length; i++) out[i] = x.dtype === 'float16' ? roundToFloat16(acc[i]) : acc[i];
    return [{ dtype: x.dtype, shape: outShape, data: out }];
  },
};
