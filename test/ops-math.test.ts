/** The ops of real small networks (math, reductions, comparisons and Where, LayerNormalization,
 * GlobalMaxPool, MatMul of two computed inputs): hand-checked kernel values, shape inference and
 * opset handling on import, refusals (attributes, types, input counts), folding on constants,
 * the JSON form, and the int8 path refusing them. */
import { describe, expect, it } from 'vitest';
import { CompileError, ErrorCode } from '../src/errors.js';
import { allocate, type DType, type TensorData } from '../src/ir/dtype.js';
import type { Graph } from '../src/ir/graph.js';
import { printGraph } from '../src/ir/printer.js';
import { graphFromJson, graphToJson } from '../src/ir/serialize.js';
import { erf } from '../src/interp/erf.js';
import { kernels } from '../src/interp/kernels.js';
import { gelu, geluTanh, softplus } from '../src/interp/math.js';
import { runGraph, runNode } from '../src/interp/run.js';
import type { Value } from '../src/interp/types.js';
import { roundToFloat16 } from '../src/interp/util.js';
import { attr } from '../src/onnx/export-proto.js';
import { foldConstants } from '../src/passes/fold-constants.js';
import { quantizeGraph } from '../src/passes/quantize.js';
import { f32, i64, importError, load, model } from './support/op-models.js';

function val(dtype: DType, shape: number[], values: readonly (number | bigint)[]): Value {
  const data = allocate(dtype, values.length) as TensorData;
  values.forEach((v, i) => ((data as unknown as { [i: number]: unknown })[i] = typeof data[0] === 'bigint' ? BigInt(v) : Number(v)));
  return { dtype, shape, data };
}
const list = (v: Value) => Array.from(v.data as ArrayLike<number | bigint>);
/** Runs one IR node of `op` with `attrs` on `inputs`. */
function run(op: string, attrs: object, inputs: (Value | undefined)[]): Value[] {
  return runNode({ name: 'n', op, inputs: inputs.map((_, i) => `i${i}`), outputs: ['o', 'o1', 'o2'], attrs } as never, inputs);
}
const close = (got: number[], want: number[], tol = 1e-12) => {
  expect(got.length).toBe(want.length);
  got.forEach((g, i) => expect(Math.abs(g - want[i]), `element ${i}: ${g} vs ${want[i]}`).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(want[i]))));
};


