/** The second set of shape and resampling ops (Slice, Split, Expand, Tile, DepthToSpace,
 * SpaceToDepth, Resize, ConvTranspose, ConstantOfShape, Range, Size): hand-checked kernels,
 * import shapes across opsets, refusals, PyTorch's padding subgraph folding at import, the JSON
 * form, and the int8 path refusing them. */
import { describe, expect, it } from 'vitest';
import { CompileError, ErrorCode } from '../src/errors.js';
import { allocate, type DType, type TensorData } from '../src/ir/dtype.js';
import type { Graph } from '../src/ir/graph.js';
import { printGraph } from '../src/ir/printer.js';
import { graphFromJson, graphToJson } from '../src/ir/serialize.js';
import { runGraph, runNode } from '../src/interp/run.js';
import type { Value } from '../src/interp/types.js';
import { onnx } from '../src/onnx/proto.js';
import { attr } from '../src/onnx/export-proto.js';
import { foldConstants } from '../src/passes/fold-constants.js';
import { quantizeGraph } from '../src/passes/quantize.js';
import { init } from './support/qdq-models.js';
import { f32, i64, importError, load, model } from './support/op-models.js';

function val(dtype: DType, shape: number[], values: readonly (number | bigint)[]): Value {
  const data = allocate(dtype, values.length) as TensorData;
  values.forEach((v, i) => ((data as unknown as { [i: number]: unknown })[i] = typeof data[0] === 'bigint' ? BigInt(v) : Number(v)));
  return { dtype, shape, data };
}
const list = (v: Value) => Array.from(v.data as ArrayLike<number | bigint>);
const f = (shape: number[], values: number[]) => val('float32', shape, values);
const iota = (n: number) => Array.from({ length: n }, (_, i) => i);
function run(op: string, attrs: object, inputs: (Value | undefined)[], outputs = 1): Value[] {
  return runNode({ name: 'n', op, inputs: inputs.map((_, i) => `i${i}`), outputs: Array.from({ length: outputs }, (_, i) => `o${i}`), attrs } as never, inputs);
}

const tensorAttr = (name: string, t: object) => ({ name, type: onnx.AttributeProto.AttributeType.TENSOR, t });
const shapeOf = (g: Graph, t: string) => g.tensors.get(t)!.shape;

