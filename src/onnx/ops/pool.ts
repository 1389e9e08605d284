/** Importers for MaxPool, AveragePool and GlobalAveragePool (any spatial rank). */
import { ErrorCode } from '../../errors.js';
import type { Tensor } from '../../ir/graph.js';
import { expectFloat, expectInputs, input } from './common.js';
import { node, type ImportContext, type OpImporter } from './types.js';
import { resolveWindow } from './window.js';

const shapeStr = (s: readonly number[]) => `[${s.join(', ')}]`;

function spatialInput(ctx: ImportContext, minRank: number): Tensor {
  expectInputs(ctx, 1);
  const x = input(ctx, 0);
  if (x.shape.length < minRank) {
    throw ctx.error(ErrorCode.ShapeMismatch,
      `input '${x.name}' has shape ${shapeStr(x.shape)}; ${ctx.opType} needs [N, C${minRank > 2 ? ', spatial...' : ''}]`,
      'Check the input shape (--input-shape).');
  }
  return x;
}

function bool01(ctx: ImportContext, name: string): boolean {
  const v = ctx.attrs.int(name, 0);
  if (v !== 0 && v !== 1) throw ctx.attrs.bad(name, `is ${v}; it must be 0 or 1`);
  return v === 1;
}

/** An attribute that only exists from `since` on: before that, reading it would accept
 * something the op version does not define, so it is refused like any unknown attribute. */
function since(ctx: ImportContext, name: string, version: number): boolean {
  if (ctx.opset >= version) return true;
  if (ctx.attrs.has(name)) {
    throw ctx.attrs.bad(name, `is not defined for ${ctx.opType} before opset ${version} (the model imports opset ${ctx.opset})`,
      'Remove the attribute, or convert the model to a later opset.');
  }
  return false;
}

/** The window of a pooling op: kernel_shape is required, the rest is shared with Conv. */
function poolWindow(ctx: ImportContext, x: Tensor, ceilMode: boolean, dilationsSince: number) {
  since(ctx, 'dilations', dilationsSince);
  const kernel = ctx.attrs.ints('kernel_shape');
  if (!kernel) throw ctx.attrs.bad('kernel_shape', 'is required', 'Re-export the model; pooling ops must give kernel_shape.');
  const spatial = x.shape.slice(2);
  if (kernel.length !== spatial.length) {
    throw ctx.attrs.bad('kernel_shape', `has ${kernel.length} entries for ${spatial.length} spatial dims of input ${shapeStr(x.shape)}`,
      'Check the input shape (--input-shape).');
  }
  return resolveWindow(ctx, spatial, kernel, ceilMode);
}

export const poolImporters: OpImporter[] = [
  {
    onnxOp: 'MaxPool',
    import(ctx) {
      const x = spatialInput(ctx, 3);
      if (x.dtype !== 'int8' && x.dtype !== 'uint8') expectFloat(ctx, x);
      const ceilMode = since(ctx, 'ceil_mode', 10) && bool01(ctx, 'ceil_mode');
      // storage_order only affects the Indices output, which qgc does not produce (the
      // graph importer rejects a node that asks for it).
      if (since(ctx, 'storage_order', 8)) bool01(ctx, 'storage_order');
      const win = poolWindow(ctx, x, ceilMode, 10);
      return node('MaxPool', { kernel: win.kernel, strides: win.strides, dilations: win.dilations, pads: win.pads, ceilMode, countIncludePad: false },
        [{ dtype: x.dtype, shape: [x.shape[0], x.shape[1], ...win.outSpatial] }]);
    },
  },
  {
    onnxOp: 'AveragePool',
    import(ctx) {
      const x = spatialInput(ctx, 3);
      expectFloat(ctx, x);
      const ceilMode = since(ctx, 'ceil_mode', 10) && bool01(ctx, 'ceil_mode');
      const countIncludePad = since(ctx, 'count_include_pad', 7) && bool01(ctx, 'count_include_pad');
      const win = poolWindow(ctx, x, ceilMode, 19);
      return node('AveragePool', { kernel: win.kernel, strides: win.strides, dilations: win.dilations, pads: win.pads, ceilMode, countIncludePad },
        [{ dtype: x.dtype, shape: [x.shape[0], x.shape[1], ...win.outSpatial] }]);
    },
  },
  {
    onnxOp: 'GlobalAveragePool',
    import(ctx) {
      const x = spatialInput(ctx, 2);
      expectFloat(ctx, x);
      return node('GlobalAveragePool', {}, [{ dtype: x.dtype, shape: x.shape.map((d, i) => (i < 2 ? d : 1)) }]);
    },
  },
  {
    onnxOp: 'GlobalMaxPool',
    import(ctx) {
      const x = spatialInput(ctx, 2);
      expectFloat(ctx, x);
      return node('GlobalMaxPool', {}, [{ dtype: x.dtype, shape: x.shape.map((d, i) => (i < 2 ? d : 1)) }]);
    },
  },
];
