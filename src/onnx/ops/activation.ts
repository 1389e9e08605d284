/** Importers for elementwise activations and Softmax. */
import { ErrorCode } from '../../errors.js';
import { toNumbers } from '../../ir/dtype.js';
import type { OpName } from '../../ir/ops.js';
import { expectFloat, expectInputs, input, normAxis } from './common.js';
import { node, type ImportContext, type OpImporter } from './types.js';

/** Output has the input's dtype and shape; the input must be float unless `anyNumeric`. */
function sameAs(ctx: ImportContext, anyNumeric = false) {
  const x = input(ctx, 0);
  if (!anyNumeric) expectFloat(ctx, x);
  else if (x.dtype === 'bool' || x.dtype === 'int64' || x.dtype === 'uint64') {
    throw ctx.error(ErrorCode.UnsupportedDType, `input '${x.name}' is ${x.dtype}, not supported by Clip`, 'Cast to float or a narrower integer type first.');
  }
  return [{ dtype: x.dtype, shape: [...x.shape] }];
}

function simple(op: OpName & ('Relu' | 'Sigmoid' | 'Tanh' | 'HardSwish')): OpImporter {
  return {
    onnxOp: op,
    import(ctx) {
      expectInputs(ctx, 1);
      return node(op, {}, sameAs(ctx));
    },
  };
}

export const activationImporters: OpImporter[] = [
  simple('Relu'),
  simple('Sigmoid'),
  simple('Tanh'),
  simple('HardSwish'),
  {
    onnxOp: 'LeakyRelu',
    import(ctx) {
      expectInputs(ctx, 1);
      return node('LeakyRelu', { alpha: ctx.attrs.float('alpha', 0.01) }, sameAs(ctx));
    },
  },
  {
    onnxOp: 'HardSigmoid',
    import(ctx) {
      expectInputs(ctx, 1);
      return node('HardSigmoid', { alpha: ctx.attrs.float('alpha', 0.2), beta: ctx.attrs.float('beta', 0.5) }, sameAs(ctx));
    },
  },
  {
    // Opset >= 11: min and max are optional inputs. Constant bounds become attributes;
    // non-constant ones stay as inputs and the kernel reads them.
    onnxOp: 'Clip',
    import(ctx) {
      if (ctx.opset < 11) {
        // Clip-6: bounds are attributes.
        expectInputs(ctx, 1);
        const x = input(ctx, 0);
        expectFloat(ctx, x);
        return node('Clip', { min: ctx.attrs.float('min', -3.4028234663852886e38), max: ctx.attrs.float('max', 3.4028234663852886e38) }, sameAs(ctx, true));
      }
      expectInputs(ctx, 1, 3);
      const bound = (i: number, dflt: number): [number, boolean] => {
        const t = ctx.inputs[i];
        if (!t) return [dflt, false];
        if (t.shape.length > 0 && !(t.shape.length === 1 && t.shape[0] === 1)) {
          throw ctx.error(ErrorCode.ShapeMismatch, `bound input ${i} must be a scalar`, 'Pass scalar min/max.');
        }
        return t.data ? [toNumbers(t.data)[0], false] : [dflt, true];
      };
      const [min, minDynamic] = bound(1, -Infinity);
      const [max, maxDynamic] = bound(2, Infinity);
      const keep = [0];
      if (minDynamic || maxDynamic) keep.push(1, 2);
      return node('Clip', { min, max }, sameAs(ctx, true), keep.filter((i) => i < ctx.inputs.length));
    },
  },
  {
    onnxOp: 'Softmax',
    import(ctx) {
      expectInputs(ctx, 1);
      const x = input(ctx, 0);
      const coerce2d = ctx.opset < 13;
      const axis = normAxis(ctx, ctx.attrs.int('axis', coerce2d ? 1 : -1), x.shape.length);
      return node('Softmax', { axis, coerce2d }, sameAs(ctx));
    },
  },
];