describe('kernels: hand-checked values', () => {
  it('Slice: per-axis starts and steps, backwards, int64', () => {
    // x = [[0..3], [4..7], [8..11]]; rows 2,0 (step -2), columns 1..2.
    const [y] = run('Slice', { starts: [2, 1], steps: [-2, 1], shape: [2, 2] }, [f([3, 4], iota(12))]);
    expect(list(y)).toEqual([9, 10, 1, 2]);
    const [z] = run('Slice', { starts: [3], steps: [-1], shape: [4] }, [val('int64', [4], [1, 2, 3, 4])]);
    expect(list(z)).toEqual([4n, 3n, 2n, 1n]);
  });

  it('Split into uneven parts along axis 1', () => {
    const ys = run('Split', { axis: 1, splits: [1, 2] }, [f([2, 3], iota(6))], 2);
    expect(ys.map((y) => [y.shape, list(y)])).toEqual([[[2, 1], [0, 3]], [[2, 2], [1, 2, 4, 5]]]);
  });

  it('Expand broadcasts both ways; Tile repeats each dim', () => {
    const [e] = run('Expand', { shape: [2, 3] }, [f([2, 1], [1, 2])]);
    expect(list(e)).toEqual([1, 1, 1, 2, 2, 2]);
    const [t] = run('Tile', { repeats: [2, 2] }, [f([1, 2], [1, 2])]);
    expect([t.shape, list(t)]).toEqual([[2, 4], [1, 2, 1, 2, 1, 2, 1, 2]]);
  });

  it('DepthToSpace (DCR and CRD) and SpaceToDepth undo each other', () => {
    const x = f([1, 4, 1, 1], [0, 1, 2, 3]);
    // DCR: channel = (row * bs + col) * C' + c; CRD: channel = c * bs² + row * bs + col (C' = 1: the same).
    expect(list(run('DepthToSpace', { blocksize: 2, mode: 'DCR' }, [x])[0])).toEqual([0, 1, 2, 3]);
    const x8 = f([1, 8, 1, 1], iota(8));
    expect(list(run('DepthToSpace', { blocksize: 2, mode: 'DCR' }, [x8])[0])).toEqual([0, 2, 4, 6, 1, 3, 5, 7]);
    expect(list(run('DepthToSpace', { blocksize: 2, mode: 'CRD' }, [x8])[0])).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    for (const mode of ['DCR', 'CRD']) {
      const space = run('DepthToSpace', { blocksize: 2, mode }, [x8])[0];
      expect(list(run('SpaceToDepth', { blocksize: 2, mode }, [space])[0])).toEqual(iota(8));
    }
  });

  it('Resize: nearest (floor, round_prefer_floor) and linear (half_pixel, align_corners) in 1-D', () => {
    const x = f([1, 1, 1, 2], [1, 3]);
    const at = (mode: string, coordinateMode: string, nearestMode: string) =>
      list(run('Resize', { mode, coordinateMode, nearestMode, scales: [1, 1, 1, 2], shape: [1, 1, 1, 4] }, [x])[0]);
    expect(at('nearest', 'asymmetric', 'floor')).toEqual([1, 1, 3, 3]);
    // half_pixel sources: -0.25, 0.25, 0.75, 1.25 → clamped linear: 1, 1.5, 2.5, 3.
    expect(at('linear', 'half_pixel', 'floor')).toEqual([1, 1.5, 2.5, 3]);
    expect(at('linear', 'align_corners', 'floor')).toEqual([1, 1 + 2 / 3, 1 + 4 / 3, 3].map(Math.fround));
    // asymmetric sources 0, 0.5, 1, 1.5: round_prefer_floor takes 0 for 0.5 and 1 for 1.5.
    expect(at('nearest', 'asymmetric', 'round_prefer_floor')).toEqual([1, 1, 3, 3]);
    expect(at('nearest', 'asymmetric', 'round_prefer_ceil')).toEqual([1, 3, 3, 3]);
    // Resize-10's rounding: at scale 0.7 on 5 elements the sources are 0, 1.43, 2.86 → ceil 0, 2, 3.
    const down = run('Resize', { mode: 'nearest', coordinateMode: 'asymmetric', nearestMode: 'simple', scales: [0.7], shape: [3] }, [f([5], [10, 11, 12, 13, 14])])[0];
    expect(list(down)).toEqual([10, 12, 13]);
  });

  it('ConvTranspose 1-D: stride 2, pads, output padding, bias, groups', () => {
    // x = [1, 2], w = [1, 1, 1]: stride 2 places windows at 0 and 2 → [1, 1, 3, 2, 2].
    const x = f([1, 1, 2], [1, 2]);
    const w = f([1, 1, 3], [1, 1, 1]);
    const base = { kernel: [3], strides: [2], dilations: [1], group: 1 };
    expect(list(run('ConvTranspose', { ...base, pads: [0, 0], outputPadding: [0] }, [x, w])[0])).toEqual([1, 1, 3, 2, 2]);
    expect(list(run('ConvTranspose', { ...base, pads: [1, 0], outputPadding: [1] }, [x, w, f([1], [10])])[0])).toEqual([11, 13, 12, 12, 10]);
    // Two groups, one channel each: each output channel sees its own input channel only.
    const [g] = run('ConvTranspose', { kernel: [1], strides: [1], dilations: [1], group: 2, pads: [0, 0], outputPadding: [0] },
      [f([1, 2, 1], [1, 2]), f([2, 1, 1], [3, 5])]);
    expect(list(g)).toEqual([3, 10]);
  });

  it('ConstantOfShape fills; Range counts by start + i * delta', () => {
    const [c] = run('ConstantOfShape', { dtype: 'int64', value: 7 }, [val('int64', [2], [2, 1])]);
    expect([c.shape, list(c)]).toEqual([[2, 1], [7n, 7n]]);
    const s = (v: number) => val('float32', [], [v]);
    expect(list(run('Range', {}, [s(1), s(2), s(0.25)])[0])).toEqual([1, 1.25, 1.5, 1.75]);
    const i = (v: number) => val('int64', [], [v]);
    expect(list(run('Range', {}, [i(10), i(4), i(-3)])[0])).toEqual([10n, 7n]);
  });
});

