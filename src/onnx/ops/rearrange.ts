/** Importers for the ops that only copy elements: Slice, Split, Expand, Tile, DepthToSpace and
 * SpaceToDepth. Their index operands (starts/ends/axes/steps, split sizes, the target shape,
 * repeats) must be constant; opset differences (attributes that became inputs) end here. */
import { ErrorCode } from '../../errors.js';
import { elementCount, type Tensor } from '../../ir/graph.js';
import type { BlockAttrs } from '../../ir/ops.js';
import { broadcastShapes, constNumbers, expectInputs, input, normAxis } from './common.js';
import { node, type ImportContext, type OpImporter } from './types.js';

const shapeStr = (s: readonly number[]) => `[${s.join(', ')}]`;

/** A constant 1-D int32/int64 input's values (undefined when the input is omitted or empty-named). */
function intInput(ctx: ImportContext, index: number, what: string): number[] | undefined {
  const t = ctx.inputs[index];
  if (!t) return undefined;
  if (t.dtype !== 'int64' && t.dtype !== 'int32') {
    throw ctx.error(ErrorCode.UnsupportedDType, `${what} input '${t.name}' is ${t.dtype}, expected int64 or int32`, 'Re-export the model; ONNX requires an integer tensor here.');
  }
  if (t.shape.length !== 1) {
    throw ctx.error(ErrorCode.ShapeMismatch, `${what} input '${t.name}' has shape ${shapeStr(t.shape)}, expected a 1-D tensor`, 'Re-export the model.');
  }
  return constNumbers(ctx, index);
}

function distinctAxes(ctx: ImportContext, raw: readonly number[], rank: number): number[] {
  const axes = raw.map((a) => normAxis(ctx, a, rank, 'axes entry'));
  if (new Set(axes).size !== axes.length) {
    throw ctx.error(ErrorCode.BadAttribute, `axes [${raw.join(', ')}] name an axis twice`, 'List each axis once.');
  }
  return axes;
}

/** Slice: starts/ends/axes as attributes before opset 10, as inputs (with steps) from 10. */
function importSlice(ctx: ImportContext) {
  const x = input(ctx, 0);
  const rank = x.shape.length;
  let starts: number[];
  let ends: number[];
  let axesRaw: number[] | undefined;
  let steps: number[] | undefined;
  if (ctx.opset < 10) {
    expectInputs(ctx, 1);
    const s = ctx.attrs.ints('starts');
    const e = ctx.attrs.ints('ends');
    if (!s || !e) throw ctx.attrs.bad(s ? 'ends' : 'starts', 'is required', 'Give Slice its starts and ends.');
    [starts, ends] = [s, e];
    axesRaw = ctx.attrs.ints('axes');
  } else {
    expectInputs(ctx, 3, 5);
    input(ctx, 1);
    input(ctx, 2);
    starts = intInput(ctx, 1, 'starts')!;
    ends = intInput(ctx, 2, 'ends')!;
    axesRaw = intInput(ctx, 3, 'axes');
    steps = intInput(ctx, 4, 'steps');
  }
  const axes = distinctAxes(ctx, axesRaw ?? starts.map((_, i) => i), rank);
  steps ??= starts.map(() => 1);
  if (ends.length !== starts.length || axes.length !== starts.length || steps.length !== starts.length) {
    throw ctx.error(ErrorCode.ShapeMismatch, `starts (${starts.length}), ends (${ends.length}), axes (${axes.length}) and steps (${steps.length}) differ in length`,
      'Give one start, end, axis and step per sliced axis.');
  }
  const first = x.shape.map(() => 0);
  const step = x.shape.map(() => 1);
  const shape = [...x.shape];
  axes.forEach((a, i) => {
    const dim = x.shape[a];
    const st = steps[i];
    if (st === 0) throw ctx.error(ErrorCode.BadAttribute, `step of axis ${a} is 0`, 'Slice steps must be non-zero.');
    let s = starts[i] < 0 ? starts[i] + dim : starts[i];
    let e = ends[i] < 0 ? ends[i] + dim : ends[i];
    if (st > 0) {
      s = Math.min(Math.max(s, 0), dim);
      e = Math.min(Math.max(e, 0), dim);
      shape[a] = Math.max(0, Math.ceil((e - s) / st));
    } else {
      s = Math.min(Math.max(s, 0), dim - 1);
      e = Math.min(Math.max(e, -1), dim - 1);
      shape[a] = Math.max(0, Math.ceil((s - e) / -st));
    }
    first[a] = shape[a] === 0 ? 0 : s;
    step[a] = st;
  });
  return node('Slice', { starts: first, steps: step, shape }, [{ dtype: x.dtype, shape }], [0]);
}

