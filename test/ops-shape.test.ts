/** Shape family: import-time folding of PyTorch's Shape → Gather → Unsqueeze → Concat →
 * Reshape chains (int64), Reshape/Squeeze/Unsqueeze/Pad/Gather/Dropout/Constant semantics
 * across opsets, and importer errors that name the node. */
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../src/errors.js';
import { toNumbers, type DType } from '../src/ir/dtype.js';
import { runGraph } from '../src/interp/run.js';
import type { Value } from '../src/interp/types.js';
import { loadModelBytes } from '../src/onnx/load.js';
import { onnx } from '../src/onnx/proto.js';
import { onnxCodeOf } from '../src/onnx/tensor.js';
import { errorOf } from './support/errors.js';

const A = onnx.AttributeProto.AttributeType;

/** A value info; without `shape` the shape is left undeclared. */
const vi = (name: string, dtype: DType, shape?: number[]) => ({
  name,
  type: { tensorType: { elemType: onnxCodeOf(dtype), ...(shape ? { shape: { dim: shape.map((d) => ({ dimValue: d })) } } : {}) } },
});

function tensor(name: string, dtype: DType, dims: number[], values: number[]) {
  const t: Record<string, unknown> = { name, dataType: onnxCodeOf(dtype), dims };
  if (dtype === 'int64') t.int64Data = values;
  else if (dtype === 'float32') t.floatData = values;
  else t.int32Data = values;
  return t;
}

const ints = (name: string, v: number[]) => ({ name, type: A.INTS, ints: v });
const int = (name: string, v: number) => ({ name, type: A.INT, i: v });
const str = (name: string, v: string) => ({ name, type: A.STRING, s: Buffer.from(v) });
const flt = (name: string, v: number) => ({ name, type: A.FLOAT, f: v });
const tens = (name: string, t: object) => ({ name, type: A.TENSOR, t });

interface Spec {
  nodes: object[];
  inputs: object[];
  outputs: object[];
  inits?: object[];
  opset?: number;
}

function build(s: Spec): Uint8Array {
  return onnx.ModelProto.encode({
    irVersion: 8,
    opsetImport: [{ domain: '', version: s.opset ?? 17 }],
    graph: { name: 'g', node: s.nodes, input: s.inputs, output: s.outputs, initializer: s.inits ?? [] },
  }).finish();
}

const f32 = (shape: number[], values?: number[]): Value => {
  const n = shape.reduce((p, d) => p * d, 1);
  return { dtype: 'float32', shape, data: Float32Array.from(values ?? Array.from({ length: n }, (_, i) => i)) };
};

/** Imports and runs a model with one float input 'x'; returns output 'y'. */
function run(s: Spec, x: Value, out = 'y'): Value {
  const { graph } = loadModelBytes(build(s));
  return runGraph(graph, new Map([['x', x]])).get(out)!;
}


const nums = (v: Value) => toNumbers(v.data);