describe('import: shapes, opsets, refusals', () => {
  it('Slice: attributes before opset 10, inputs (with steps, clamping, negative indices) from 10', () => {
    const old = load(model([{ opType: 'Slice', input: ['x'], output: ['y'], attribute: [attr.ints('starts', [1]), attr.ints('ends', [1000]), attr.ints('axes', [1])] }],
      [['x', 'float32', [2, 5]]], ['y'], 9));
    expect(shapeOf(old, 'y')).toEqual([2, 4]);
    const g = load(model([{ opType: 'Slice', input: ['x', 's', 'e', 'a', 'st'], output: ['y'] }], [['x', 'float32', [2, 5]]], ['y'], 13,
      [i64('s', [-1]), i64('e', [-1e15]), i64('a', [-1]), i64('st', [-2])]));
    expect(shapeOf(g, 'y')).toEqual([2, 3]);
    const y = runGraph(g, new Map([['x', f([2, 5], iota(10))]])).get('y')!;
    expect(list(y)).toEqual([4, 2, 0, 9, 7, 5]);
    // An opset-10 model with the attribute form, a zero step, and computed starts are refused.
    expect(importError(model([{ opType: 'Slice', input: ['x', 's', 'e'], output: ['y'], attribute: [attr.ints('axes', [0])] }], [['x', 'float32', [2]]], ['y'], 13,
      [i64('s', [0]), i64('e', [1])])).format()).toMatch(/attribute 'axes' not supported/);
    expect(importError(model([{ opType: 'Slice', input: ['x', 's', 'e', 'a', 'st'], output: ['y'] }], [['x', 'float32', [2]]], ['y'], 13,
      [i64('s', [0]), i64('e', [1]), i64('a', [0]), i64('st', [0])])).format()).toMatch(/step of axis 0 is 0/);
    expect(importError(model([{ opType: 'Slice', input: ['x', 's', 'e'], output: ['y'] }], [['x', 'float32', [2]], ['s', 'int64', [1]]], ['y'], 13,
      [i64('e', [1])])).format()).toMatch(/input 1 \('s'\) must be a constant/);
  });

  it('Split: the split attribute (opset 11), input (13), num_outputs (18, uneven), equal parts', () => {
    const outs: [string, DType][] = [['a', 'float32'], ['b', 'float32']];
    const at11 = load(model([{ opType: 'Split', input: ['x'], output: ['a', 'b'], attribute: [attr.int('axis', 1), attr.ints('split', [1, 4])] }], [['x', 'float32', [1, 5]]], outs, 11));
    expect([shapeOf(at11, 'a'), shapeOf(at11, 'b')]).toEqual([[1, 1], [1, 4]]);
    const at13 = load(model([{ opType: 'Split', input: ['x', 's'], output: ['a', 'b'] }], [['x', 'float32', [5]]], outs, 13, [i64('s', [2, 3])]));
    expect([shapeOf(at13, 'a'), shapeOf(at13, 'b')]).toEqual([[2], [3]]);
    const at18 = load(model([{ opType: 'Split', input: ['x'], output: ['a', 'b'], attribute: [attr.int('num_outputs', 2)] }], [['x', 'float32', [5]]], outs, 18));
    expect([shapeOf(at18, 'a'), shapeOf(at18, 'b')]).toEqual([[3], [2]]);
    const equal = load(model([{ opType: 'Split', input: ['x'], output: ['a', 'b'] }], [['x', 'float32', [4]]], outs, 13));
    expect([shapeOf(equal, 'a'), shapeOf(equal, 'b')]).toEqual([[2], [2]]);
    expect(importError(model([{ opType: 'Split', input: ['x'], output: ['a', 'b'], attribute: [attr.ints('split', [2, 2])] }], [['x', 'float32', [4]]], outs, 13)).format())
      .toMatch(/attribute 'split' not supported/);
    expect(importError(model([{ opType: 'Split', input: ['x', 's'], output: ['a', 'b'] }], [['x', 'float32', [4]]], outs, 13, [i64('s', [1, 2])])).format())
      .toMatch(/does not cut axis 0 of size 4/);
    expect(importError(model([{ opType: 'Split', input: ['x'], output: ['a', 'b'], attribute: [attr.int('num_outputs', 2)] }], [['x', 'float32', [4]]], outs, 13)).format())
      .toMatch(/'num_outputs' is not defined for Split at opset 13 \(ONNX adds it in opset 18\)/);
  });

  it('Expand, Tile, DepthToSpace and SpaceToDepth shapes; their refusals', () => {
    const g = load(model([
      { opType: 'Expand', input: ['x', 'shape'], output: ['e'] },
      { opType: 'Tile', input: ['e', 'rep'], output: ['t'] },
      { opType: 'DepthToSpace', input: ['t'], output: ['d'], attribute: [attr.int('blocksize', 2), attr.string('mode', 'CRD')] },
      { opType: 'SpaceToDepth', input: ['d'], output: ['y'], attribute: [attr.int('blocksize', 2)] },
    ], [['x', 'float32', [1, 4, 1, 1]]], ['y'], 13, [i64('shape', [2, 1]), i64('rep', [1, 1, 2, 3])]));
    expect(['e', 't', 'd', 'y'].map((t) => shapeOf(g, t))).toEqual([[1, 4, 2, 1], [1, 4, 4, 3], [1, 1, 8, 6], [1, 4, 4, 3]]);
    expect(importError(model([{ opType: 'Expand', input: ['x', 's'], output: ['y'] }], [['x', 'float32', [3]]], ['y'], 13, [i64('s', [2])])).format()).toMatch(/do not broadcast/);
    expect(importError(model([{ opType: 'Tile', input: ['x', 'r', 'a'], output: ['y'] }], [['x', 'float32', [3]]], ['y'], 5, [i64('r', [2]), i64('a', [0])])).format())
      .toMatch(/Tile before opset 6/);
    expect(importError(model([{ opType: 'DepthToSpace', input: ['x'], output: ['y'], attribute: [attr.int('blocksize', 2)] }], [['x', 'float32', [1, 3, 1, 1]]], ['y'], 13)).format())
      .toMatch(/channels 3 are not a multiple of blocksize/);
    expect(importError(model([{ opType: 'SpaceToDepth', input: ['x'], output: ['y'], attribute: [attr.int('blocksize', 2), attr.string('mode', 'CRD')] }], [['x', 'float32', [1, 1, 2, 2]]], ['y'], 13)).format())
      .toMatch(/'mode' is not defined for SpaceToDepth at opset 13 \(ONNX adds it in opset 28\)/);
  });

  it('Resize: opset 10 (scales), 13 (sizes), 18 (axes, not_larger); cubic, tf_crop_and_resize and antialias refused', () => {
    const at10 = load(model([{ opType: 'Resize', input: ['x', 's'], output: ['y'] }], [['x', 'float32', [1, 1, 2, 2]]], ['y'], 10, [f32('s', [4], [1, 1, 2, 3])]));
    expect(shapeOf(at10, 'y')).toEqual([1, 1, 4, 6]);
    const at13 = load(model([{ opType: 'Resize', input: ['x', '', '', 'sz'], output: ['y'], attribute: [attr.string('mode', 'linear')] }], [['x', 'float32', [1, 1, 2, 2]]], ['y'], 13, [i64('sz', [1, 1, 3, 5])]));
    expect(shapeOf(at13, 'y')).toEqual([1, 1, 3, 5]);
    const at18 = load(model([{ opType: 'Resize', input: ['x', '', '', 'sz'], output: ['y'], attribute: [attr.ints('axes', [3, 2]), attr.string('keep_aspect_ratio_policy', 'not_larger')] }],
      [['x', 'float32', [1, 1, 2, 4]]], ['y'], 18, [i64('sz', [6, 6])]));
    // Ratios 6/4 and 6/2: not_larger takes 1.5 for both axes → [3, 6].
    expect(shapeOf(at18, 'y')).toEqual([1, 1, 3, 6]);
    const refuse = (attrs: object[], opset = 13, scales = [1, 1, 2, 2]) =>
      importError(model([{ opType: 'Resize', input: ['x', '', 's'], output: ['y'], attribute: attrs }], [['x', 'float32', [1, 1, 2, 2]]], ['y'], opset, [f32('s', [4], scales)])).format();
    expect(refuse([attr.string('mode', 'cubic')])).toMatch(/'mode' 'cubic' is not supported; qgc implements 'nearest' and 'linear'/);
    expect(refuse([attr.string('coordinate_transformation_mode', 'tf_crop_and_resize')])).toMatch(/'tf_crop_and_resize' is not supported at opset 13/);
    expect(refuse([attr.string('coordinate_transformation_mode', 'half_pixel_symmetric')])).toMatch(/'half_pixel_symmetric' is not supported at opset 13/);
    expect(refuse([attr.string('mode', 'linear'), attr.int('antialias', 1)], 18, [1, 1, 0.5, 0.5])).toMatch(/'antialias' = 1 \(Resize, opset 18\) with downsampling is not implemented/);
    expect(refuse([attr.string('coordinate_transformation_mode', 'half_pixel')], 10)).toMatch(/'coordinate_transformation_mode' is not defined for Resize at opset 10/);
    expect(importError(model([{ opType: 'Resize', input: ['x', '', 's', 'sz'], output: ['y'] }], [['x', 'float32', [1, 1, 2, 2]]], ['y'], 13,
      [f32('s', [4], [1, 1, 2, 2]), i64('sz', [1, 1, 4, 4])])).format()).toMatch(/has both scales and sizes/);
  });

  it('ConvTranspose: 2-D output size with strides, pads and output_padding; auto_pad SAME and output_shape; groups', () => {
    const w = f32('w', [2, 3, 3, 3], new Array(54).fill(0.1));
    const conv = (attrs: object[], shape = [1, 2, 4, 5]) =>
      load(model([{ opType: 'ConvTranspose', input: ['x', 'w'], output: ['y'], attribute: attrs }], [['x', 'float32', shape]], ['y'], 13, [w]));
    // (4 - 1) * 2 + 1 + 3 - 1 - 0 = 9; (5 - 1) * 2 + 1 + 3 - 0 - 2 = 10.
    expect(shapeOf(conv([attr.ints('strides', [2, 2]), attr.ints('pads', [1, 0, 0, 2]), attr.ints('output_padding', [1, 1])]), 'y')).toEqual([1, 3, 9, 10]);
    expect(shapeOf(conv([attr.ints('strides', [2, 2]), attr.string('auto_pad', 'SAME_UPPER')]), 'y')).toEqual([1, 3, 8, 10]);
    expect(shapeOf(conv([attr.ints('strides', [3, 2]), attr.ints('output_shape', [12, 12])]), 'y')).toEqual([1, 3, 12, 12]);
    expect(shapeOf(conv([attr.int('group', 2)]), 'y')).toEqual([1, 6, 6, 7]);
    expect(importError(model([{ opType: 'ConvTranspose', input: ['x', 'w'], output: ['y'], attribute: [attr.int('group', 3)] }], [['x', 'float32', [1, 2, 4, 5]]], ['y'], 13, [w])).format())
      .toMatch(/'group' 3 must be positive and divide the input channels/);
    expect(importError(model([{ opType: 'ConvTranspose', input: ['x', 'w'], output: ['y'], attribute: [attr.ints('output_padding', [2, 0])] }], [['x', 'float32', [1, 2, 4, 5]]], ['y'], 13, [w])).format())
      .toMatch(/'output_padding' must hold 2 values, each below its stride or dilation/);
  });

  it('ConstantOfShape, Range and Size: types, folding, refusals', () => {
    const g = load(model([
      { opType: 'Size', input: ['x'], output: ['n'] },
      { opType: 'Range', input: ['zero', 'n', 'one'], output: ['r'] },
      { opType: 'Shape', input: ['r'], output: ['rs'] },
      { opType: 'ConstantOfShape', input: ['rs'], output: ['c'], attribute: [tensorAttr('value', f32('v', [1], [0.5]))] },
      { opType: 'Add', input: ['x', 'c'], output: ['y'] },
    ], [['x', 'float32', [6]]], ['y'], 13, [init('zero', 'int64', [], BigInt64Array.of(0n)), init('one', 'int64', [], BigInt64Array.of(1n))]));
    // Size, Range (int64) fold at import; the float ConstantOfShape is left to fold-constants.
    expect(list({ ...g.tensors.get('r')!, data: g.tensors.get('r')!.data! } as Value)).toEqual([0n, 1n, 2n, 3n, 4n, 5n]);
    expect(g.nodes.map((n) => n.op)).toEqual(['ConstantOfShape', 'Add']);
    const folded = foldConstants.run(g, {});
    expect(folded.nodes.map((n) => n.op)).toEqual(['Add']);
    expect(Array.from(folded.tensors.get('c')!.data as Float32Array)).toEqual(new Array(6).fill(0.5));
    expect(importError(model([{ opType: 'Range', input: ['a', 'b', 'c'], output: ['y'] }], [['x', 'float32', [1]]], ['y'], 13,
      [f32('a', [], [0]), f32('b', [], [1]), f32('c', [], [0])])).format()).toMatch(/delta is 0/);
    expect(importError(model([{ opType: 'ConstantOfShape', input: ['s'], output: ['y'] }], [['x', 'float32', [1]]], ['y'], 8, [i64('s', [1])])).format())
      .toMatch(/ConstantOfShape is not defined at opset 8/);
  });

  it("PyTorch's padding subgraph (ConstantOfShape → Concat → Reshape → Slice → Transpose → Reshape → Cast → Pad) folds on import", () => {
    // torch.onnx's F.pad(x, [1, 2]) at opset 13: pads [1, 2] become ONNX's [0, 0, 0, 1, 0, 0, 0, 2].
    const g = load(model([
      { opType: 'ConstantOfShape', input: ['four'], output: ['zeros'], attribute: [tensorAttr('value', i64('v', [0]))] },
      { opType: 'Concat', input: ['p', 'zeros'], output: ['cat'], attribute: [attr.int('axis', 0)] },
      { opType: 'Reshape', input: ['cat', 'm12'], output: ['pairs'] },
      { opType: 'Slice', input: ['pairs', 'sm1', 'send', 's0', 'sm1'], output: ['rev'] },
      { opType: 'Transpose', input: ['rev'], output: ['tr'], attribute: [attr.ints('perm', [1, 0])] },
      { opType: 'Reshape', input: ['tr', 'm1'], output: ['flat'] },
      { opType: 'Cast', input: ['flat'], output: ['pads'], attribute: [attr.int('to', onnx.TensorProto.DataType.INT64)] },
      { opType: 'Pad', input: ['x', 'pads'], output: ['y'] },
    ], [['x', 'float32', [1, 1, 3]]], ['y'], 13, [
      i64('four', [4]), i64('p', [1, 2]), i64('m12', [-1, 2]), i64('sm1', [-1]), init('send', 'int64', [1], BigInt64Array.of(-9223372036854775807n)), i64('s0', [0]), i64('m1', [-1]),
    ]));
    expect(g.nodes.map((n) => n.op)).toEqual(['Pad']);
    expect(g.tensors.get('pads')!.data).toEqual(BigInt64Array.from([0n, 0n, 1n, 0n, 0n, 2n]));
    expect(shapeOf(g, 'y')).toEqual([1, 1, 6]);
  });
});

