/** Importer for Conv (float; any spatial rank, groups, auto_pad, optional bias). */
import { ErrorCode } from '../../errors.js';
import type { Tensor } from '../../ir/graph.js';
import { expectFloat, expectInputs, input } from './common.js';
import { node, type ImportContext, type OpImporter } from './types.js';
import { resolveWindow } from './window.js';

const shapeStr = (s: readonly number[]) => `[${s.join(', ')}]`;

/** Requires `t` to have the dtype of `ref` (ONNX type constraint T shared by both). */
export function expectSameDtype(ctx: ImportContext, ref: Tensor, t: Tensor, what: string): void {
  if (t.dtype !== ref.dtype) {
    throw ctx.error(ErrorCode.UnsupportedDType, `${what} '${t.name}' is ${t.dtype} but input '${ref.name}' is ${ref.dtype}`,
      'The model is inconsistent; both must have the same type. Re-export it.');
  }
}

export const convImporters: OpImporter[] = [
  {
    onnxOp: 'Conv',
    import(ctx) {
      expectInputs(ctx, 2, 3);
      const x = input(ctx, 0);
      const w = input(ctx, 1);
      const b = ctx.inputs[2];
      expectFloat(ctx, x);
      expectSameDtype(ctx, x, w, 'weight');
      if (b) expectSameDtype(ctx, x, b, 'bias');
      const rank = x.shape.length;
      if (rank < 3) {
        throw ctx.error(ErrorCode.ShapeMismatch, `input '${x.name}' has shape ${shapeStr(x.shape)}; Conv needs [N, C, spatial...] with at least one spatial dim`,
          'Check the input shape (--input-shape).');
      }
      if (w.shape.length !== rank) {
        throw ctx.error(ErrorCode.ShapeMismatch, `weight '${w.name}' has shape ${shapeStr(w.shape)}, expected rank ${rank} like the input ${shapeStr(x.shape)}`,
          'The model is inconsistent; re-export it.');
      }
      const group = ctx.attrs.int('group', 1);
      const [N, C] = x.shape;
      const M = w.shape[0];
      if (!(group >= 1) || C % group !== 0 || M % group !== 0) {
        throw ctx.attrs.bad('group', `${group} must be positive and divide both the input channels (${C}) and output channels (${M})`);
      }
      if (w.shape[1] * group !== C) {
        throw ctx.error(ErrorCode.ShapeMismatch,
          `weight '${w.name}' has shape ${shapeStr(w.shape)}: ${w.shape[1]} channels per group x group ${group} != input channels ${C}`,
          'The model is inconsistent; check the input shape (--input-shape).');
      }
      if (b && (b.shape.length !== 1 || b.shape[0] !== M)) {
        throw ctx.error(ErrorCode.ShapeMismatch, `bias '${b.name}' has shape ${shapeStr(b.shape)}, expected [${M}]`,
          'The model is inconsistent; re-export it.');
      }
      const win = resolveWindow(ctx, x.shape.slice(2), w.shape.slice(2));
      return node('Conv', { kernel: win.kernel, strides: win.strides, dilations: win.dilations, pads: win.pads, group },
        [{ dtype: x.dtype, shape: [N, M, ...win.outSpatial] }]);
    },
  },
];
