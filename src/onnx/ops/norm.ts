/** Importers for BatchNormalization (inference mode only) and LayerNormalization. */
import { ErrorCode } from '../../errors.js';
import { expectFloat, expectInputs, input, normAxis } from './common.js';
import { node, type OpImporter } from './types.js';

const shapeStr = (s: readonly number[]) => `[${s.join(', ')}]`;
const PARAMS = ['scale', 'B', 'input_mean', 'input_var'] as const;

export const normImporters: OpImporter[] = [
  {
    // Y = (X - mean) / sqrt(var + epsilon) * scale + B, per channel (axis 1).
    onnxOp: 'BatchNormalization',
    import(ctx) {
      expectInputs(ctx, 5);
      const x = input(ctx, 0);
      expectFloat(ctx, x);
      const epsilon = ctx.attrs.float('epsilon', 1e-5);
      if (!(epsilon >= 0) || !Number.isFinite(epsilon)) throw ctx.attrs.bad('epsilon', `is ${epsilon}; it must be a finite non-negative number`);
      // momentum only updates the running statistics in training; it does not change Y.
      const momentum = ctx.attrs.float('momentum', 0.9);
      if (!Number.isFinite(momentum)) throw ctx.attrs.bad('momentum', `is ${momentum}; it must be a finite number`);
      if (ctx.opset < 7 && ctx.attrs.has('is_test')) {
        // BatchNormalization-6: is_test=0 means training (batch statistics); the ONNX
        // version converter accepts only is_test != 0 when it drops the attribute.
        const isTest = ctx.attrs.int('is_test', 1);
        if (isTest === 0) {
          throw ctx.attrs.bad('is_test', 'is 0 (training mode); qgc compiles inference graphs only',
            'Export the model in inference mode (is_test=1, e.g. model.eval() before export).');
        }
      }
      if (ctx.opset < 9) {
        const spatial = ctx.attrs.int('spatial', 1);
        if (spatial !== 1) {
          throw ctx.attrs.bad('spatial', `is ${spatial}; only spatial=1 (statistics per channel) is supported`,
            'Re-export the model with per-channel batch normalization (spatial=1), or convert it to opset 9 or later.');
        }
      }
      if (ctx.opset >= 14) {
        const training = ctx.attrs.int('training_mode', 0);
        if (training !== 0) {
          throw ctx.attrs.bad('training_mode', `is ${training}; qgc compiles inference graphs (training_mode=0) only`,
            'Export the model in inference mode (e.g. call model.eval() before torch.onnx.export).');
        }
      }
      if (x.shape.length < 2) {
        throw ctx.error(ErrorCode.ShapeMismatch, `input '${x.name}' has shape ${shapeStr(x.shape)}; BatchNormalization needs [N, C, ...]`,
          'Check the input shape (--input-shape).');
      }
      const C = x.shape[1];
      PARAMS.forEach((what, i) => {
        const t = input(ctx, i + 1);
        expectFloat(ctx, t, what);
        if (t.shape.length !== 1 || t.shape[0] !== C) {
          throw ctx.error(ErrorCode.ShapeMismatch, `${what} '${t.name}' has shape ${shapeStr(t.shape)}, expected [${C}] (one value per channel)`,
            'The model is inconsistent; check the input shape (--input-shape).');
        }
      });
      return node('BatchNormalization', { epsilon }, [{ dtype: x.dtype, shape: [...x.shape] }]);
    },
  },
  {
    // Y = (X - mean) / sqrt(var + epsilon) * Scale + B over the axes [axis, rank); the optional
    // outputs Mean and InvStdDev are float32 (stash_type 1).
    onnxOp: 'LayerNormalization',
    import(ctx) {
      if (ctx.opset < 17) {
        throw ctx.error(ErrorCode.UnsupportedOpset, `LayerNormalization is defined from opset 17; the model is at opset ${ctx.opset}`,
          'Export the model at opset 17 or later (torch.onnx.export(opset_version=17)).');
      }
      expectInputs(ctx, 2, 3);
      const x = input(ctx, 0);
      expectFloat(ctx, x);
      if (x.shape.length === 0) {
        throw ctx.error(ErrorCode.ShapeMismatch, `input '${x.name}' is a scalar; LayerNormalization needs rank >= 1`, 'Check the input shape (--input-shape).');
      }
      const axis = normAxis(ctx, ctx.attrs.int('axis', -1), x.shape.length);
      const epsilon = ctx.attrs.float('epsilon', 1e-5);
      if (!(epsilon >= 0) || !Number.isFinite(epsilon)) throw ctx.attrs.bad('epsilon', `is ${epsilon}; it must be a finite non-negative number`);
      const stash = ctx.attrs.int('stash_type', 1);
      if (stash !== 1) {
        throw ctx.attrs.bad('stash_type', `is ${stash}; qgc computes the statistics in float32 or wider (stash_type 1) only`,
          'Re-export the model with the default stash_type (1, float32).');
      }
      const normalized = x.shape.slice(axis);
      const params: [number, string][] = ctx.inputs[2] ? [[1, 'Scale'], [2, 'B']] : [[1, 'Scale']];
      for (const [i, what] of params) {
        const t = input(ctx, i);
        if (t.dtype !== x.dtype) {
          throw ctx.error(ErrorCode.UnsupportedDType, `${what} '${t.name}' is ${t.dtype} but X is ${x.dtype}`, `Give ${what} the type of X.`);
        }
        const off = normalized.length - t.shape.length;
        if (off < 0 || t.shape.some((d, j) => d !== 1 && d !== normalized[off + j])) {
          throw ctx.error(ErrorCode.ShapeMismatch, `${what} '${t.name}' has shape ${shapeStr(t.shape)}, which does not broadcast to the normalized shape ${shapeStr(normalized)}`,
            'The model is inconsistent; check the input shape (--input-shape).');
        }
      }
      if (ctx.outputCount > 3) throw ctx.error(ErrorCode.BadGraph, `has ${ctx.outputCount} outputs, expected at most 3`, 'Re-export the model.');
      const stat = x.shape.map((d, i) => (i < axis ? d : 1));
      const outputs = [
        { dtype: x.dtype, shape: [...x.shape] },
        { dtype: 'float32' as const, shape: stat },
        { dtype: 'float32' as const, shape: [...stat] },
      ];
      return node('LayerNormalization', { axis, epsilon }, outputs.slice(0, Math.max(1, ctx.outputCount)));
    },
  },
];
