/** Kernels of the ops that make a tensor from scalars: ConstantOfShape (a fill) and Range. */
import { allocate, getNumber, isBigInt, isFloat, toNumbers } from '../ir/dtype.js';
import type { KernelTable } from './types.js';
import { req, roundToFloat16 } from './util.js';

/** Number of elements of Range(start, limit, delta): max(ceil((limit - start) / delta), 0). */
export function rangeLength(start: number, limit: number, delta: number): number {
  return Math.max(Math.ceil((limit - start) / delta), 0);
}

export const generateKernels: Pick<KernelTable, 'ConstantOfShape' | 'Range'> = {
  ConstantOfShape: (n, inputs) => {
    const shape = toNumbers(req(inputs, 0).data);
    const len = shape.reduce((a, b) => a * b, 1);
    const { dtype, value } = n.attrs;
    const data = allocate(dtype, len);
    if (isBigInt(dtype)) (data as BigInt64Array).fill(BigInt(value));
    else (data as Float32Array).fill(value);
    return [{ dtype, shape, data }];
  },
  Range: (_n, inputs) => {
    const s = req(inputs, 0);
    const [start, limit, delta] = [0, 1, 2].map((i) => getNumber(req(inputs, i).data, 0));
    const len = rangeLength(start, limit, delta);
    const data = allocate(s.dtype, len);
    // ONNX defines element i as start + i * delta (not a running sum).
    for (let i = 0; i < len; i++) {
      const v = start + i * delta;
      if (isBigInt(s.dtype)) (data as BigInt64Array)[i] = BigInt(v);
      else (data as Float32Array)[i] = s.dtype === 'float16' ? roundToFloat16(v) : isFloat(s.dtype) ? v : Math.trunc(v);
    }
    return [{ dtype: s.dtype, shape: [len], data }];
  },
};