describe('shape arithmetic folding', () => {
  // x: [2, 3, 4] → Reshape(x, Concat(Unsqueeze(Gather(Shape(x), 0)), [-1], Unsqueeze(Gather(Shape(x), 2) / 2))) = [2, 6, 2]
  const spec = (opset: number): Spec => {
    const unsq = (inp: string, out: string, name: string) =>
      opset >= 13 ? { name, opType: 'Unsqueeze', input: [inp, 'ax0'], output: [out] } : { name, opType: 'Unsqueeze', input: [inp], output: [out], attribute: [ints('axes', [0])] };
    return {
      opset,
      nodes: [
        { name: 'shape', opType: 'Shape', input: ['x'], output: ['s'] },
        { name: 'c0', opType: 'Constant', output: ['i0'], attribute: [tens('value', tensor('', 'int64', [], [0]))] },
        { name: 'c2', opType: 'Constant', output: ['i2'], attribute: [tens('value', tensor('', 'int64', [], [-1]))] },
        { name: 'g0', opType: 'Gather', input: ['s', 'i0'], output: ['d0'], attribute: [int('axis', 0)] },
        { name: 'g2', opType: 'Gather', input: ['s', 'i2'], output: ['d2'], attribute: [int('axis', 0)] },
        { name: 'half', opType: 'Div', input: ['d2', 'two'], output: ['h2'] },
        unsq('d0', 'u0', 'u0'),
        unsq('h2', 'u2', 'u2'),
        { name: 'cat', opType: 'Concat', input: ['u0', 'minus1', 'u2'], output: ['target'], attribute: [int('axis', 0)] },
        { name: 'reshape', opType: 'Reshape', input: ['x', 'target'], output: ['y'] },
      ],
      inputs: [vi('x', 'float32', [2, 3, 4])],
      outputs: [vi('y', 'float32', [2, 6, 2])],
      inits: [tensor('two', 'int64', [], [2]), tensor('minus1', 'int64', [1], [-1]), tensor('ax0', 'int64', [1], [0])],
    };
  };

  for (const opset of [11, 13]) {
    it(`folds the chain to a constant shape (opset ${opset})`, () => {
      const { graph } = loadModelBytes(build(spec(opset)));
      expect(graph.nodes.map((n) => n.op)).toEqual(['Reshape']);
      const target = graph.tensors.get('target')!;
      expect(target.dtype).toBe('int64');
      expect(target.data).toBeInstanceOf(BigInt64Array);
      expect(Array.from(target.data as BigInt64Array)).toEqual([2n, -1n, 2n]);
      expect(graph.tensors.get('y')!.shape).toEqual([2, 6, 2]);
      const y = runGraph(graph, new Map([['x', f32([2, 3, 4])]])).get('y')!;
      expect(y.shape).toEqual([2, 6, 2]);
      expect(nums(y)).toEqual(Array.from({ length: 24 }, (_, i) => i));
    });
  }
});

describe('Reshape', () => {
  const reshape = (target: number[], attrs: object[] = [], inShape = [2, 3, 4]): Spec => ({
    nodes: [{ name: 'rs', opType: 'Reshape', input: ['x', 'shape'], output: ['y'], attribute: attrs }],
    inputs: [vi('x', 'float32', inShape)],
    outputs: [vi('y', 'float32')],
    inits: [tensor('shape', 'int64', [target.length], target)],
  });
  const shapeOf = (s: Spec) => loadModelBytes(build(s)).graph.tensors.get('y')!.shape;

  it('copies 0 dims and infers -1', () => {
    expect(shapeOf(reshape([0, -1]))).toEqual([2, 12]);
    expect(shapeOf(reshape([-1, 0, 1]))).toEqual([8, 3, 1]);
  });

  it('allowzero=1 makes 0 a real size', () => {
    expect(shapeOf(reshape([0, 4], [int('allowzero', 1)], [0, 4]))).toEqual([0, 4]);
    const e = errorOf(() => loadModelBytes(build(reshape([0, -1], [int('allowzero', 1)]))));
    expect(e.code).toBe(ErrorCode.BadAttribute);
  });

  it('reports an impossible reshape on the node', () => {
    const e = errorOf(() => loadModelBytes(build(reshape([5, -1]))));
    expect(e.code).toBe(ErrorCode.ShapeMismatch);
    expect(e.where).toMatchObject({ node: 'rs', op: 'Reshape' });
  });

  it('refuses a shape computed at run time', () => {
    const s: Spec = {
      nodes: [{ name: 'rs', opType: 'Reshape', input: ['x', 'shape'], output: ['y'] }],
      inputs: [vi('x', 'float32', [2, 3]), vi('shape', 'int64', [1])],
      outputs: [vi('y', 'float32', [6])],
    };
    const e = errorOf(() => loadModelBytes(build(s)));
    expect(e.format()).toMatch(/node 'rs' \(Reshape\): input 1 \('shape'\) must be a constant/);
  });
});

