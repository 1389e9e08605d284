/** Float kernels for activations and Softmax (ONNX semantics). */
import { allocate, getNumber, type NumericData } from '../ir/dtype.js';
import type { Kernel, KernelTable } from './types.js';
import { mapFloat, req } from './util.js';

const relu: Kernel<'Relu'> = (_n, [x]) => [mapFloat(req([x], 0), (v) => (v > 0 ? v : 0))];

const clip: Kernel<'Clip'> = (n, inputs) => {
  const lo = inputs[1] ? getNumber(inputs[1].data, 0) : n.attrs.min;
  const hi = inputs[2] ? getNumber(inputs[2].data, 0) : n.attrs.max;
  // min(max(x, lo), hi): when lo > hi every value becomes hi, as ONNX defines it (NaN stays NaN).
  return [mapFloat(req(inputs, 0), (v) => {
    const c = v < lo ? lo : v;
    return c > hi ? hi : c;
  })];
};

const softmax: Kernel<'Softmax'> = (n, inputs) => {
  const x = req(inputs, 0);
  const { axis, coerce2d } = n.attrs;
  const shape = x.shape;
  // Softmax runs over `inner` contiguous groups of `len` elements spaced `stride` apart.
  let outer = 1;
  for (let i = 0; i < axis; i++) outer *= shape[i];
  let len: number;
  let stride: number;
  if (coerce2d) {
    len = 1;
    for (let i = axis; i < shape.length; i++) len *= shape[i];
    stride = 1;
  } else {
    len = shape[axis];
    stride = 1;
    for (let i = axis + 1; i < shape.length; i++) stride *= shape[i];
  }
  const src = x.data as NumericData;
  const out = allocate(x.dtype, src.length) as NumericData;
  const inner = coerce2d ? 1 : stride;
  for (let o = 0; o < outer; o++) {
    for (let s = 0; s < inner; s++) {
      const base = o * len * inner + s;
      let max = -Infinity;
      for (let k = 0; k < len; k++) max = Math.max(max, src[base + k * stride]);
      let sum = 0;
      for (let k = 0; k < len; k++) {
        const e = Math.exp(src[base + k * stride] - max);
        out[base + k * stride] = e;
        sum += e;
      }
      for (let k = 0; k < len; k++) out[base + k * stride] /= sum;
    }
  }
  return [{ dtype: x.dtype, shape, data: out }];
};

export const activationKernels = {
  Relu: relu,
  Clip: clip,
  LeakyRelu: (n, [x]) => [mapFloat(req([x], 0), (v) => (v >= 0 ? v : v * n.attrs.alpha))],
  Sigmoid: (_n, [x]) => [mapFloat(req([x], 0), (v) => (v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v))))],
  HardSigmoid: (n, [x]) => [mapFloat(req([x], 0), (v) => Math.max(0, Math.min(1, n.attrs.alpha * v + n.attrs.beta)))],
  HardSwish: (_n, [x]) => [mapFloat(req([x], 0), (v) => v * Math.max(0, Math.min(1, v / 6 + 0.5)))],
  Tanh: (_n, [x]) => [mapFloat(req([x], 0), Math.tanh)],
  Softmax: softmax,
} satisfies Partial<KernelTable>;
