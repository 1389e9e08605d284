/** Importers for the reductions ReduceMean, ReduceMax, ReduceMin, ReduceSum, ReduceL2: the axes
 * (an attribute, or a constant input from opset 13 for ReduceSum and 18 for the others) are
 * resolved here, with keepdims and noop_with_empty_axes. */
import { ErrorCode } from '../../errors.js';
import type { OpGroup } from '../../ir/ops.js';
import { constNumbers, expectInputs, input, normAxis } from './common.js';
import { node, type ImportContext, type OpImporter } from './types.js';

function flag(ctx: ImportContext, name: string, dflt: number): boolean {
  const v = ctx.attrs.int(name, dflt);
  if (v !== 0 && v !== 1) throw ctx.attrs.bad(name, `is ${v}; it must be 0 or 1`);
  return v === 1;
}

function reduction(op: OpGroup<'reduce'>, axesInputFrom: number): OpImporter {
  return {
    onnxOp: op,
    constInputs: [1],
    import(ctx) {
      const axesAsInput = ctx.opset >= axesInputFrom;
      expectInputs(ctx, 1, axesAsInput ? 2 : 1);
      const x = input(ctx, 0);
      // Opset 20 lets ReduceMax and ReduceMin take bool (any / all).
      const boolOk = ctx.opset >= 20 && (op === 'ReduceMax' || op === 'ReduceMin');
      if ((x.dtype === 'bool' && !boolOk) || x.dtype === 'int4' || x.dtype === 'uint4') {
        throw ctx.error(ErrorCode.UnsupportedDType, `input '${x.name}' is ${x.dtype}; ${op} takes numeric tensors${x.dtype === 'bool' ? ' (bool from opset 20 for ReduceMax and ReduceMin)' : ''}`,
          'Cast the input to float first.');
      }
      const keepdims = flag(ctx, 'keepdims', 1);
      let raw: number[];
      let noop = false;
      if (axesAsInput) {
        raw = constNumbers(ctx, 1) ?? [];
        noop = flag(ctx, 'noop_with_empty_axes', 0);
      } else {
        raw = ctx.attrs.ints('axes') ?? [];
      }
      const rank = x.shape.length;
      const axes = raw.map((a) => normAxis(ctx, a, rank, 'axes entry'));
      if (new Set(axes).size !== axes.length) {
        throw ctx.error(ErrorCode.BadAttribute, `axes [${raw.join(', ')}] name an axis twice`, 'List each reduced axis once.');
      }
      axes.sort((a, b) => a - b);
      // No axes: every axis, or (noop_with_empty_axes = 1) none, and the op copies its input.
      const resolved = axes.length > 0 || noop ? axes : x.shape.map((_, i) => i);
      const shape: number[] = [];
      x.shape.forEach((d, i) => {
        if (!resolved.includes(i)) shape.push(d);
        else if (keepdims) shape.push(1);
      });
      return node(op, { axes: resolved, keepdims }, [{ dtype: x.dtype, shape }], [0]);
    },
  };
}

export const reduceImporters: OpImporter[] = [
  reduction('ReduceMean', 18),
  reduction('ReduceMax', 18),
  reduction('ReduceMin', 18),
  reduction('ReduceSum', 13),
  reduction('ReduceL2', 18),
];