describe('kernels: hand-checked values', () => {
  it('erf matches reference values to 1e-15, keeps its sign and saturates', () => {
    // Values from mpmath.erf.
    close([0, 1e-10, 0.5, 1, -2, 3, 5.5].map(erf), [0, 1.1283791670955126e-10, 0.5204998778130465, 0.8427007929497149, -0.9953222650189527, 0.9999779095030014, 0.9999999999999927], 1e-15);
    expect([erf(6), erf(-40), erf(Infinity)]).toEqual([1, -1, 1]);
    expect(erf(NaN)).toBeNaN();
  });

  it('Gelu (exact and tanh), Softplus without overflow', () => {
    close([gelu(1), gelu(-1), gelu(0)], [0.8413447460685429, -0.15865525393145707, 0]);
    close([geluTanh(1), geluTanh(-3)], [0.8411919906082768, -0.0036373920817729943]);
    expect(softplus(1000)).toBe(1000);
    close([softplus(0), softplus(-100)], [Math.LN2, 3.720075976020836e-44]);
  });

  it('Abs and Neg keep integer types and wrap like C; float16 results are rounded', () => {
    expect(list(run('Abs', {}, [val('int8', [3], [-128, -5, 7])])[0])).toEqual([-128, 5, 7]);
    expect(list(run('Neg', {}, [val('int64', [2], [2n ** 62n, -3n])])[0])).toEqual([-(2n ** 62n), 3n]);
    expect(list(run('Exp', {}, [val('float16', [1], [1])])[0])).toEqual([roundToFloat16(Math.E)]);
    expect(list(run('Reciprocal', {}, [val('float32', [2], [4, 0])])[0])).toEqual([0.25, Infinity]);
  });

  it('Pow: base type kept, exponent of another type, broadcasting', () => {
    expect(list(run('Pow', {}, [val('int32', [3], [2, 3, 4]), val('float32', [1], [0.5])])[0])).toEqual([1, 1, 2]);
    expect(list(run('Pow', {}, [val('float32', [2, 1], [2, 3]), val('int64', [2], [2, 3])])[0])).toEqual([4, 8, 9, 27]);
    expect(list(run('Pow', {}, [val('int64', [1], [10]), val('int64', [1], [400])])[0]), 'overflow stores 0, not a throw').toEqual([0n]);
  });

  it('PRelu with one slope per channel', () => {
    const x = val('float32', [1, 2, 1, 2], [-1, 2, -3, 4]);
    expect(list(run('PRelu', {}, [x, val('float32', [2, 1, 1], [0.5, 0.1])])[0])).toEqual([-0.5, 2, Math.fround(-0.3), 4]);
  });

  it('Max and Min: variadic with broadcasting, NaN wins, 64-bit integers exact, one input copied', () => {
    const a = val('float32', [2, 2], [1, 5, NaN, 0]);
    const b = val('float32', [2], [3, 2]);
    const c = val('float32', [1], [4]);
    expect(list(run('Max', {}, [a, b, c])[0])).toEqual([4, 5, NaN, 4]);
    expect(list(run('Min', {}, [a, b])[0])).toEqual([1, 2, NaN, 0]);
    const big = 2n ** 53n;
    expect(list(run('Max', {}, [val('int64', [1], [big]), val('int64', [1], [big + 1n])])[0])).toEqual([big + 1n]);
    const one = run('Min', {}, [b])[0];
    expect(list(one)).toEqual([3, 2]);
    expect(one.data).not.toBe(b.data);
  });

  it('reductions: axes, keepdims, NaN, the empty set, and noop', () => {
    const x = val('float32', [2, 3], [1, 2, 3, 4, 5, NaN]);
    const r = (op: string, axes: number[], keepdims: boolean, v = x) => run(op, { axes, keepdims }, [v])[0];
    expect(list(r('ReduceMean', [1], false))).toEqual([2, NaN]);
    expect(r('ReduceMean', [1], true).shape).toEqual([2, 1]);
    expect(list(r('ReduceSum', [0], false))).toEqual([5, 7, NaN]);
    expect(list(r('ReduceMax', [0, 1], false))).toEqual([NaN]);
    const y = val('float32', [2, 2], [3, -4, 1, 2]);
    expect(list(r('ReduceL2', [1], true, y))).toEqual([5, Math.fround(Math.sqrt(5))]);
    expect(list(r('ReduceMin', [0], false, y))).toEqual([1, -4]);
    expect(list(r('ReduceMax', [1], true, val('int32', [2, 2], [7, -9, -1, -2])))).toEqual([7, -1]);
    const empty = val('float32', [2, 0], []);
    expect(list(r('ReduceSum', [1], false, empty))).toEqual([0, 0]);
    expect(list(r('ReduceMax', [1], false, empty))).toEqual([-Infinity, -Infinity]);
    expect(list(r('ReduceSum', [], true, y)), 'no axes: a copy').toEqual([3, -4, 1, 2]);
    const flags = val('bool', [2, 2], [1, 0, 1, 1]);
    expect([list(r('ReduceMax', [1], false, flags)), list(r('ReduceMin', [1], false, flags))], 'bool: any, all').toEqual([[1, 1], [0, 1]]);
    const none = val('bool', [1, 0], []);
    expect([list(r('ReduceMax', [1], false, none)), list(r('ReduceMin', [1], false, none))], 'bool empty set').toEqual([[0], [1]]);
  });

  it('Equal, Greater (bool out, 64-bit exact) and Where with three-way broadcasting', () => {
    const big = 2n ** 53n;
    const a = val('int64', [3], [big, big + 1n, -1n]);
    const b = val('int64', [3], [big + 1n, big + 1n, -2n]);
    const eq = run('Equal', {}, [a, b])[0];
    expect([eq.dtype, ...list(eq)]).toEqual(['bool', 0, 1, 0]);
    expect(list(run('Greater', {}, [a, b])[0])).toEqual([0, 0, 1]);
    const w = run('Where', {}, [val('bool', [2, 1], [1, 0]), val('float32', [3], [1, 2, 3]), val('float32', [1], [9])])[0];
    expect([w.shape, list(w)]).toEqual([[2, 3], [1, 2, 3, 9, 9, 9]]);
  });

  it('LayerNormalization: Y, Mean and InvStdDev over the trailing axes', () => {
    const x = val('float32', [2, 2], [1, 3, 2, 6]);
    const [y, mean, inv] = run('LayerNormalization', { axis: 1, epsilon: 0 }, [x, val('float32', [2], [1, 2]), val('float32', [1], [10])]);
    // Row 0: mean 2, var 1 → [-1, 1] * [1, 2] + 10; row 1: mean 4, var 4 → [-1, 1] * [1, 2] + 10.
    expect(list(y)).toEqual([9, 12, 9, 12]);
    expect([mean.shape, list(mean), list(inv)]).toEqual([[2, 1], [2, 4], [1, 0.5]]);
  });

  it('GlobalMaxPool takes the max over every spatial position', () => {
    const x = val('float32', [1, 2, 2, 2], [1, 9, -3, 4, -1, -2, -8, -5]);
    const y = run('GlobalMaxPool', {}, [x])[0];
    expect([y.shape, list(y)]).toEqual([[1, 2, 1, 1], [9, -1]]);
  });

  it('every new op has a kernel', () => {
    for (const op of ['Abs', 'Neg', 'Exp', 'Log', 'Sqrt', 'Reciprocal', 'Erf', 'Softplus', 'Gelu', 'Pow', 'PRelu', 'Max', 'Min', 'ReduceMean', 'ReduceMax',
      'ReduceMin', 'ReduceSum', 'ReduceL2', 'GlobalMaxPool', 'LayerNormalization', 'Where', 'Equal', 'Greater']) {
      expect(kernels).toHaveProperty(op);
    }
  });
});

