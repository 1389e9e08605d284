/** Importers for comparisons (Equal, Greater: bool output) and Where, with numpy broadcasting. */
import { ErrorCode } from '../../errors.js';
import type { DType } from '../../ir/dtype.js';
import { broadcastShapes, expectInputs, input } from './common.js';
import { node, type ImportContext, type OpImporter } from './types.js';

const NUMERIC: readonly DType[] = ['float32', 'float64', 'float16', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64'];

function since(ctx: ImportContext, opset: number, what: string): void {
  if (ctx.opset < opset) {
    throw ctx.error(ErrorCode.UnsupportedOpset, `${what} is defined from opset ${opset}; the model is at opset ${ctx.opset}`,
      `Convert the model with onnx.version_converter.convert_version(model, ${opset}) or later.`);
  }
}

function comparison(op: 'Equal' | 'Greater', types: readonly DType[]): OpImporter {
  return {
    onnxOp: op,
    import(ctx) {
      since(ctx, 7, `${op} with numpy broadcasting`);
      expectInputs(ctx, 2);
      const a = input(ctx, 0);
      const b = input(ctx, 1);
      if (a.dtype !== b.dtype) {
        throw ctx.error(ErrorCode.UnsupportedDType, `inputs '${a.name}' (${a.dtype}) and '${b.name}' (${b.dtype}) have different types`,
          'ONNX requires both inputs to have the same type; insert a Cast or re-export the model.');
      }
      if (!types.includes(a.dtype)) {
        throw ctx.error(ErrorCode.UnsupportedDType, `input '${a.name}' is ${a.dtype}, which ${op} does not take`, 'Cast the inputs to a numeric type first.');
      }
      return node(op, {}, [{ dtype: 'bool', shape: broadcastShapes(ctx, a.shape, b.shape) }]);
    },
  };
}

export const logicImporters: OpImporter[] = [
  comparison('Equal', [...NUMERIC, 'bool']),
  comparison('Greater', NUMERIC),
  {
    // Where(condition, X, Y): X where condition, else Y; all three broadcast.
    onnxOp: 'Where',
    import(ctx) {
      since(ctx, 9, 'Where');
      expectInputs(ctx, 3);
      const c = input(ctx, 0);
      const x = input(ctx, 1);
      const y = input(ctx, 2);
      if (c.dtype !== 'bool') {
        throw ctx.error(ErrorCode.UnsupportedDType, `condition '${c.name}' is ${c.dtype}; Where needs a bool condition`, 'Cast the condition to bool.');
      }
      if (x.dtype !== y.dtype) {
        throw ctx.error(ErrorCode.UnsupportedDType, `inputs '${x.name}' (${x.dtype}) and '${y.name}' (${y.dtype}) have different types`,
          'ONNX requires X and Y to have the same type; insert a Cast or re-export the model.');
      }
      if (x.dtype === 'int4' || x.dtype === 'uint4') {
        throw ctx.error(ErrorCode.UnsupportedDType, `input '${x.name}' is ${x.dtype}, which Where does not take`, 'Cast X and Y to int8 first.');
      }
      const shape = broadcastShapes(ctx, broadcastShapes(ctx, c.shape, x.shape), y.shape);
      return node('Where', {}, [{ dtype: x.dtype, shape }]);
    },
  },
];