describe('Squeeze / Unsqueeze', () => {
  it('Squeeze without axes removes every size-1 dim', () => {
    const y = run({ nodes: [{ opType: 'Squeeze', input: ['x'], output: ['y'] }], inputs: [vi('x', 'float32', [1, 3, 1, 2])], outputs: [vi('y', 'float32', [3, 2])] }, f32([1, 3, 1, 2]));
    expect(y.shape).toEqual([3, 2]);
  });

  it('Squeeze of a dim that is not 1 fails', () => {
    const s: Spec = {
      opset: 11,
      nodes: [{ name: 'sq', opType: 'Squeeze', input: ['x'], output: ['y'], attribute: [ints('axes', [1])] }],
      inputs: [vi('x', 'float32', [1, 3])],
      outputs: [vi('y', 'float32')],
    };
    expect(errorOf(() => loadModelBytes(build(s))).code).toBe(ErrorCode.ShapeMismatch);
  });

  it('Unsqueeze takes axes against the output rank, in any order', () => {
    const s: Spec = {
      nodes: [{ opType: 'Unsqueeze', input: ['x', 'axes'], output: ['y'] }],
      inputs: [vi('x', 'float32', [3, 4])],
      outputs: [vi('y', 'float32', [1, 3, 1, 4])],
      inits: [tensor('axes', 'int64', [2], [-2, 0])],
    };
    expect(run(s, f32([3, 4])).shape).toEqual([1, 3, 1, 4]);
  });

  it('opset 11 Unsqueeze rejects an axes input, opset 13 rejects the attribute', () => {
    const old: Spec = {
      opset: 11,
      nodes: [{ opType: 'Unsqueeze', input: ['x', 'axes'], output: ['y'] }],
      inputs: [vi('x', 'float32', [3])],
      outputs: [vi('y', 'float32')],
      inits: [tensor('axes', 'int64', [1], [0])],
    };
    expect(errorOf(() => loadModelBytes(build(old))).code).toBe(ErrorCode.BadGraph);
    const neu: Spec = {
      opset: 13,
      nodes: [{ opType: 'Unsqueeze', input: ['x'], output: ['y'], attribute: [ints('axes', [0])] }],
      inputs: [vi('x', 'float32', [3])],
      outputs: [vi('y', 'float32')],
    };
    expect(errorOf(() => loadModelBytes(build(neu))).code).toBe(ErrorCode.BadAttribute);
  });
});

