/** Importers for the elementwise family: Add, Sub, Mul, Div (numpy broadcasting) and Cast. */
import { CompileError, ErrorCode } from '../../errors.js';
import type { DType } from '../../ir/dtype.js';
import { broadcastShapes, expectInputs, input } from './common.js';
import { node, type OpImporter } from './types.js';
import { dtypeFromOnnx } from '../tensor.js';

/** Types ONNX's arithmetic ops accept that qgc can hold (not bool, not 4-bit). */
const ARITH_TYPES: readonly DType[] = ['float32', 'float64', 'float16', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64'];

function binary(op: 'Add' | 'Sub' | 'Mul' | 'Div'): OpImporter {
  return {
    onnxOp: op,
    import(ctx) {
      expectInputs(ctx, 2);
      const a = input(ctx, 0);
      const b = input(ctx, 1);
      if (ctx.opset < 7) {
        // Unreachable with MIN_OPSET >= 7; kept so a lower minimum cannot silently drop `broadcast`.
        throw ctx.error(ErrorCode.UnsupportedOpset, `${op} before opset 7 is not supported`, 'Convert the model to opset 7 or later.');
      }
      if (a.dtype !== b.dtype) {
        throw ctx.error(ErrorCode.UnsupportedDType, `inputs '${a.name}' (${a.dtype}) and '${b.name}' (${b.dtype}) have different types`,
          'ONNX requires both inputs to have the same type; insert a Cast or re-export the model.');
      }
      if (!ARITH_TYPES.includes(a.dtype)) {
        throw ctx.error(ErrorCode.UnsupportedDType, `input '${a.name}' is ${a.dtype}, which ${op} does not accept`,
          'Cast the inputs to a numeric type first.');
      }
      return node(op, {}, [{ dtype: a.dtype, shape: broadcastShapes(ctx, a.shape, b.shape) }]);
    },
  };
}

export const elementwiseImporters: OpImporter[] = [
  binary('Add'),
  binary('Sub'),
  binary('Mul'),
  binary('Div'),
  {
    onnxOp: 'Cast',
    import(ctx) {
      expectInputs(ctx, 1);
      const x = input(ctx, 0);
      const code = ctx.attrs.int('to');
      if (code === undefined) throw ctx.attrs.bad('to', 'is required', "Give Cast a 'to' element type.");
      // Opset 19+: `saturate` only affects float8 targets, which qgc does not hold.
      if (ctx.opset >= 19) ctx.attrs.int('saturate', 1);
      let to: DType;
      try {
        to = dtypeFromOnnx(code, {});
      } catch (e) {
        if (!(e instanceof CompileError)) throw e;
        throw ctx.error(ErrorCode.UnsupportedDType, `cannot cast to ${e.message.replace(/ is not supported$/, '')}`,
          'qgc casts between float32/float16/float64, the integer types, int4/uint4 and bool; remove this Cast or change its target type.');
      }
      // A Cast to the type it already has converts nothing: an Identity, which every later stage
      // (lowerQdq's views included) knows. torch.onnx writes one between each QuantizeLinear and
      // DequantizeLinear of a quantized model (uint8 -> uint8).
      if (to === x.dtype) return node('Identity', {}, [{ dtype: to, shape: [...x.shape] }]);
      return node('Cast', { to }, [{ dtype: to, shape: [...x.shape] }]);
    },
  },
];
