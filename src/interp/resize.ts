/** Resize (nearest and linear): ONNX's coordinate transforms, applied one axis at a time
 * (both modes are separable), in float64 with one rounding to the output's type at the end. */
import { allocate, type NumericData } from '../ir/dtype.js';
import { elementCount, stridesOf } from '../ir/graph.js';
import type { ResizeAttrs } from '../ir/ops.js';
import type { GatherWalk } from './rearrange.js';
import type { KernelTable } from './types.js';
import { req, roundToFloat16 } from './util.js';

/** The input coordinate of output index `x` along an axis of `inLen` -> `outLen` at `scale`. As in
 * ONNX's reference, align_corners and the one-element cases use the unrounded output length
 * `scale * inLen` (onnxruntime uses `outLen`; the two agree when the scale gives whole sizes). */
export function sourceCoordinate(mode: ResizeAttrs['coordinateMode'], x: number, scale: number, inLen: number, outLen: number): number {
  const exact = scale * inLen;
  switch (mode) {
    case 'half_pixel':
      return (x + 0.5) / scale - 0.5;
    case 'half_pixel_symmetric': {
      const adjustment = outLen / exact;
      const offset = (inLen / 2) * (1 - adjustment);
      return offset + (x + 0.5) / scale - 0.5;
    }
    case 'pytorch_half_pixel':
      return exact === 1 ? -0.5 : (x + 0.5) / scale - 0.5;
    case 'align_corners':
      return exact === 1 ? 0 : (x * (inLen - 1)) / (exact - 1);
    case 'asymmetric':
      return x / scale;
    case 'tf_half_pixel_for_nn':
      return (x + 0.5) / scale;
  }
}

/** The index `nearest` picks for source coordinate `c`. */
export function nearestIndex(mode: ResizeAttrs['nearestMode'], c: number, scale: number): number {
  const f = Math.floor(c);
  switch (mode) {
    case 'simple':
      return scale < 1 ? Math.ceil(c) : Math.trunc(c);
    case 'floor':
      return f;
    case 'ceil':
      return Math.ceil(c);
    case 'round_prefer_floor':
      return c - f === 0.5 ? f : Math.round(c);
    case 'round_prefer_ceil':
      return c - f === 0.5 ? f + 1 : Math.round(c);
  }
}

/** The input index nearest Resize reads for each output index along one axis. */
export function nearestIndices(a: ResizeAttrs, axis: number, inLen: number): Int32Array {
  const outLen = a.shape[axis];
  const idx = new Int32Array(outLen);
  for (let x = 0; x < outLen; x++) {
    const i = nearestIndex(a.nearestMode, sourceCoordinate(a.coordinateMode, x, a.scales[axis], inLen, outLen), a.scales[axis]);
    idx[x] = Math.min(inLen - 1, Math.max(0, i));
  }
  return idx;
}

/** One axis's index table as a strided walk: [len] by `stride` (a step, a downsample), or
 * [len / k, k] by [stride, inner] (k outputs per input step: an integer upsample repeats with
 * inner 0); undefined when no such form gives every index. */
function axisWalk(idx: Int32Array): { base: number; dims: number[]; strides: number[] } | undefined {
  const n = idx.length;
  const fits = (k: number, outer: number, inner: number) => idx.every((v, o) => v === idx[0] + Math.floor(o / k) * outer + (o % k) * inner);
  if (n === 1) return { base: idx[0], dims: [1], strides: [0] };
  if (fits(1, idx[1] - idx[0], 0)) return { base: idx[0], dims: [n], strides: [idx[1] - idx[0]] };
  for (let k = 2; k < n; k++) {
    if (n % k === 0 && fits(k, idx[k] - idx[0], idx[1] - idx[0])) return { base: idx[0], dims: [n / k, k], strides: [idx[k] - idx[0], idx[1] - idx[0]] };
  }
  return undefined;
}

/** Nearest Resize as one strided gather over its row-major input (what the backends copy int8
 * tensors with), checked index by index against nearestIndices: each axis either steps evenly
 * or repeats each step k times (integer up- and downsampling, whatever the coordinate and
 * rounding modes). The first axis without such a form is returned instead. */
export function nearestWalk(inputShape: readonly number[], a: ResizeAttrs): GatherWalk | { axis: number } {
  const st = stridesOf(inputShape);
  const walk: GatherWalk = { base: 0, dims: [], strides: [] };
  for (let axis = 0; axis < inputShape.length; axis++) {
    const w = axisWalk(nearestIndices(a, axis, inputShape[axis]));
    if (!w) return { axis };
    walk.base += w.base * st[axis];
    walk.dims.push(...w.dims);
    walk.strides.push(...w.strides.map((s) => s * st[axis]));
  }
  return walk;
}

/** Resamples `src` (float64, of `shape`) along `axis` to `outLen`. */
function resampleAxis(src: Float64Array, shape: readonly number[], axis: number, outLen: number, a: ResizeAttrs): Float64Array {
  const inLen = shape[axis];
  const outer = elementCount(shape.slice(0, axis));
  const inner = elementCount(shape.slice(axis + 1));
  const out = new Float64Array(outer * outLen * inner);
  const clamp = (i: number) => Math.min(inLen - 1, Math.max(0, i));
  // Per output index: two source indices and the weight of the second.
  const lo = new Int32Array(outLen);
  const hi = new Int32Array(outLen);
  const w = new Float64Array(outLen);
  if (a.mode === 'nearest') {
    lo.set(nearestIndices(a, axis, inLen));
    hi.set(lo);
  } else {
    for (let x = 0; x < outLen; x++) {
      const c = Math.min(inLen - 1, Math.max(0, sourceCoordinate(a.coordinateMode, x, a.scales[axis], inLen, outLen)));
      const f = Math.floor(c);
      lo[x] = f;
      hi[x] = clamp(f + 1);
      w[x] = c - f;
    }
  }
  for (let o = 0; o < outer; o++) {
    const sBase = o * inLen * inner;
    const dBase = o * outLen * inner;
    for (let x = 0; x < outLen; x++) {
      const s0 = sBase + lo[x] * inner;
      const s1 = sBase + hi[x] * inner;
      const d = dBase + x * inner;
      const wx = w[x];
      for (let i = 0; i < inner; i++) out[d + i] = wx === 0 ? src[s0 + i] : src[s0 + i] * (1 - wx) + src[s1 + i] * wx;
    }
  }
  return out;
}

export const resizeKernels: Pick<KernelTable, 'Resize'> = {
  Resize: (n, inputs) => {
    const x = req(inputs, 0);
    const a = n.attrs;
    let shape = [...x.shape];
    let cur: Float64Array = Float64Array.from(x.data as NumericData);
    for (let axis = 0; axis < shape.length; axis++) {
      if (a.shape[axis] === shape[axis] && a.scales[axis] === 1) continue;
      cur = resampleAxis(cur, shape, axis, a.shape[axis], a);
      shape[axis] = a.shape[axis];
    }
    shape = [...a.shape];
    const out = allocate(x.dtype, cur.length) as NumericData;
    for (let i = 0; i < cur.length; i++) out[i] = x.dtype === 'float16' ? roundToFloat16(cur[i]) : cur[i];
    return [{ dtype: x.dtype, shape, data: out }];
  },
};