describe('Pad', () => {
  const pad1d = (mode: string, pads: number[], value?: number, opset = 19): Spec => ({
    opset,
    nodes: [{ opType: 'Pad', input: value === undefined ? ['x', 'pads'] : ['x', 'pads', 'v'], output: ['y'], attribute: [str('mode', mode)] }],
    inputs: [vi('x', 'float32', [3])],
    outputs: [vi('y', 'float32')],
    inits: [tensor('pads', 'int64', [2], pads), ...(value === undefined ? [] : [tensor('v', 'float32', [], [value])])],
  });
  const x = f32([3], [1, 2, 3]);

  it('matches numpy.pad for every mode, including pads longer than the axis', () => {
    expect(nums(run(pad1d('constant', [2, 3], 9), x))).toEqual([9, 9, 1, 2, 3, 9, 9, 9]);
    expect(nums(run(pad1d('reflect', [2, 3]), x))).toEqual([3, 2, 1, 2, 3, 2, 1, 2]);
    expect(nums(run(pad1d('edge', [2, 3]), x))).toEqual([1, 1, 1, 2, 3, 3, 3, 3]);
    expect(nums(run(pad1d('wrap', [2, 3]), x))).toEqual([2, 3, 1, 2, 3, 1, 2, 3]);
    expect(nums(run(pad1d('reflect', [5, 0]), x))).toEqual([2, 1, 2, 3, 2, 1, 2, 3]);
    expect(nums(run(pad1d('reflect', [0, 7]), x))).toEqual([1, 2, 3, 2, 1, 2, 3, 2, 1, 2]);
    expect(nums(run(pad1d('wrap', [5, 0]), x))).toEqual([2, 3, 1, 2, 3, 1, 2, 3]);
  });

  it('negative pads crop', () => {
    expect(nums(run(pad1d('constant', [-1, 2]), x))).toEqual([2, 3, 0, 0]);
    expect(nums(run(pad1d('edge', [2, -2]), x))).toEqual([1, 1, 1]);
  });

  it('wrap needs opset 19', () => {
    expect(errorOf(() => loadModelBytes(build(pad1d('wrap', [1, 1], undefined, 18)))).code).toBe(ErrorCode.BadAttribute);
  });

  it('opset 18 axes pad only the named axes', () => {
    const s: Spec = {
      opset: 18,
      nodes: [{ opType: 'Pad', input: ['x', 'pads', '', 'axes'], output: ['y'], attribute: [str('mode', 'reflect')] }],
      inputs: [vi('x', 'float32', [2, 2])],
      outputs: [vi('y', 'float32', [2, 4])],
      inits: [tensor('pads', 'int64', [2], [0, 2]), tensor('axes', 'int64', [1], [-1])],
    };
    expect(nums(run(s, f32([2, 2], [1, 2, 3, 4])))).toEqual([1, 2, 1, 2, 3, 4, 3, 4]);
  });

  it('opset 10 reads pads and value attributes', () => {
    const s: Spec = {
      opset: 10,
      nodes: [{ opType: 'Pad', input: ['x'], output: ['y'], attribute: [ints('pads', [1, 0, 0, 1]), flt('value', 7)] }],
      inputs: [vi('x', 'float32', [1, 2])],
      outputs: [vi('y', 'float32', [2, 3])],
    };
    expect(nums(run(s, f32([1, 2], [1, 2])))).toEqual([7, 7, 7, 1, 2, 7]);
  });
});

describe('Gather / Transpose / Concat', () => {
  it('Gather takes negative indices and any data dtype (int64 here)', () => {
    const s: Spec = {
      nodes: [
        { opType: 'Gather', input: ['data', 'idx'], output: ['g'], attribute: [int('axis', 1)] },
        { opType: 'Cast', input: ['g'], output: ['y'], attribute: [int('to', 1)] },
        { opType: 'Shape', input: ['x'], output: ['unused'] },
      ],
      inputs: [vi('x', 'float32', [1])],
      outputs: [vi('y', 'float32', [2, 2, 2])],
      inits: [tensor('data', 'int64', [2, 3], [10, 11, 12, 20, 21, 22]), tensor('idx', 'int32', [2, 2], [-1, 0, 1, -3])],
    };
    const { graph } = loadModelBytes(build(s));
    // All-constant int64 Gather folds at import; the Cast to float stays.
    expect(graph.nodes.map((n) => n.op)).toEqual(['Cast']);
    expect(Array.from(graph.tensors.get('g')!.data as BigInt64Array)).toEqual([12n, 10n, 11n, 10n, 22n, 20n, 21n, 20n]);
    const y = runGraph(graph, new Map([['x', f32([1])]])).get('y')!;
    expect(nums(y)).toEqual([12, 10, 11, 10, 22, 20, 21, 20]);
  });

  it('Gather rejects constant indices out of range', () => {
    const s: Spec = {
      nodes: [{ name: 'gth', opType: 'Gather', input: ['x', 'idx'], output: ['y'] }],
      inputs: [vi('x', 'float32', [3])],
      outputs: [vi('y', 'float32')],
      inits: [tensor('idx', 'int64', [1], [3])],
    };
    const e = errorOf(() => loadModelBytes(build(s)));
    expect(e.where).toMatchObject({ node: 'gth', op: 'Gather' });
  });

  it('Transpose reverses the axes by default', () => {
    const y = run({ nodes: [{ opType: 'Transpose', input: ['x'], output: ['y'] }], inputs: [vi('x', 'float32', [2, 3])], outputs: [vi('y', 'float32', [3, 2])] }, f32([2, 3]));
    expect(y.shape).toEqual([3, 2]);
    expect(nums(y)).toEqual([0, 3, 1, 4, 2, 5]);
  });

  it('Concat rejects inputs whose other dims differ', () => {
    const s: Spec = {
      nodes: [{ name: 'cat', opType: 'Concat', input: ['x', 'b'], output: ['y'], attribute: [int('axis', -1)] }],
      inputs: [vi('x', 'float32', [2, 3])],
      outputs: [vi('y', 'float32')],
      inits: [tensor('b', 'float32', [3, 1], [0, 0, 0])],
    };
    const e = errorOf(() => loadModelBytes(build(s)));
    expect(e.code).toBe(ErrorCode.ShapeMismatch);
    expect(e.where).toMatchObject({ node: 'cat', op: 'Concat' });
  });
});

