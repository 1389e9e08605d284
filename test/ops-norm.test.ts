/** BatchNormalization (inference): numbers, the attributes of every opset (is_test,
 * spatial, momentum, training_mode) and the refusal of training outputs. */
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
const int = (name: string, v: number) => ({ name, type: A.INT, i: v });
const flt = (name: string, v: number) => ({ name, type: A.FLOAT, f: v });
const vi = (name: string, dtype: DType, shape?: number[]) => ({
  name,
  type: { tensorType: { elemType: onnxCodeOf(dtype), ...(shape ? { shape: { dim: shape.map((d) => ({ dimValue: d })) } } : {}) } },
});
const init = (name: string, values: number[]) => ({ name, dataType: onnxCodeOf('float32'), dims: [values.length], floatData: values });

const SCALE = [1, 2];
const BIAS = [0.5, -1];
const MEAN = [1, -2];
const VAR = [4, 0.25];

function model(attrs: object[], opset: number, outputs = ['y'], xShape = [1, 2, 2]): Uint8Array {
  return onnx.ModelProto.encode({
    irVersion: 8,
    opsetImport: [{ domain: '', version: opset }],
    graph: {
      name: 'g',
      node: [{ name: 'bn', opType: 'BatchNormalization', input: ['x', 's', 'b', 'm', 'v'], output: outputs, attribute: attrs }],
      input: [vi('x', 'float32', xShape)],
      output: outputs.filter((o) => o !== '').map((o) => vi(o, 'float32')),
      initializer: [init('s', SCALE), init('b', BIAS), init('m', MEAN), init('v', VAR)],
    },
  }).finish();
}


const x: Value = { dtype: 'float32', shape: [1, 2, 2], data: Float32Array.from([3, 5, -2, 0]) };
// y = (x - mean) / sqrt(var + eps) * scale + B
const expected = (eps: number) => [
  ((3 - 1) / Math.sqrt(4 + eps)) * 1 + 0.5,
  ((5 - 1) / Math.sqrt(4 + eps)) * 1 + 0.5,
  ((-2 + 2) / Math.sqrt(0.25 + eps)) * 2 - 1,
  ((0 + 2) / Math.sqrt(0.25 + eps)) * 2 - 1,
];

function run(bytes: Uint8Array): number[] {
  const { graph } = loadModelBytes(bytes);
  return toNumbers(runGraph(graph, new Map([['x', x]])).get('y')!.data);
}

describe('BatchNormalization', () => {
  it('normalizes per channel (opset 15, default epsilon)', () => {
    const got = run(model([], 15));
    expected(1e-5).forEach((v, i) => expect(got[i]).toBeCloseTo(v, 5));
  });

  it('honours epsilon and accepts momentum and training_mode=0', () => {
    const got = run(model([flt('epsilon', 0.5), flt('momentum', 0.1), int('training_mode', 0)], 14));
    expected(0.5).forEach((v, i) => expect(got[i]).toBeCloseTo(v, 5));
  });

  it('accepts spatial=1 and is_test=1 in the opsets that define them', () => {
    expect(run(model([int('spatial', 1)], 7)).length).toBe(4);
    expect(run(model([int('spatial', 1), int('is_test', 1)], 6)).length).toBe(4);
  });

  it('rejects training_mode=1, naming the node', () => {
    const e = errorOf(() => loadModelBytes(model([int('training_mode', 1)], 15)));
    expect(e.code).toBe(ErrorCode.BadAttribute);
    expect(e.where).toMatchObject({ node: 'bn', op: 'BatchNormalization' });
    expect(e.message).toMatch(/training_mode/);
  });

  it('rejects spatial=0 and is_test=0', () => {
    expect(errorOf(() => loadModelBytes(model([int('spatial', 0)], 7))).message).toMatch(/spatial/);
    expect(errorOf(() => loadModelBytes(model([int('is_test', 0)], 6))).message).toMatch(/is_test/);
  });

  it('rejects attributes outside their opsets', () => {
    expect(errorOf(() => loadModelBytes(model([int('spatial', 1)], 9))).message).toMatch(/spatial/);
    expect(errorOf(() => loadModelBytes(model([int('training_mode', 0)], 13))).message).toMatch(/training_mode/);
  });

  it('rejects training outputs but allows them to be left empty', () => {
    const e = errorOf(() => loadModelBytes(model([], 15, ['y', 'running_mean', 'running_var'])));
    expect(e.code).toBe(ErrorCode.BadAttribute);
    expect(run(model([], 9, ['y', '', '']))).toHaveLength(4);
  });

  it('rejects parameters that are not one per channel', () => {
    const e = errorOf(() => loadModelBytes(model([], 15, ['y'], [1, 3, 2])));
    expect(e.code).toBe(ErrorCode.ShapeMismatch);
    expect(e.message).toMatch(/one value per channel/);
  });
});