/** Split: sizes as an attribute (opsets 1 to 12; opset 1 also as input 1), as input 1 from 13;
 * num_outputs (opset 18) or the number of outputs gives equal parts. */
function importSplit(ctx: ImportContext) {
  const x = input(ctx, 0);
  if (x.shape.length === 0) throw ctx.error(ErrorCode.ShapeMismatch, `input '${x.name}' is a scalar`, 'Split needs a tensor of rank 1 or more.');
  const axis = normAxis(ctx, ctx.attrs.int('axis', 0), x.shape.length);
  const dim = x.shape[axis];
  let splits: number[] | undefined;
  if (ctx.opset >= 13 || ctx.opset < 2) {
    expectInputs(ctx, 1, 2);
    splits = intInput(ctx, 1, 'split');
    if (ctx.opset < 2) {
      const attr = ctx.attrs.ints('split');
      if (attr && splits) throw ctx.attrs.bad('split', 'is given both as attribute and input', 'Give the split sizes once.');
      splits ??= attr;
    }
  } else {
    expectInputs(ctx, 1);
    splits = ctx.attrs.ints('split');
  }
  const numOutputs = ctx.opset >= 18 ? ctx.attrs.int('num_outputs') : undefined;
  const n = ctx.outputCount;
  if (numOutputs !== undefined) {
    if (splits) throw ctx.attrs.bad('num_outputs', 'is given together with the split input', 'Give either split or num_outputs, as ONNX requires.');
    if (numOutputs !== n || n < 1) throw ctx.attrs.bad('num_outputs', `is ${numOutputs} but the node has ${n} outputs`);
    // Opset 18: ceil(dim / n) per output, the last one smaller when it does not divide.
    const part = Math.ceil(dim / n);
    splits = Array.from({ length: n }, (_, i) => Math.max(0, Math.min(part, dim - i * part)));
  } else if (!splits || splits.length === 0) {
    if (n < 1 || dim % n !== 0) {
      throw ctx.error(ErrorCode.ShapeMismatch, `axis ${axis} of size ${dim} does not split into ${n} equal parts`, 'Give the split sizes.');
    }
    splits = new Array<number>(n).fill(dim / n);
  }
  if (splits.length !== n || splits.some((s) => s < 0) || splits.reduce((a, b) => a + b, 0) !== dim) {
    throw ctx.error(ErrorCode.ShapeMismatch, `split [${splits.join(', ')}] does not cut axis ${axis} of size ${dim} into the node's ${n} outputs`,
      'Give one non-negative size per output, summing to the axis size.');
  }
  return node('Split', { axis, splits }, splits.map((s) => ({ dtype: x.dtype, shape: x.shape.map((d, i) => (i === axis ? s : d)) })), [0]);
}

