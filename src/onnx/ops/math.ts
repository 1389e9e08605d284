/** Importers for the math family: elementwise functions (Abs, Neg, Exp, Log, Sqrt, Reciprocal,
 * Erf, Softplus, Gelu), Pow, PRelu, and the variadic Max and Min (numpy broadcasting). */
import { ErrorCode } from '../../errors.js';
import { isFloat, type DType } from '../../ir/dtype.js';
import type { Tensor } from '../../ir/graph.js';
import type { OpGroup } from '../../ir/ops.js';
import { broadcastShapes, expectFloat, expectInputs, input } from './common.js';
import { node, type ImportContext, type OpImporter } from './types.js';

const SIGNED: readonly DType[] = ['int8', 'int16', 'int32', 'int64'];
const UNSIGNED: readonly DType[] = ['uint8', 'uint16', 'uint32', 'uint64'];
const isNumeric = (d: DType) => isFloat(d) || SIGNED.includes(d) || UNSIGNED.includes(d);
const shapeStr = (s: readonly number[]) => `[${s.join(', ')}]`;

/** Refuses an op before the opset that defines it (or the first one with numpy broadcasting). */
function since(ctx: ImportContext, opset: number, why = `${ctx.opType} is defined from opset ${opset}`): void {
  if (ctx.opset < opset) {
    throw ctx.error(ErrorCode.UnsupportedOpset, `${why}; the model is at opset ${ctx.opset}`,
      `Convert the model with onnx.version_converter.convert_version(model, ${opset}) or later.`);
  }
}

function expectType(ctx: ImportContext, t: Tensor, ok: (d: DType) => boolean, what: string): void {
  if (!ok(t.dtype)) {
    throw ctx.error(ErrorCode.UnsupportedDType, `input '${t.name}' is ${t.dtype}; ${ctx.opType} takes ${what}`,
      'Cast the input to a supported type first.');
  }
}

/** A one-input op whose output has the input's type and shape. `types` are the element types
 * beyond float that it takes. Opsets before 6 carry `consumed_inputs`, which is never read and
 * so refused. */
function elementwise(op: OpGroup<'unary'> & ('Abs' | 'Neg' | 'Exp' | 'Log' | 'Sqrt' | 'Reciprocal' | 'Erf' | 'Softplus'), types: readonly DType[] = [], from = 1): OpImporter {
  return {
    onnxOp: op,
    import(ctx) {
      since(ctx, from);
      expectInputs(ctx, 1);
      const x = input(ctx, 0);
      if (types.length === 0) expectFloat(ctx, x);
      else expectType(ctx, x, (d) => isFloat(d) || types.includes(d), `float or ${types.join('/')} tensors`);
      return node(op, {}, [{ dtype: x.dtype, shape: [...x.shape] }]);
    },
  };
}

/** Max or Min of one or more same-type inputs (numpy broadcasting from opset 8; integer types
 * from opset 12). */
function extremum(op: 'Max' | 'Min'): OpImporter {
  return {
    onnxOp: op,
    import(ctx) {
      if (ctx.inputs.length < 1) throw ctx.error(ErrorCode.BadGraph, 'has no inputs, expected at least 1', 'Re-export the model.');
      const xs = ctx.inputs.map((_, i) => input(ctx, i));
      const first = xs[0];
      expectType(ctx, first, ctx.opset >= 12 ? isNumeric : isFloat, ctx.opset >= 12 ? 'numeric tensors' : 'float tensors before opset 12');
      let shape = [...first.shape];
      for (const t of xs.slice(1)) {
        if (t.dtype !== first.dtype) {
          throw ctx.error(ErrorCode.UnsupportedDType, `inputs '${first.name}' (${first.dtype}) and '${t.name}' (${t.dtype}) have different types`,
            'ONNX requires every input to have the same type; insert a Cast or re-export the model.');
        }
        if (ctx.opset < 8 && (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i]))) {
          throw ctx.error(ErrorCode.ShapeMismatch, `${op} before opset 8 does not broadcast, but shapes ${shapeStr(shape)} and ${shapeStr(t.shape)} differ`,
            'Convert the model to opset 8 or later.');
        }
        shape = broadcastShapes(ctx, shape, t.shape);
      }
      return node(op, {}, [{ dtype: first.dtype, shape }]);
    },
  };
}

const POW_BASE: readonly DType[] = ['float32', 'float64', 'float16', 'int32', 'int64'];

export const mathImporters: OpImporter[] = [
  elementwise('Abs', [...SIGNED, ...UNSIGNED]),
  elementwise('Neg', SIGNED),
  elementwise('Exp'),
  elementwise('Log'),
  elementwise('Sqrt'),
  elementwise('Reciprocal'),
  elementwise('Erf', [], 9),
  elementwise('Softplus'),
  {
    onnxOp: 'Gelu',
    import(ctx) {
      since(ctx, 20);
      expectInputs(ctx, 1);
      const x = input(ctx, 0);
      expectFloat(ctx, x);
      const approximate = ctx.attrs.string('approximate', 'none');
      if (approximate !== 'none' && approximate !== 'tanh') {
        throw ctx.attrs.bad('approximate', `is '${approximate}'; it must be 'none' or 'tanh'`);
      }
      return node('Gelu', { approximate }, [{ dtype: x.dtype, shape: [...x.shape] }]);
    },
  },
  {
    // Y = X ^ exponent; from opset 12 the exponent may have another (numeric) type than X.
    onnxOp: 'Pow',
    import(ctx) {
      since(ctx, 7, 'Pow with numpy broadcasting is defined from opset 7');
      expectInputs(ctx, 2);
      const x = input(ctx, 0);
      const e = input(ctx, 1);
      if (ctx.opset < 12) {
        expectFloat(ctx, x);
        if (e.dtype !== x.dtype) {
          throw ctx.error(ErrorCode.UnsupportedDType, `exponent '${e.name}' is ${e.dtype} but the base is ${x.dtype}; before opset 12 they must match`,
            'Re-export the model at opset 12 or later, or cast the exponent.');
        }
      } else {
        expectType(ctx, x, (d) => POW_BASE.includes(d), `a ${POW_BASE.join('/')} base`);
        expectType(ctx, e, isNumeric, 'a numeric exponent');
      }
      return node('Pow', {}, [{ dtype: x.dtype, shape: broadcastShapes(ctx, x.shape, e.shape) }]);
    },
  },
  {
    // Y = X < 0 ? slope * X : X, slope broadcast to X's shape (unidirectionally).
    onnxOp: 'PRelu',
    import(ctx) {
      since(ctx, 7, 'PRelu with numpy broadcasting is defined from opset 7');
      expectInputs(ctx, 2);
      const x = input(ctx, 0);
      const slope = input(ctx, 1);
      expectFloat(ctx, x);
      if (slope.dtype !== x.dtype) {
        throw ctx.error(ErrorCode.UnsupportedDType, `slope '${slope.name}' is ${slope.dtype} but the input is ${x.dtype}`, 'Give the slope the input\'s type.');
      }
      const shape = broadcastShapes(ctx, x.shape, slope.shape);
      if (shape.length !== x.shape.length || shape.some((d, i) => d !== x.shape[i])) {
        throw ctx.error(ErrorCode.ShapeMismatch, `slope '${slope.name}' ${shapeStr(slope.shape)} does not broadcast to the input's shape ${shapeStr(x.shape)}`,
          'The slope must broadcast to the input (one value, one per channel as [C, 1, 1], or the full shape).');
      }
      return node('PRelu', {}, [{ dtype: x.dtype, shape }]);
    },
  },
  extremum('Max'),
  extremum('Min'),
];