describe('Dropout / Constant / Shape', () => {
  it('inference Dropout is identity; its mask is all true', () => {
    const s: Spec = {
      nodes: [{ opType: 'Dropout', input: ['x', 'r'], output: ['y', 'mask'], attribute: [int('seed', 3)] }],
      inputs: [vi('x', 'float32', [2, 2])],
      outputs: [vi('y', 'float32', [2, 2]), vi('mask', 'bool', [2, 2])],
      inits: [tensor('r', 'float32', [], [0.3])],
    };
    const { graph } = loadModelBytes(build(s));
    const outs = runGraph(graph, new Map([['x', f32([2, 2])]]));
    expect(nums(outs.get('y')!)).toEqual([0, 1, 2, 3]);
    expect(outs.get('mask')!.dtype).toBe('bool');
    expect(nums(outs.get('mask')!)).toEqual([1, 1, 1, 1]);
  });

  it('training-mode Dropout with a nonzero ratio is refused', () => {
    const s: Spec = {
      nodes: [{ name: 'drop', opType: 'Dropout', input: ['x', '', 't'], output: ['y'] }],
      inputs: [vi('x', 'float32', [2])],
      outputs: [vi('y', 'float32', [2])],
      inits: [{ name: 't', dataType: onnxCodeOf('bool'), dims: [], int32Data: [1] }],
    };
    const e = errorOf(() => loadModelBytes(build(s)));
    expect(e.format()).toMatch(/node 'drop' \(Dropout\): training-mode Dropout/);
  });

  it('Constant value_ints and Shape start/end', () => {
    const s: Spec = {
      nodes: [
        { opType: 'Constant', output: ['c'], attribute: [ints('value_ints', [4, -5])] },
        { opType: 'Shape', input: ['x'], output: ['s'], attribute: [int('start', -2)] },
        { opType: 'Concat', input: ['c', 's'], output: ['cs'], attribute: [int('axis', 0)] },
        { opType: 'Cast', input: ['cs'], output: ['y'], attribute: [int('to', 1)] },
      ],
      inputs: [vi('x', 'float32', [2, 3, 5])],
      outputs: [vi('y', 'float32', [4])],
    };
    expect(nums(run(s, f32([2, 3, 5])))).toEqual([4, -5, 3, 5]);
  });

  it('Constant refuses sparse values', () => {
    const s: Spec = {
      nodes: [{ name: 'k', opType: 'Constant', output: ['y'], attribute: [{ name: 'sparse_value', type: A.SPARSE_TENSOR, sparseTensor: {} }] }],
      inputs: [],
      outputs: [vi('y', 'float32')],
    };
    const e = errorOf(() => loadModelBytes(build(s)));
    expect(e.code).toBe(ErrorCode.BadAttribute);
    expect(e.where).toMatchObject({ node: 'k', op: 'Constant' });
  });
});