function importBlock(ctx: ImportContext, op: 'DepthToSpace' | 'SpaceToDepth') {
  expectInputs(ctx, 1);
  const x = input(ctx, 0);
  const bs = ctx.attrs.int('blocksize');
  if (bs === undefined || bs < 1) throw ctx.attrs.bad('blocksize', bs === undefined ? 'is required' : `is ${bs}; it must be positive`);
  const modeAt = op === 'DepthToSpace' ? 11 : 28;
  const mode = ctx.opset >= modeAt ? ctx.attrs.string('mode', 'DCR') : 'DCR';
  if (mode !== 'DCR' && mode !== 'CRD') throw ctx.attrs.bad('mode', `is '${mode}'; it must be 'DCR' or 'CRD'`);
  if (x.shape.length !== 4) {
    throw ctx.error(ErrorCode.ShapeMismatch, `input '${x.name}' has shape ${shapeStr(x.shape)}; ${op} needs [N, C, H, W]`, 'Check the input shape (--input-shape).');
  }
  const [b, c, h, w] = x.shape;
  let shape: number[];
  if (op === 'DepthToSpace') {
    if (c % (bs * bs) !== 0) throw ctx.error(ErrorCode.ShapeMismatch, `channels ${c} are not a multiple of blocksize² (${bs * bs})`, 'Check the blocksize and the input shape.');
    shape = [b, c / (bs * bs), h * bs, w * bs];
  } else {
    if (h % bs !== 0 || w % bs !== 0) throw ctx.error(ErrorCode.ShapeMismatch, `height ${h} and width ${w} are not multiples of blocksize ${bs}`, 'Check the blocksize and the input shape.');
    shape = [b, c * bs * bs, h / bs, w / bs];
  }
  const attrs: BlockAttrs = { blocksize: bs, mode };
  return node(op, attrs, [{ dtype: x.dtype, shape }]);
}

function expectRepeatable(ctx: ImportContext, x: Tensor): void {
  if (x.dtype === 'int4' || x.dtype === 'uint4') {
    throw ctx.error(ErrorCode.UnsupportedDType, `input '${x.name}' is ${x.dtype}; ${ctx.opType} takes 8-bit and wider tensors`, 'Cast to int8 first.');
  }
}

export const rearrangeImporters: OpImporter[] = [
  { onnxOp: 'Slice', constInputs: [1, 2, 3, 4], import: importSlice },
  { onnxOp: 'Split', constInputs: [1], import: importSplit },
  {
    onnxOp: 'Expand',
    constInputs: [1],
    import(ctx) {
      expectInputs(ctx, 2);
      const x = input(ctx, 0);
      input(ctx, 1);
      expectRepeatable(ctx, x);
      const target = intInput(ctx, 1, 'shape')!;
      if (target.some((d) => d < 0)) throw ctx.error(ErrorCode.BadAttribute, `shape ${shapeStr(target)} has a negative dim`, 'Fix the target shape.');
      const shape = broadcastShapes(ctx, x.shape, target);
      return node('Expand', { shape }, [{ dtype: x.dtype, shape }], [0]);
    },
  },
  {
    onnxOp: 'Tile',
    constInputs: [1],
    import(ctx) {
      if (ctx.opset < 6) {
        throw ctx.error(ErrorCode.UnsupportedOpset, `Tile before opset 6 (tiles and axis inputs) is not supported; the model is at opset ${ctx.opset}`,
          'Convert the model with onnx.version_converter.convert_version(model, 6) or later.');
      }
      expectInputs(ctx, 2);
      const x = input(ctx, 0);
      input(ctx, 1);
      expectRepeatable(ctx, x);
      const repeats = intInput(ctx, 1, 'repeats')!;
      if (repeats.length !== x.shape.length || repeats.some((r) => r < 0)) {
        throw ctx.error(ErrorCode.ShapeMismatch, `repeats [${repeats.join(', ')}] need one non-negative count per dim of ${shapeStr(x.shape)}`, 'Fix the repeats.');
      }
      const shape = x.shape.map((d, i) => d * repeats[i]);
      if (!Number.isSafeInteger(elementCount(shape))) throw ctx.error(ErrorCode.ShapeMismatch, `tiling gives shape ${shapeStr(shape)}`, 'Fix the repeats.');
      return node('Tile', { repeats }, [{ dtype: x.dtype, shape }], [0]);
    },
  },
  { onnxOp: 'DepthToSpace', import: (ctx) => importBlock(ctx, 'DepthToSpace') },
  { onnxOp: 'SpaceToDepth', import: (ctx) => importBlock(ctx, 'SpaceToDepth') },
];
