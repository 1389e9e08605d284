/** Small helpers shared by op importers. */
import { ErrorCode } from '../../errors.js';
import { isFloat, toNumbers } from '../../ir/dtype.js';
import type { Tensor } from '../../ir/graph.js';
import { broadcastShape } from '../../interp/util.js';
import type { ImportContext } from './types.js';

/** The input at `index`, which must be present. */
export function input(ctx: ImportContext, index: number): Tensor {
  const t = ctx.inputs[index];
  if (!t) throw ctx.error(ErrorCode.BadGraph, `input ${index} is missing`, 'Check the model; this input is required.');
  return t;
}

/** Checks the number of inputs is within [min, max]. */
export function expectInputs(ctx: ImportContext, min: number, max = min): void {
  const n = ctx.inputs.length;
  if (n < min || n > max) {
    throw ctx.error(ErrorCode.BadGraph, `has ${n} inputs, expected ${min === max ? min : `${min} to ${max}`}`, 'Re-export the model.');
  }
}

/** Requires a float input (float32, float16 or float64). */
export function expectFloat(ctx: ImportContext, t: Tensor, what = 'input'): void {
  if (!isFloat(t.dtype)) {
    throw ctx.error(ErrorCode.UnsupportedDType, `${what} '${t.name}' is ${t.dtype}; this op needs a float tensor`,
      'Cast to float before this op.');
  }
}

/** Normalizes a possibly negative axis against `rank`. */
export function normAxis(ctx: ImportContext, axis: number, rank: number, what = 'axis'): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) {
    throw ctx.error(ErrorCode.BadAttribute, `${what} ${axis} is out of range for rank ${rank}`, 'Use an axis in [-rank, rank).');
  }
  return a;
}

/** The constant values of input `index` as numbers (the importer declared it a constInput). */
export function constNumbers(ctx: ImportContext, index: number): number[] | undefined {
  const t = ctx.inputs[index];
  if (!t) return undefined;
  if (!t.data) throw ctx.error(ErrorCode.BadAttribute, `input ${index} must be a constant`, 'Make it an initializer.');
  return toNumbers(t.data);
}

/** Numpy-style broadcast of two shapes (the interpreter's broadcastShape), refusing shapes that
 * do not broadcast. */
export function broadcastShapes(ctx: ImportContext, a: readonly number[], b: readonly number[]): number[] {
  const out = broadcastShape(a, b);
  const fits = (s: readonly number[]) => s.every((d, i) => d === 1 || d === out[out.length - s.length + i]);
  if (!fits(a) || !fits(b)) {
    throw ctx.error(ErrorCode.ShapeMismatch, `shapes [${a.join(', ')}] and [${b.join(', ')}] do not broadcast`,
      'The model is inconsistent; check its input shapes (--input-shape).');
  }
  return out;
}
