/** Importers for the ops that make tensors from scalars and shapes: ConstantOfShape, Range
 * (inputs constant: the output's shape depends on them) and Size (a constant, shapes being
 * static). Exporters' shape subgraphs built from them fold at import. */
import { ErrorCode } from '../../errors.js';
import { getNumber, isFloat, toNumbers, type DType } from '../../ir/dtype.js';
import { elementCount } from '../../ir/graph.js';
import { rangeLength } from '../../interp/generate.js';
import { expectInputs, input } from './common.js';
import { node, type OpImporter } from './types.js';

const shapeStr = (s: readonly number[]) => `[${s.join(', ')}]`;
const RANGE_TYPES: readonly DType[] = ['float32', 'float64', 'int16', 'int32', 'int64'];

export const generateImporters: OpImporter[] = [
  {
    onnxOp: 'ConstantOfShape',
    constInputs: [0],
    import(ctx) {
      expectInputs(ctx, 1);
      const s = input(ctx, 0);
      if (s.dtype !== 'int64' || s.shape.length !== 1) {
        throw ctx.error(ErrorCode.UnsupportedDType, `shape input '${s.name}' is ${s.dtype} ${shapeStr(s.shape)}, expected a 1-D int64 tensor`, 'Re-export the model.');
      }
      const shape = toNumbers(s.data!);
      if (shape.some((d) => d < 0)) throw ctx.error(ErrorCode.BadAttribute, `shape ${shapeStr(shape)} has a negative dim`, 'Fix the shape input.');
      const v = ctx.attrs.tensor('value');
      let dtype: DType = 'float32';
      let value = 0;
      if (v) {
        if (elementCount(v.shape) !== 1 || v.shape.length > 1) throw ctx.attrs.bad('value', `has shape ${shapeStr(v.shape)}; it must hold one element`);
        if (v.dtype === 'int4' || v.dtype === 'uint4') throw ctx.attrs.bad('value', `is ${v.dtype}, which ConstantOfShape does not take`);
        dtype = v.dtype;
        value = getNumber(v.data!, 0);
      }
      return node('ConstantOfShape', { dtype, value }, [{ dtype, shape }]);
    },
  },
  {
    onnxOp: 'Range',
    constInputs: [0, 1, 2],
    import(ctx) {
      expectInputs(ctx, 3);
      const xs = [0, 1, 2].map((i) => input(ctx, i));
      const t = xs[0];
      const types = ctx.opset >= 27 ? [...RANGE_TYPES, 'float16'] : RANGE_TYPES;
      if (!types.includes(t.dtype)) {
        throw ctx.error(ErrorCode.UnsupportedDType, `start '${t.name}' is ${t.dtype}; Range takes ${types.join('/')}`, 'Cast the inputs first.');
      }
      for (const x of xs) {
        if (x.dtype !== t.dtype) throw ctx.error(ErrorCode.UnsupportedDType, `inputs '${t.name}' (${t.dtype}) and '${x.name}' (${x.dtype}) differ in type`, 'Give start, limit and delta one type.');
        if (elementCount(x.shape) !== 1 || x.shape.length > 1) throw ctx.error(ErrorCode.ShapeMismatch, `input '${x.name}' has shape ${shapeStr(x.shape)}, expected a scalar`, 'Pass scalars.');
      }
      if (ctx.opset >= 27) {
        // Opset 27: the type float16 arithmetic is carried out in; qgc computes in float64 and rounds once.
        const stash = ctx.attrs.int('stash_type', 1);
        if (t.dtype === 'float16' && stash !== 1) throw ctx.attrs.bad('stash_type', `= ${stash} (Range, opset ${ctx.opset}) is not implemented; qgc implements 1 (float)`);
      }
      const [start, limit, delta] = xs.map((x) => getNumber(x.data!, 0));
      if (delta === 0 || !Number.isFinite(delta)) throw ctx.error(ErrorCode.BadAttribute, `delta is ${delta}`, 'Range needs a finite, non-zero delta.');
      const len = rangeLength(start, limit, delta);
      if (!Number.isSafeInteger(len) && isFloat(t.dtype)) throw ctx.error(ErrorCode.ShapeMismatch, `Range(${start}, ${limit}, ${delta}) has no finite length`, 'Fix the inputs.');
      return node('Range', {}, [{ dtype: t.dtype, shape: [len] }]);
    },
  },
  {
    onnxOp: 'Size',
    import(ctx) {
      expectInputs(ctx, 1);
      const x = input(ctx, 0);
      return { kind: 'constant', tensor: { dtype: 'int64', shape: [], data: BigInt64Array.of(BigInt(elementCount(x.shape))) } };
    },
  },
];