describe('import: shapes and opsets', () => {
  it('reduction axes from the attribute (before opset 18) and from a constant input (from 18); ReduceSum from 13', () => {
    const x: [string, DType, number[]] = ['x', 'float32', [2, 3, 4]];
    const g13 = load(model([{ opType: 'ReduceMean', input: ['x'], output: ['y'], attribute: [attr.ints('axes', [-1, 0]), attr.int('keepdims', 0)] }], [x], ['y'], 13));
    expect(g13.tensors.get('y')!.shape).toEqual([3]);
    expect(g13.nodes[0].attrs).toEqual({ axes: [0, 2], keepdims: false });
    const g18 = load(model([{ opType: 'ReduceMax', input: ['x', 'ax'], output: ['y'] }], [x], ['y'], 18, [i64('ax', [1])]));
    expect([g18.tensors.get('y')!.shape, g18.nodes[0].inputs]).toEqual([[2, 1, 4], ['x']]);
    const sum = load(model([{ opType: 'ReduceSum', input: ['x', 'ax'], output: ['y'] }], [x], ['y'], 13, [i64('ax', [-2])]));
    expect(sum.tensors.get('y')!.shape).toEqual([2, 1, 4]);
    const all = load(model([{ opType: 'ReduceL2', input: ['x'], output: ['y'] }], [x], ['y'], 18));
    expect([all.tensors.get('y')!.shape, all.nodes[0].attrs]).toEqual([[1, 1, 1], { axes: [0, 1, 2], keepdims: true }]);
    const noop = load(model([{ opType: 'ReduceMin', input: ['x'], output: ['y'], attribute: [attr.int('noop_with_empty_axes', 1)] }], [x], ['y'], 18));
    expect([noop.tensors.get('y')!.shape, noop.nodes[0].attrs]).toEqual([[2, 3, 4], { axes: [], keepdims: true }]);
  });

  it('reduction refusals: an attribute of the other opset form, computed axes, bad flags, repeated or out-of-range axes, bool input', () => {
    const x: [string, DType, number[]] = ['x', 'float32', [2, 3]];
    const r = (attrs: object[], opset: number, inputs = ['x'], inits: object[] = [], op = 'ReduceMean', extra: [string, DType, number[]][] = []) =>
      importError(model([{ opType: op, input: inputs, output: ['y'], attribute: attrs }], [x, ...extra], ['y'], opset, inits));
    let e = r([attr.ints('axes', [0])], 18);
    expect([e.code, e.message]).toEqual([ErrorCode.BadAttribute, expect.stringMatching(/'axes' not supported/)]);
    e = r([attr.int('noop_with_empty_axes', 1)], 17);
    expect(e.message).toMatch(/attribute 'noop_with_empty_axes' is not defined for ReduceMean at opset 17 \(ONNX adds it in opset 18\)/);
    e = r([], 18, ['x', 'ax'], [], 'ReduceMean', [['ax', 'int64', [1]]]);
    expect(e.message).toMatch(/must be a constant/);
    e = r([attr.int('keepdims', 2)], 13);
    expect(e.message).toMatch(/keepdims' is 2/);
    expect(r([attr.ints('axes', [1, -1])], 13).message).toMatch(/twice/);
    expect(r([attr.ints('axes', [2])], 13).message).toMatch(/out of range/);
    e = importError(model([{ opType: 'ReduceMax', input: ['b'], output: ['y'] }], [['b', 'bool', [2]]], ['y'], 18));
    expect([e.code, e.where.node, e.message]).toEqual([ErrorCode.UnsupportedDType, 'ReduceMax_0', expect.stringMatching(/bool from opset 20/)]);
    expect(load(model([{ opType: 'ReduceMax', input: ['b'], output: ['y'] }], [['b', 'bool', [2]]], [['y', 'bool']], 20)).tensors.get('y')!.dtype).toBe('bool');
    expect(importError(model([{ opType: 'ReduceSum', input: ['b'], output: ['y'] }], [['b', 'bool', [2]]], ['y'], 20)).code).toBe(ErrorCode.UnsupportedDType);
    expect(r([], 13, ['x', 'ax', 'x'], [i64('ax', [0])], 'ReduceSum').message).toMatch(/has 3 inputs, expected 1 to 2/);
  });

  it('broadcast shapes for Max/Min/Pow/Where/Equal/Greater; bool out for comparisons', () => {
    const g = load(model([
      { opType: 'Max', input: ['a', 'b', 'c'], output: ['m'] },
      { opType: 'Greater', input: ['m', 'a'], output: ['g'] },
      { opType: 'Where', input: ['g', 'b', 'c'], output: ['w'] },
      { opType: 'Pow', input: ['w', 'e'], output: ['p'] },
    ], [['a', 'float32', [4, 1, 3]], ['b', 'float32', [5, 1]], ['c', 'float32', [1]], ['e', 'int64', [3]]], ['p'], 13));
    expect(['m', 'g', 'w', 'p'].map((t) => [g.tensors.get(t)!.dtype, g.tensors.get(t)!.shape])).toEqual([
      ['float32', [4, 5, 3]], ['bool', [4, 5, 3]], ['float32', [4, 5, 3]], ['float32', [4, 5, 3]],
    ]);
  });

  it('LayerNormalization: opset 17+, one to three outputs, Scale broadcast to the normalized shape', () => {
    const g = load(model([{ opType: 'LayerNormalization', input: ['x', 's'], output: ['y', 'mean', 'inv'], attribute: [attr.int('axis', -2)] }],
      [['x', 'float32', [2, 3, 4]]], ['y', 'mean', 'inv'], 17, [f32('s', [1, 4], [1, 1, 1, 1])]));
    expect(['y', 'mean', 'inv'].map((t) => g.tensors.get(t)!.shape)).toEqual([[2, 3, 4], [2, 1, 1], [2, 1, 1]]);
    expect(g.nodes[0].attrs).toEqual({ axis: 1, epsilon: 1e-5 });
    const ln = (attrs: object[], opset = 17, scale = [4]) => importError(model([{ opType: 'LayerNormalization', input: ['x', 's'], output: ['y'], attribute: attrs }],
      [['x', 'float32', [2, 3, 4]]], ['y'], opset, [f32('s', scale, new Array<number>(scale.reduce((a, b) => a * b, 1)).fill(1))]));
    expect([ln([], 16).code, ln([], 16).message]).toEqual([ErrorCode.UnsupportedOpset, expect.stringMatching(/LayerNormalization is not defined at opset 16 \(ONNX adds it in opset 17\)/)]);
    expect(ln([attr.int('stash_type', 0)]).message).toMatch(/stash_type' is 0/);
    expect(ln([], 17, [3]).message).toMatch(/does not broadcast to the normalized shape \[4\]/);
    expect(ln([attr.int('axis', 3)]).message).toMatch(/out of range/);
  });

  it('refusals: unsupported types, opsets before an op, bad attribute values, wrong input counts', () => {
    const one = (op: string, inputs: [string, DType, number[]][], opset = 13, attrs: object[] = []) =>
      importError(model([{ opType: op, input: inputs.map((i) => i[0]), output: ['y'], attribute: attrs }], inputs, ['y'], opset));
    const f: [string, DType, number[]] = ['x', 'float32', [2]];
    const cases: [CompileError, string, RegExp][] = [
      [one('Exp', [['x', 'int32', [2]]]), ErrorCode.UnsupportedDType, /int32; this op needs a float tensor/],
      [one('Neg', [['x', 'uint8', [2]]]), ErrorCode.UnsupportedDType, /Neg takes float or int8/],
      [one('Gelu', [f], 17), ErrorCode.UnsupportedOpset, /Gelu is not defined at opset 17 \(ONNX adds it in opset 20\)/],
      [one('Gelu', [f], 20, [attr.string('approximate', 'fast')]), ErrorCode.BadAttribute, /'approximate' is 'fast'/],
      [one('Softplus', [f], 13, [attr.float('alpha', 2)]), ErrorCode.BadAttribute, /'alpha' not supported/],
      [one('Max', [f, ['z', 'float64', [2]]]), ErrorCode.UnsupportedDType, /different types/],
      [one('Max', [['x', 'int32', [2]]], 11), ErrorCode.UnsupportedDType, /float tensors before opset 12/],
      [one('Min', []), ErrorCode.BadGraph, /at least 1/],
      [one('Pow', [f, ['e', 'int64', [2]]], 11), ErrorCode.UnsupportedDType, /before opset 12 they must match/],
      [one('Pow', [['x', 'uint8', [2]], ['e', 'uint8', [2]]]), ErrorCode.UnsupportedDType, /base/],
      [one('PRelu', [['x', 'float32', [3, 4]], ['s', 'float32', [2, 1, 4]]]), ErrorCode.ShapeMismatch, /does not broadcast to the input's shape/],
      [one('Where', [['c', 'float32', [2]], f, ['z', 'float32', [2]]]), ErrorCode.UnsupportedDType, /bool condition/],
      [one('Where', [['c', 'bool', [2]], f]), ErrorCode.BadGraph, /has 2 inputs, expected 3/],
      [one('Where', [f], 8), ErrorCode.UnsupportedOpset, /Where is not defined at opset 8 \(ONNX adds it in opset 9\)/],
      [one('Equal', [f, ['z', 'int32', [2]]]), ErrorCode.UnsupportedDType, /different types/],
      [one('Greater', [['b', 'bool', [2]], ['c', 'bool', [2]]]), ErrorCode.UnsupportedDType, /bool, which Greater does not take/],
      [one('Equal', [['a', 'float32', [2]], ['b', 'float32', [3]]]), ErrorCode.ShapeMismatch, /do not broadcast/],
      [one('GlobalMaxPool', [f]), ErrorCode.ShapeMismatch, /needs \[N, C\]/],
      [one('Abs', [f], 5, [attr.ints('consumed_inputs', [0])]), ErrorCode.BadAttribute, /'consumed_inputs' not supported/],
    ];
    for (const [e, code, msg] of cases) {
      expect([e.code, e.message], e.format()).toEqual([code, expect.stringMatching(msg)]);
      expect(e.where.node).toBeTruthy();
    }
  });

  it('MatMul multiplies two computed inputs (both graph inputs) with batch broadcasting', () => {
    const g = load(model([{ opType: 'MatMul', input: ['a', 'b'], output: ['y'] }], [['a', 'float32', [2, 1, 2, 3]], ['b', 'float32', [4, 3, 2]]], ['y'], 13));
    expect(g.tensors.get('y')!.shape).toEqual([2, 4, 2, 2]);
    const a = val('float32', [1, 2], [1, 2]);
    const b = val('float32', [2, 2], [3, 4, 5, 6]);
    const g2 = load(model([{ opType: 'MatMul', input: ['a', 'b'], output: ['y'] }], [['a', 'float32', [1, 2]], ['b', 'float32', [2, 2]]], ['y'], 13));
    expect(list(runGraph(g2, new Map([['a', a], ['b', b]])).get('y')!)).toEqual([13, 16]);
  });
});

describe('folding on constants', () => {
  it("an exporter's shape subgraph (Shape → Greater → Where → Reshape) folds on import", () => {
    const g = load(model([
      { opType: 'Shape', input: ['x'], output: ['s'] },
      { opType: 'Greater', input: ['s', 'two'], output: ['big'] },
      { opType: 'Where', input: ['big', 's', 'minus1'], output: ['shape'] },
      { opType: 'Equal', input: ['shape', 'three'], output: ['eq'] },
      { opType: 'Where', input: ['eq', 'one', 'shape'], output: ['shape2'] },
      { opType: 'Reshape', input: ['x', 'shape2'], output: ['y'] },
    ], [['x', 'float32', [2, 3, 4]]], ['y'], 13, [i64('two', [2]), i64('three', [3]), i64('minus1', [-1]), i64('one', [1])]));
    // [2, 3, 4] > 2 = [F, T, T] → [-1, 3, 4]; == 3 = [F, T, F] → [-1, 1, 4]; -1 resolves to 6.
    expect(g.nodes.map((n) => n.op)).toEqual(['Reshape']);
    expect([g.tensors.get('shape2')?.data, g.tensors.get('y')!.shape]).toEqual([BigInt64Array.from([-1n, 1n, 4n]), [6, 1, 4]]);
  });

  it('fold-constants evaluates the new ops on constants and keeps the node on the input', () => {
    const g = load(model([
      { opType: 'ReduceMean', input: ['w'], output: ['m'], attribute: [attr.ints('axes', [1])] },
      { opType: 'Sqrt', input: ['m'], output: ['r'] },
      { opType: 'Max', input: ['r', 'w'], output: ['c'] },
      { opType: 'Add', input: ['x', 'c'], output: ['y'] },
    ], [['x', 'float32', [2, 2]]], ['y'], 13, [f32('w', [2, 2], [1, 3, 16, 0])]));
    const folded = foldConstants.run(g, {});
    expect(folded.nodes.map((n) => n.op)).toEqual(['Add']);
    // mean rows [2, 8], sqrt [1.414.., 2.828..], max with w → [1.414.., 3, 16, 2.828..].
    expect(list({ ...folded.tensors.get('c')!, data: folded.tensors.get('c')!.data! } as Value)).toEqual([Math.SQRT2, 3, 16, 2 * Math.SQRT2].map(Math.fround));
  });
});

describe('the JSON form and the int8 path', () => {
  function mixed(): Graph {
    return load(model([
      { opType: 'LayerNormalization', input: ['x', 's'], output: ['ln'], attribute: [attr.float('epsilon', 1e-3)] },
      { opType: 'Gelu', input: ['ln'], output: ['g'], attribute: [attr.string('approximate', 'tanh')] },
      { opType: 'ReduceMean', input: ['g', 'ax'], output: ['m'], attribute: [attr.int('keepdims', 0)] },
      { opType: 'Greater', input: ['m', 'zero'], output: ['gt'] },
      { opType: 'Where', input: ['gt', 'm', 'zero'], output: ['y'] },
    ], [['x', 'float32', [2, 4]]], ['y'], 21, [f32('s', [4], [1, 2, 3, 4]), i64('ax', [-1]), f32('zero', [1], [0])]));
  }

  it('a graph of the new ops survives graphToJson / graphFromJson', () => {
    const g = mixed();
    const text = JSON.stringify(graphToJson(g));
    const back = graphFromJson(JSON.parse(text), 'net_schedule.json');
    expect(printGraph(back)).toBe(printGraph(g));
    expect(back).toStrictEqual(g);
  });

  it('qgc quantize --int8-only refuses them with the op and the node named', () => {
    const g = mixed();
    const ranges = new Map([...g.tensors.keys()].map((n) => [n, { min: -1, max: 1 }]));
    let err: unknown;
    try {
      quantizeGraph(g, ranges, { int8Only: true });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CompileError);
    expect((err as CompileError).code).toBe(ErrorCode.UnsupportedOp);
    expect((err as CompileError).format()).toMatch(/LayerNormalization is not supported in int8/);
  });

  it('int8 MatMul of two computed inputs becomes a QBatchMatMul (TFLite BatchMatMul), not a fully connected layer', () => {
    const g = load(model([{ opType: 'MatMul', input: ['a', 'b'], output: ['y'] }], [['a', 'float32', [2, 3]], ['b', 'float32', [3, 2]]], ['y'], 13));
    const ranges = new Map(['a', 'b', 'y'].map((n) => [n, { min: -1, max: 1 }]));
    expect(quantizeGraph(g, ranges).graph.nodes.map((n) => n.op)).toEqual(['Quantize', 'Quantize', 'QBatchMatMul', 'Dequantize']);
  });
});
