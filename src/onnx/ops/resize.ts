/** Importer for Resize (opsets 10 to 19): nearest and linear over any axes, the coordinate
 * transforms half_pixel, half_pixel_symmetric (19), pytorch_half_pixel, align_corners and
 * asymmetric, every nearest_mode, scales or sizes (constant), axes and keep_aspect_ratio_policy
 * (18), opset 11's tf_half_pixel_for_nn. cubic, tf_crop_and_resize and antialiased downsampling are refused. Opset 10 has only
 * `mode` and means asymmetric coordinates with onnxruntime's rounding for nearest (floor, ceil when downsampling). */
import { ErrorCode } from '../../errors.js';
import { elementCount } from '../../ir/graph.js';
import type { ResizeAttrs } from '../../ir/ops.js';
import { toNumbers } from '../../ir/dtype.js';
import { expectFloat, expectInputs, input, normAxis } from './common.js';
import { node, type ImportContext, type OpImporter } from './types.js';

const shapeStr = (s: readonly number[]) => `[${s.join(', ')}]`;
const COORD: readonly string[] = ['half_pixel', 'half_pixel_symmetric', 'pytorch_half_pixel', 'align_corners', 'asymmetric', 'tf_half_pixel_for_nn'];
/** Whether the model's opset defines coordinate mode `c` (half_pixel_symmetric: 19+; tf_half_pixel_for_nn: 11 and 12). */
const coordAt = (c: string, opset: number) => (c === 'half_pixel_symmetric' ? opset >= 19 : c === 'tf_half_pixel_for_nn' ? opset < 13 : true);
const NEAREST: readonly string[] = ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil'];

/** A constant input's values, or undefined when omitted or empty (ONNX's "not given"). */
function given(ctx: ImportContext, i: number): number[] | undefined {
  const t = ctx.inputs[i];
  if (!t || elementCount(t.shape) === 0) return undefined;
  return toNumbers(t.data!);
}

function importResize(ctx: ImportContext) {
  const a = ctx.attrs;
  const x = input(ctx, 0);
  expectFloat(ctx, x);
  const rank = x.shape.length;
  const modeStr = a.string('mode', 'nearest');
  if (modeStr !== 'nearest' && modeStr !== 'linear') {
    throw a.bad('mode', `'${modeStr}' is not supported; qgc implements 'nearest' and 'linear'`, 'Export the model with nearest or (bi)linear interpolation.');
  }
  let coordinateMode: ResizeAttrs['coordinateMode'] = 'asymmetric';
  // Resize-10 leaves the rounding unsaid; onnxruntime (and so TensorFlow-converted models) take
  // ceil when an axis downsamples and floor otherwise.
  let nearestMode: ResizeAttrs['nearestMode'] = 'simple';
  let scalesIn: number[] | undefined;
  let sizesIn: number[] | undefined;
  let axes = x.shape.map((_, i) => i);
  let policy = 'stretch';
  if (ctx.opset < 11) {
    expectInputs(ctx, 2);
    input(ctx, 1);
    scalesIn = given(ctx, 1);
  } else {
    expectInputs(ctx, 1, 4);
    const cm = a.string('coordinate_transformation_mode', 'half_pixel');
    if (!COORD.includes(cm) || !coordAt(cm, ctx.opset)) {
      throw a.bad('coordinate_transformation_mode', `'${cm}' is not supported at opset ${ctx.opset}`,
        `qgc implements ${COORD.filter((c) => coordAt(c, ctx.opset)).join(', ')}; re-export with one of them.`);
    }
    coordinateMode = cm as ResizeAttrs['coordinateMode'];
    const nm = a.string('nearest_mode', 'round_prefer_floor');
    if (!NEAREST.includes(nm)) throw a.bad('nearest_mode', `'${nm}' is not one of ${NEAREST.join(', ')}`);
    nearestMode = nm as ResizeAttrs['nearestMode'];
    // Only cubic reads these, and only tf_crop_and_resize the extrapolation value (both refused).
    a.float('cubic_coeff_a');
    a.int('exclude_outside');
    a.float('extrapolation_value');
    scalesIn = given(ctx, 2);
    sizesIn = given(ctx, 3);
    if (ctx.opset >= 18) {
      const ax = a.ints('axes');
      if (ax) {
        axes = ax.map((v) => normAxis(ctx, v, rank, 'axes entry'));
        if (new Set(axes).size !== axes.length) throw a.bad('axes', `[${ax.join(', ')}] names an axis twice`);
      }
      policy = a.string('keep_aspect_ratio_policy', 'stretch');
      if (!['stretch', 'not_larger', 'not_smaller'].includes(policy)) throw a.bad('keep_aspect_ratio_policy', `'${policy}' is not one of stretch, not_larger, not_smaller`);
    }
  }
  if ((scalesIn === undefined) === (sizesIn === undefined)) {
    throw ctx.error(ErrorCode.BadAttribute, scalesIn ? 'has both scales and sizes' : 'has neither scales nor sizes', 'Give exactly one of scales and sizes (a constant).');
  }
  const n = (scalesIn ?? sizesIn)!.length;
  if (n !== axes.length) {
    throw ctx.error(ErrorCode.ShapeMismatch, `${scalesIn ? 'scales' : 'sizes'} have ${n} values for ${axes.length} axes of ${shapeStr(x.shape)}`, 'Give one value per resized axis.');
  }
  const scales = x.shape.map(() => 1);
  const shape = [...x.shape];
  if (scalesIn) {
    axes.forEach((ax, i) => {
      if (!(scalesIn![i] > 0) || !Number.isFinite(scalesIn![i])) throw ctx.error(ErrorCode.BadAttribute, `scale ${scalesIn![i]} of axis ${ax} is not positive`, 'Scales must be positive.');
      scales[ax] = scalesIn![i];
      shape[ax] = Math.floor(x.shape[ax] * scalesIn![i]);
    });
  } else {
    const sizes = sizesIn!;
    if (sizes.some((s) => s < 0)) throw ctx.error(ErrorCode.BadAttribute, `sizes [${sizes.join(', ')}] have a negative value`, 'Fix the sizes.');
    if (policy === 'stretch') {
      axes.forEach((ax, i) => {
        shape[ax] = sizes[i];
        scales[ax] = sizes[i] / x.shape[ax];
      });
    } else {
      const ratios = axes.map((ax, i) => sizes[i] / x.shape[ax]);
      const s = policy === 'not_larger' ? Math.min(...ratios) : Math.max(...ratios);
      axes.forEach((ax) => {
        scales[ax] = s;
        shape[ax] = Math.round(s * x.shape[ax]);
      });
    }
  }
  if (ctx.opset >= 18) {
    const antialias = a.int('antialias', 0);
    if (antialias !== 0 && scales.some((s) => s < 1)) {
      throw a.bad('antialias', `= ${antialias} (Resize, opset ${ctx.opset}) with downsampling is not implemented`, 'Export without antialiasing (antialias=False).');
    }
  }
  if (x.shape.some((d, i) => d === 0 && shape[i] > 0)) throw ctx.error(ErrorCode.ShapeMismatch, `input '${x.name}' ${shapeStr(x.shape)} is empty along a resized axis`, 'Check the input shape.');
  return node('Resize', { mode: modeStr, coordinateMode, nearestMode, scales, shape }, [{ dtype: x.dtype, shape }], [0]);
}

export const resizeImporters: OpImporter[] = [{ onnxOp: 'Resize', constInputs: [1, 2, 3], import: importResize }];
