/** Importers for the shape family: Flatten, Reshape, Transpose, Concat, Squeeze, Unsqueeze,
 * Pad, Identity, Dropout (inference: Identity), Constant, Shape and Gather. Shapes are
 * static, so Shape and Constant become constant tensors, and the shape operands of
 * Reshape, Squeeze, Unsqueeze and Pad must be known at import time. */
import { ErrorCode } from '../../errors.js';
import { isFloat, toNumbers, type DType } from '../../ir/dtype.js';
import { elementCount, type Tensor } from '../../ir/graph.js';
import type { PadAttrs } from '../../ir/ops.js';
import { roundToFloat16 } from '../../interp/util.js';
import { constNumbers, expectInputs, input, normAxis } from './common.js';
import { node, type ImportContext, type OpImporter } from './types.js';

const shapeStr = (s: readonly number[]) => `[${s.join(', ')}]`;
const out = (dtype: DType, shape: number[]) => [{ dtype, shape }];

/** Requires a constant integer tensor input (shape, axes, pads) of rank <= 1. */
function intList(ctx: ImportContext, index: number, what: string): number[] | undefined {
  const t = ctx.inputs[index];
  if (!t) return undefined;
  if (t.dtype !== 'int64' && t.dtype !== 'int32') {
    throw ctx.error(ErrorCode.UnsupportedDType, `${what} input '${t.name}' is ${t.dtype}, expected int64`, 'Re-export the model; ONNX requires int64 here.');
  }
  if (t.shape.length > 1) {
    throw ctx.error(ErrorCode.ShapeMismatch, `${what} input '${t.name}' has shape ${shapeStr(t.shape)}, expected a 1-D tensor`, 'Re-export the model.');
  }
  return constNumbers(ctx, index);
}

/** Normalizes a list of axes against `rank`, rejecting duplicates. */
function normAxes(ctx: ImportContext, axes: readonly number[], rank: number): number[] {
  const norm = axes.map((a) => normAxis(ctx, a, rank, 'axis'));
  if (new Set(norm).size !== norm.length) {
    throw ctx.error(ErrorCode.BadAttribute, `axes [${axes.join(', ')}] repeat an axis`, 'Give each axis once.');
  }
  return norm;
}

/** Squeeze/Unsqueeze axes: an attribute before opset 13, an optional constant input after. */
function axesOf(ctx: ImportContext): number[] | undefined {
  if (ctx.opset < 13) {
    expectInputs(ctx, 1);
    return ctx.attrs.ints('axes');
  }
  expectInputs(ctx, 1, 2);
  return intList(ctx, 1, 'axes');
}

/** Resolves a Reshape target: 0 copies the input dim (unless allowzero), -1 is inferred. */
function resolveReshape(ctx: ImportContext, inShape: readonly number[], target: readonly number[], allowZero: boolean): number[] {
  const shape = target.map((d, i) => {
    if (d === 0 && !allowZero) {
      if (i >= inShape.length) {
        throw ctx.error(ErrorCode.ShapeMismatch, `shape ${shapeStr(target)} copies dim ${i} (0), but the input ${shapeStr(inShape)} has rank ${inShape.length}`,
          'Fix the target shape.');
      }
      return inShape[i];
    }
    return d;
  });
  const inferred = shape.flatMap((d, i) => (d === -1 ? [i] : []));
  if (inferred.length > 1 || shape.some((d) => d < -1)) {
    throw ctx.error(ErrorCode.BadAttribute, `shape ${shapeStr(target)} is invalid (at most one -1, no other negative dims)`, 'Fix the target shape.');
  }
  const total = elementCount(inShape);
  if (inferred.length === 1) {
    if (allowZero && shape.includes(0)) {
      throw ctx.error(ErrorCode.BadAttribute, `shape ${shapeStr(target)} has both -1 and 0 with allowzero=1`, 'ONNX forbids this; fix the target shape.');
    }
    const known = shape.reduce((p, d) => (d === -1 ? p : p * d), 1);
    if (known === 0 || total % known !== 0) {
      throw ctx.error(ErrorCode.ShapeMismatch, `cannot reshape ${shapeStr(inShape)} (${total} elements) to ${shapeStr(target)}`,
        'Check the target shape and the input shape (--input-shape).');
    }
    shape[inferred[0]] = total / known;
  }
  if (elementCount(shape) !== total) {
    throw ctx.error(ErrorCode.ShapeMismatch, `cannot reshape ${shapeStr(inShape)} (${total} elements) to ${shapeStr(target)} (${elementCount(shape)} elements)`,
      'Check the target shape and the input shape (--input-shape).');
  }
  return shape;
}

