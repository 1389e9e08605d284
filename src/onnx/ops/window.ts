/** Resolves the spatial window attributes shared by Conv-like and pooling ops
 * (kernel_shape, strides, dilations, pads, auto_pad, ceil_mode) to explicit values
 * and computes the output spatial size. */
import { ErrorCode } from '../../errors.js';
import { samePadding, windowOutShape } from '../../ir/geometry.js';
import type { WindowAttrs } from '../../ir/ops.js';
import type { ImportContext } from './types.js';

export interface ResolvedWindow extends WindowAttrs {
  /** Output spatial dims. */
  outSpatial: number[];
}

/**
 * @param spatialIn input spatial dims (H, W, ...)
 * @param kernel kernel spatial dims (from kernel_shape or the weight tensor)
 * @param ceilMode pooling's ceil_mode (false for Conv)
 */
export function resolveWindow(ctx: ImportContext, spatialIn: readonly number[], kernel: readonly number[], ceilMode = false): ResolvedWindow {
  const n = spatialIn.length;
  const a = ctx.attrs;
  const kShape = a.ints('kernel_shape');
  if (kShape && (kShape.length !== n || kShape.some((k, i) => k !== kernel[i]))) {
    throw a.bad('kernel_shape', `[${kShape.join(', ')}] does not match the window [${kernel.join(', ')}]`);
  }
  const strides = a.ints('strides', new Array<number>(n).fill(1));
  const dilations = a.ints('dilations', new Array<number>(n).fill(1));
  const autoPad = a.string('auto_pad', 'NOTSET');
  let pads = a.ints('pads', new Array<number>(2 * n).fill(0));
  if (strides.length !== n || strides.some((s) => s < 1)) throw a.bad('strides', `must hold ${n} positive values`);
  if (dilations.length !== n || dilations.some((d) => d < 1)) throw a.bad('dilations', `must hold ${n} positive values`);
  if (kernel.length !== n || kernel.some((k) => k < 1)) {
    throw ctx.error(ErrorCode.ShapeMismatch, `window [${kernel.join(', ')}] does not fit ${n} spatial dims`, 'Check the weight shape.');
  }
  if (pads.length !== 2 * n || pads.some((p) => p < 0)) throw a.bad('pads', `must hold ${2 * n} non-negative values`);

  let outSpatial: number[];
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    const same = spatialIn.map((d, i) => samePadding(d, kernel[i], strides[i], dilations[i], autoPad === 'SAME_UPPER'));
    pads = [...same.map((p) => p.begin), ...same.map((p) => p.end)];
    outSpatial = same.map((p) => p.out);
  } else if (autoPad === 'VALID') {
    pads = new Array<number>(2 * n).fill(0);
    outSpatial = windowOutShape(spatialIn, { kernel: [...kernel], strides, dilations, pads }, false);
  } else if (autoPad === 'NOTSET') {
    outSpatial = windowOutShape(spatialIn, { kernel: [...kernel], strides, dilations, pads }, ceilMode);
  } else {
    throw a.bad('auto_pad', `'${autoPad}' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID`);
  }
  if (outSpatial.some((o) => !(o >= 1))) {
    throw ctx.error(ErrorCode.ShapeMismatch, `the window [${kernel.join(', ')}] does not fit the input [${spatialIn.join(', ')}] (output would be [${outSpatial.join(', ')}])`,
      'Check the input shape (--input-shape) and the padding.');
  }
  return { kernel: [...kernel], strides, dilations, pads, outSpatial };
}