describe('the JSON form and the int8 path', () => {
  function mixed(): Graph {
    return load(model([
      { opType: 'ConvTranspose', input: ['x', 'w'], output: ['ct'], attribute: [attr.ints('strides', [2, 2])] },
      { opType: 'Resize', input: ['ct', '', 's'], output: ['r'], attribute: [attr.string('mode', 'linear'), attr.string('coordinate_transformation_mode', 'align_corners')] },
      { opType: 'DepthToSpace', input: ['r'], output: ['d'], attribute: [attr.int('blocksize', 2)] },
      { opType: 'SpaceToDepth', input: ['d'], output: ['sd'], attribute: [attr.int('blocksize', 2)] },
      { opType: 'Tile', input: ['sd', 'rep'], output: ['t'] },
      { opType: 'Expand', input: ['t', 'shape'], output: ['e'] },
      { opType: 'Split', input: ['e'], output: ['a', 'b'], attribute: [attr.int('axis', 1)] },
      { opType: 'Slice', input: ['a', 'st', 'en'], output: ['y'] },
    ], [['x', 'float32', [1, 4, 2, 2]]], ['y', 'b'], 13, [
      f32('w', [4, 4, 1, 1], new Array(16).fill(0.25)), f32('s', [4], [1, 1, 2, 2]), i64('rep', [1, 2, 1, 1]), i64('shape', [2, 1, 1, 1]),
      i64('st', [1]), i64('en', [3]),
    ]));
  }

  it('a graph of the new ops survives graphToJson / graphFromJson and runs', () => {
    const g = mixed();
    const back = graphFromJson(JSON.parse(JSON.stringify(graphToJson(g))), 'net_schedule.json');
    expect(printGraph(back)).toBe(printGraph(g));
    expect(back).toStrictEqual(g);
    const y = runGraph(g, new Map([['x', f([1, 4, 2, 2], iota(16))]])).get('y')!;
    // [1, 4, 3, 3] → [1, 4, 6, 6] → [1, 1, 12, 12] → [1, 4, 6, 6] → [1, 8, 6, 6] → [2, 8, 6, 6] → halves [2, 4, 6, 6] → row 1.
    expect(y.shape).toEqual([1, 4, 6, 6]);
  });

  it('qgc quantize refuses them with the op and the node named', () => {
    const g = mixed();
    const ranges = new Map([...g.tensors.keys()].map((n) => [n, { min: -1, max: 1 }]));
    let err: unknown;
    try {
      quantizeGraph(g, ranges);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CompileError);
    expect((err as CompileError).code).toBe(ErrorCode.UnsupportedOp);
    expect((err as CompileError).format()).toMatch(/ConvTranspose is not supported in int8/);
  });
});