/** A scalar or single-element tensor's value, or a ShapeMismatch naming `what`. */
function scalarOf(ctx: ImportContext, t: Tensor, index: number, what: string): number {
  if (elementCount(t.shape) !== 1 || t.shape.length > 1) {
    throw ctx.error(ErrorCode.ShapeMismatch, `${what} input '${t.name}' has shape ${shapeStr(t.shape)}, expected a scalar`, 'Pass a scalar.');
  }
  return constNumbers(ctx, index)![0];
}

const PAD_MODES: readonly string[] = ['constant', 'reflect', 'edge', 'wrap'];

export const shapeImporters: OpImporter[] = [
  {
    onnxOp: 'Identity',
    import(ctx) {
      expectInputs(ctx, 1);
      const x = input(ctx, 0);
      return node('Identity', {}, out(x.dtype, [...x.shape]));
    },
  },
  {
    // Inference-mode Dropout is the identity. Training mode is random unless its ratio is 0.
    onnxOp: 'Dropout',
    constInputs: [1, 2],
    import(ctx) {
      const x = input(ctx, 0);
      if (!isFloat(x.dtype)) {
        throw ctx.error(ErrorCode.UnsupportedDType, `input '${x.name}' is ${x.dtype}; Dropout needs a float tensor`, 'Re-export the model.');
      }
      let ratio: number;
      let training = false;
      if (ctx.opset < 12) {
        expectInputs(ctx, 1);
        ratio = ctx.attrs.float('ratio', 0.5);
      } else {
        expectInputs(ctx, 1, 3);
        ctx.attrs.int('seed');
        const r = ctx.inputs[1];
        ratio = r ? scalarOf(ctx, r, 1, 'ratio') : 0.5;
        const t = ctx.inputs[2];
        if (t) {
          if (t.dtype !== 'bool') throw ctx.error(ErrorCode.UnsupportedDType, `training_mode input '${t.name}' is ${t.dtype}, expected bool`, 'Re-export the model.');
          training = scalarOf(ctx, t, 2, 'training_mode') !== 0;
        }
      }
      if (!(ratio >= 0 && ratio < 1)) {
        throw ctx.error(ErrorCode.BadAttribute, `ratio ${ratio} is outside [0, 1)`, 'Use a dropout ratio in [0, 1).');
      }
      if (training && ratio !== 0) {
        throw ctx.error(ErrorCode.BadAttribute, `training-mode Dropout (ratio ${ratio}) is random, which qgc does not compile`,
          'Export the model in eval mode (model.eval() before torch.onnx.export), or set training_mode to false.');
      }
      const outs = out(x.dtype, [...x.shape]);
      if (ctx.outputCount >= 2) {
        if (ctx.opset < 10) {
          throw ctx.error(ErrorCode.BadAttribute, 'the mask output of Dropout before opset 10 is not supported',
            'Leave the mask output empty, or convert the model to opset 10 or later.');
        }
        // Nothing is dropped in inference: the mask is all true (the Identity kernel makes it).
        outs.push({ dtype: 'bool', shape: [...x.shape] });
      }
      return node('Identity', {}, outs, [0]);
    },
  },
  {
    onnxOp: 'Constant',
    import(ctx) {
      expectInputs(ctx, 0);
      const a = ctx.attrs;
      for (const name of ['sparse_value', 'value_string', 'value_strings']) {
        if (a.has(name)) {
          throw a.bad(name, 'is not supported (qgc holds dense numeric tensors only)', 'Replace the Constant with a dense numeric initializer.');
        }
      }
      const candidates: Omit<Tensor, 'name'>[] = [];
      const value = a.tensor('value');
      if (value) candidates.push({ dtype: value.dtype, shape: value.shape, data: value.data! });
      if (ctx.opset >= 12) {
        const f = a.float('value_float');
        if (f !== undefined) candidates.push({ dtype: 'float32', shape: [], data: Float32Array.of(f) });
        const fs = a.floats('value_floats');
        if (fs) candidates.push({ dtype: 'float32', shape: [fs.length], data: Float32Array.from(fs) });
        const i = a.int('value_int');
        if (i !== undefined) candidates.push({ dtype: 'int64', shape: [], data: BigInt64Array.of(BigInt(i)) });
        const is = a.ints('value_ints');
        if (is) candidates.push({ dtype: 'int64', shape: [is.length], data: BigInt64Array.from(is, (v) => BigInt(v)) });
      }
      if (candidates.length !== 1) {
        throw ctx.error(ErrorCode.BadAttribute, candidates.length === 0 ? 'has no value attribute' : 'has more than one value attribute',
          'A Constant needs exactly one of value, value_float(s), value_int(s); re-export the model.');
      }
      return { kind: 'constant', tensor: candidates[0] };
    },
  },
  {
    onnxOp: 'Shape',
    import(ctx) {
      expectInputs(ctx, 1);
      const x = input(ctx, 0);
      const rank = x.shape.length;
      let start = 0;
      let end = rank;
      if (ctx.opset >= 15) {
        const clamp = (v: number) => Math.min(rank, Math.max(0, v < 0 ? v + rank : v));
        start = clamp(ctx.attrs.int('start', 0));
        end = clamp(ctx.attrs.int('end', rank));
      }
      const dims = x.shape.slice(start, Math.max(start, end));
      return { kind: 'constant', tensor: { dtype: 'int64', shape: [dims.length], data: BigInt64Array.from(dims, (d) => BigInt(d)) } };
    },
  },
  {
    onnxOp: 'Flatten',
    import(ctx) {
      expectInputs(ctx, 1);
      const x = input(ctx, 0);
      const rank = x.shape.length;
      const raw = ctx.attrs.int('axis', 1);
      const axis = raw < 0 ? raw + rank : raw;
      if (!Number.isInteger(axis) || axis < 0 || axis > rank) {
        throw ctx.attrs.bad('axis', `${raw} is out of range for rank ${rank}`, 'Use an axis in [-rank, rank].');
      }
      return node('Flatten', { axis }, out(x.dtype, [elementCount(x.shape.slice(0, axis)), elementCount(x.shape.slice(axis))]));
    },
  },
  {
    onnxOp: 'Reshape',
    constInputs: [1],
    import(ctx) {
      expectInputs(ctx, 2);
      const x = input(ctx, 0);
      input(ctx, 1);
      const target = intList(ctx, 1, 'shape')!;
      const allowZero = ctx.opset >= 14 ? ctx.attrs.int('allowzero', 0) !== 0 : false;
      const shape = resolveReshape(ctx, x.shape, target, allowZero);
      return node('Reshape', { shape }, out(x.dtype, shape), [0]);
    },
  },
  {
    onnxOp: 'Transpose',
    import(ctx) {
      expectInputs(ctx, 1);
      const x = input(ctx, 0);
      const rank = x.shape.length;
      const perm = ctx.attrs.ints('perm', x.shape.map((_, i) => rank - 1 - i));
      const valid = perm.length === rank && perm.every((p) => Number.isInteger(p) && p >= 0 && p < rank) && new Set(perm).size === rank;
      if (!valid) throw ctx.attrs.bad('perm', `[${perm.join(', ')}] is not a permutation of the ${rank} input axes`, 'Fix the permutation.');
      return node('Transpose', { perm }, out(x.dtype, perm.map((p) => x.shape[p])));
    },
  },
  {
    onnxOp: 'Concat',
    import(ctx) {
      if (ctx.inputs.length < 1) throw ctx.error(ErrorCode.BadGraph, 'has no inputs', 'Concat needs at least one input; re-export the model.');
      const parts = ctx.inputs.map((_, i) => input(ctx, i));
      const first = parts[0];
      const rank = first.shape.length;
      const raw = ctx.attrs.int('axis');
      if (raw === undefined) throw ctx.attrs.bad('axis', 'is required', 'Give Concat an axis.');
      if (rank === 0) throw ctx.error(ErrorCode.ShapeMismatch, `input '${first.name}' is a scalar, which cannot be concatenated`, 'Unsqueeze it to 1-D first.');
      const axis = normAxis(ctx, raw, rank);
      const shape = [...first.shape];
      shape[axis] = 0;
      for (const p of parts) {
        if (p.dtype !== first.dtype) {
          throw ctx.error(ErrorCode.UnsupportedDType, `input '${p.name}' is ${p.dtype} but '${first.name}' is ${first.dtype}`, 'All inputs must have the same type; insert a Cast.');
        }
        if (p.shape.length !== rank || p.shape.some((d, i) => i !== axis && d !== first.shape[i])) {
          throw ctx.error(ErrorCode.ShapeMismatch, `input '${p.name}' has shape ${shapeStr(p.shape)}, which does not match ${shapeStr(first.shape)} outside axis ${axis}`,
            'Check the input shapes (--input-shape).');
        }
        shape[axis] += p.shape[axis];
      }
      return node('Concat', { axis }, out(first.dtype, shape));
    },
  },
  {
    onnxOp: 'Squeeze',
    constInputs: [1],
    import(ctx) {
      const x = input(ctx, 0);
      const rank = x.shape.length;
      const given = axesOf(ctx);
      let shape: number[];
      if (given === undefined || given.length === 0) {
        shape = x.shape.filter((d) => d !== 1);
      } else {
        const axes = normAxes(ctx, given, rank);
        for (const a of axes) {
          if (x.shape[a] !== 1) {
            throw ctx.error(ErrorCode.ShapeMismatch, `cannot squeeze axis ${a} of shape ${shapeStr(x.shape)}: its size is not 1`,
              'Check the axes and the input shape (--input-shape).');
          }
        }
        shape = x.shape.filter((_, i) => !axes.includes(i));
      }
      return node('Squeeze', { shape }, out(x.dtype, shape), [0]);
    },
  },
  {
    onnxOp: 'Unsqueeze',
    constInputs: [1],
    import(ctx) {
      const x = input(ctx, 0);
      const given = axesOf(ctx);
      if (given === undefined) {
        throw ctx.error(ErrorCode.BadAttribute, 'has no axes', ctx.opset < 13 ? "Give Unsqueeze an 'axes' attribute." : 'Give Unsqueeze its axes input.');
      }
      const rank = x.shape.length + given.length;
      const axes = normAxes(ctx, given, rank);
      const shape: number[] = [];
      let k = 0;
      for (let i = 0; i < rank; i++) shape.push(axes.includes(i) ? 1 : x.shape[k++]);
      return node('Unsqueeze', { shape }, out(x.dtype, shape), [0]);
    },
  },
  {
    onnxOp: 'Pad',
    constInputs: [1, 2, 3],
    import(ctx) {
      const x = input(ctx, 0);
      const rank = x.shape.length;
      const modeStr = ctx.attrs.string('mode', 'constant');
      if (!PAD_MODES.includes(modeStr) || (modeStr === 'wrap' && ctx.opset < 19)) {
        throw ctx.attrs.bad('mode', `'${modeStr}' is not supported`, `Use one of constant, reflect, edge${ctx.opset >= 19 ? ', wrap' : ''}.`);
      }
      const mode = modeStr as PadAttrs['mode'];
      let raw: number[];
      let value = 0;
      let axes = x.shape.map((_, i) => i);
      if (ctx.opset < 11) {
        expectInputs(ctx, 1);
        const p = ctx.attrs.ints('pads');
        if (!p) throw ctx.attrs.bad('pads', 'is required', 'Give Pad its pads.');
        raw = p;
        value = ctx.attrs.float('value', 0);
      } else {
        expectInputs(ctx, 2, ctx.opset >= 18 ? 4 : 3);
        input(ctx, 1);
        raw = intList(ctx, 1, 'pads')!;
        const cv = ctx.inputs[2];
        if (cv) {
          if (cv.dtype !== x.dtype) {
            throw ctx.error(ErrorCode.UnsupportedDType, `constant_value '${cv.name}' is ${cv.dtype} but the data is ${x.dtype}`, 'Both must have the same type; re-export the model.');
          }
          value = scalarOf(ctx, cv, 2, 'constant_value');
        }
        const ax = intList(ctx, 3, 'axes');
        if (ax) axes = normAxes(ctx, ax, rank);
      }
      if (raw.length !== 2 * axes.length) {
        throw ctx.error(ErrorCode.ShapeMismatch, `pads [${raw.join(', ')}] need ${2 * axes.length} values (2 per padded axis)`, 'Fix the pads.');
      }
      const pads = new Array<number>(2 * rank).fill(0);
      axes.forEach((a, i) => {
        pads[a] = raw[i];
        pads[a + rank] = raw[i + axes.length];
      });
      const shape = x.shape.map((d, i) => d + pads[i] + pads[i + rank]);
      x.shape.forEach((d, i) => {
        const kept = d - Math.max(0, -pads[i]) - Math.max(0, -pads[i + rank]);
        if (shape[i] < 0 || kept < 0) {
          throw ctx.error(ErrorCode.ShapeMismatch, `pads [${pads.join(', ')}] crop more than axis ${i} of ${shapeStr(x.shape)} holds`, 'Fix the pads.');
        }
        if (mode !== 'constant' && kept === 0 && shape[i] > 0) {
          throw ctx.error(ErrorCode.ShapeMismatch, `${mode} padding of an empty axis ${i} has nothing to copy`, "Use mode 'constant'.");
        }
      });
      if (x.dtype === 'float16') value = roundToFloat16(value);
      return node('Pad', { mode, pads, value }, out(x.dtype, shape), [0]);
    },
  },
  {
    onnxOp: 'Gather',
    import(ctx) {
      expectInputs(ctx, 2);
      const x = input(ctx, 0);
      const idx = input(ctx, 1);
      if (idx.dtype !== 'int64' && idx.dtype !== 'int32') {
        throw ctx.error(ErrorCode.UnsupportedDType, `indices '${idx.name}' are ${idx.dtype}, expected int32 or int64`, 'Re-export the model.');
      }
      if (x.shape.length === 0) throw ctx.error(ErrorCode.ShapeMismatch, `data '${x.name}' is a scalar`, 'Gather needs data of rank 1 or more.');
      const axis = normAxis(ctx, ctx.attrs.int('axis', 0), x.shape.length);
      const dim = x.shape[axis];
      if (idx.data) {
        for (const v of toNumbers(idx.data)) {
          if (v < -dim || v >= dim) {
            throw ctx.error(ErrorCode.ShapeMismatch, `index ${v} is out of range for axis ${axis} of size ${dim}`, `Indices must lie in [-${dim}, ${dim - 1}].`);
          }
        }
      }
      const shape = [...x.shape.slice(0, axis), ...idx.shape, ...x.shape.slice(axis + 1)];
      return node('Gather', { axis }, out(x.dtype, shape));
    },
  },
];
