/** Validation at the door (src/onnx/validate.ts): models that onnx.checker and onnxruntime refuse
 * are refused with QGC1110 naming what is wrong, before import. One case per finding of the
 * validation issue that used to import (exit 0) or end in an internal error (QGC9000). */
import { describe, expect, it } from 'vitest';
import { loadModelBytes } from '../src/onnx/load.js';
import { attr, valueInfo } from '../src/onnx/export-proto.js';
import { onnx } from '../src/onnx/proto.js';
import { errorOf } from './support/errors.js';
import { encode, init } from './support/qdq-models.js';

const DT = onnx.TensorProto.DataType;

/** A float Conv 1→2 channels, 3x3, over [1,1,5,5]: the base the cases below break. */
function conv(attrs: object[] = [], weight = init('w', 'float32', [2, 1, 3, 3], new Float32Array(18).fill(0.5))): Uint8Array {
  return encode(
    [{ opType: 'Conv', name: 'conv', input: ['x', 'w'], output: ['y'], attribute: [attr.ints('kernel_shape', [3, 3]), ...attrs] }],
    [weight], [valueInfo('x', 'float32', [1, 1, 5, 5])], [valueInfo('y', 'float32', [1, 2, 3, 3])],
  );
}

function refused(bytes: Uint8Array): string {
  const e = errorOf(() => loadModelBytes(bytes, { file: 'm.onnx' }));
  expect(e.code).toBe('QGC1110');
  return e.format();
}

/** A model with one node and everything given as initializers or inputs. */
function single(node: object, inits: object[], inputs: object[], outputs: object[], opset = 13, ir = 7): Uint8Array {
  const bytes = encode([node], inits, inputs, outputs, opset);
  const m = onnx.ModelProto.decode(bytes);
  m.irVersion = ir;
  return onnx.ModelProto.encode(m).finish();
}

describe('validation at the door', () => {
  it('accepts the base model', () => {
    expect(loadModelBytes(conv()).graph.nodes.map((n) => n.op)).toEqual(['Conv']);
  });

  it('refuses an ir_version of 0, -1 and 10000', () => {
    for (const ir of [0, -1, 10000]) {
      const m = onnx.ModelProto.decode(conv());
      m.irVersion = ir;
      expect(refused(onnx.ModelProto.encode(m).finish())).toMatch(new RegExp(`ir_version ${ir} is outside 3\\.\\.14`));
    }
  });

  it('refuses Conv pads of 2^31 (an overflow in the interpreter before) and a zero stride', () => {
    expect(refused(conv([attr.ints('pads', [2 ** 31, 0, 0, 0])]))).toMatch(/node 'conv' \(Conv\): pads holds 2147483648; it must be zero or more and at most 16777216/);
    expect(refused(conv([attr.ints('strides', [0, 1])]))).toMatch(/strides holds 0; it must be positive/);
  });

  it('refuses auto_pad=SAME_UPPER together with explicit pads', () => {
    expect(refused(conv([attr.string('auto_pad', 'SAME_UPPER'), attr.ints('pads', [1, 1, 1, 1])]))).toMatch(/auto_pad is SAME_UPPER and pads are given too/);
    // auto_pad alone is fine.
    expect(loadModelBytes(conv([attr.string('auto_pad', 'VALID')])).graph.nodes).toHaveLength(1);
  });

  it('refuses an attribute of type UNDEFINED, of a type other than its op reads, or holding a value its type does not name', () => {
    expect(refused(conv([{ name: 'group', type: 0, i: 1 }]))).toMatch(/attribute 'group' has no type \(UNDEFINED\)/);
    const wrong = errorOf(() => loadModelBytes(conv([{ name: 'group', type: onnx.AttributeProto.AttributeType.FLOAT, f: 1 }])));
    expect([wrong.code, wrong.message]).toEqual(['QGC1103', "attribute 'group' must be an int"]);
    expect(refused(conv([{ name: 'group', type: onnx.AttributeProto.AttributeType.INT, i: 1, s: new Uint8Array([65]) }]))).toMatch(/attribute 'group' is of type INT but also holds s/);
  });

  it('refuses a graph output or input listed twice, and an output without a type', () => {
    const twiceOut = encode([{ opType: 'Relu', name: 'r', input: ['x'], output: ['y'] }], [], [valueInfo('x', 'float32', [2])], [valueInfo('y', 'float32', [2]), valueInfo('y', 'float32', [2])]);
    expect(refused(twiceOut)).toMatch(/tensor 'y': graph output 'y' is listed twice/);
    const twiceIn = encode([{ opType: 'Relu', name: 'r', input: ['x'], output: ['y'] }], [], [valueInfo('x', 'float32', [2]), valueInfo('x', 'float32', [2])], [valueInfo('y', 'float32', [2])]);
    expect(refused(twiceIn)).toMatch(/graph input 'x' is listed twice/);
    const untyped = encode([{ opType: 'Relu', name: 'r', input: ['x'], output: ['y'] }], [], [valueInfo('x', 'float32', [2])], [{ name: 'y' }]);
    expect(refused(untyped)).toMatch(/graph output 'y' has no element type/);
  });

  it('refuses an attribute given twice (onnxruntime: "appeared multiple times")', () => {
    expect(refused(conv([attr.ints('kernel_shape', [3, 3])]))).toMatch(/attribute 'kernel_shape' appears twice/);
  });

  it('refuses a graph output declared with another type than the one computed', () => {
    for (const t of ['float64', 'uint8', 'int64'] as const) {
      const bytes = encode([{ opType: 'Relu', name: 'r', input: ['x'], output: ['y'] }], [], [valueInfo('x', 'float32', [2])], [valueInfo('y', t, [2])]);
      expect(refused(bytes)).toMatch(/tensor 'y': 'y' is declared \w+ but is float/);
    }
  });

  it('refuses a graph without outputs (a bit flip can drop the field; onnxruntime then has nothing to run)', () => {
    const bytes = encode([{ opType: 'Relu', name: 'r', input: ['x'], output: ['y'] }], [], [valueInfo('x', 'float32', [2])], []);
    expect(refused(bytes)).toMatch(/the graph has no outputs/);
  });

  it('refuses unnamed graph inputs and initializers', () => {
    const bytes = encode([{ opType: 'Relu', name: 'r', input: [''], output: ['y'] }], [], [valueInfo('', 'float32', [2])], [valueInfo('y', 'float32', [2])]);
    expect(refused(bytes)).toMatch(/a graph input has no name/);
  });

  it('refuses an inferred shape beyond the element limit (a Pad to 32M × 32M ended in QGC9000 at run time)', () => {
    const bytes = encode([{ opType: 'Pad', name: 'pad', input: ['x', 'pads'], output: ['y'] }],
      [init('pads', 'int64', [8], BigInt64Array.from([0n, 0n, 16000000n, 16000000n, 0n, 0n, 16000000n, 16000000n]))],
      [valueInfo('x', 'float32', [1, 1, 5, 5])], [valueInfo('y', 'float32', [1, 1, 32000005, 32000005])]);
    const e = errorOf(() => loadModelBytes(bytes));
    expect(e.code).toBe('QGC1003');
    expect(e.format()).toMatch(/node 'pad' \(Pad\), tensor 'y': shape \[1, 1, 32000005, 32000005\] declares more than 268435456 elements/);
  });

  it('refuses a tensor written by two nodes', () => {
    const bytes = encode(
      [{ opType: 'Relu', name: 'a', input: ['x'], output: ['y'] }, { opType: 'Relu', name: 'b', input: ['x'], output: ['y'] }],
      [], [valueInfo('x', 'float32', [2])], [valueInfo('y', 'float32', [2])],
    );
    expect(refused(bytes)).toMatch(/node 'b' \(Relu\): tensor 'y' is written by this node and by node 'a'/);
  });

  it('refuses a tensor with both raw_data and float_data', () => {
    const w = { ...init('w', 'float32', [2, 1, 3, 3], new Float32Array(18).fill(0.5)), floatData: new Array(18).fill(0.5) };
    expect(refused(conv([], w))).toMatch(/tensor 'w': the tensor stores its values twice \(raw_data and float_data\)/);
  });

  it('refuses zero points outside their type (300 or 256 for uint8, 2^31-1 for int8 in int32_data), which used to wrap', () => {
    for (const [type, v] of [[DT.UINT8, 300], [DT.UINT8, 256], [DT.INT8, 2 ** 31 - 1], [DT.INT8, -129]] as const) {
      const bytes = single(
        { opType: 'QuantizeLinear', name: 'q', input: ['x', 's', 'zp'], output: ['y'] },
        [init('s', 'float32', [], new Float32Array([0.1])), { name: 'zp', dataType: type, dims: [], int32Data: [v] }],
        [valueInfo('x', 'float32', [2])], [valueInfo('y', type === DT.UINT8 ? 'uint8' : 'int8', [2])],
      );
      expect(refused(bytes)).toMatch(new RegExp(`tensor 'zp': int32_data holds ${v}, outside u?int8's range`));
    }
  });

  it('refuses a weight scale of -Inf (which reached frexp before) or 0, and explains a zero scale on weights', () => {
    for (const s of [-Infinity, 0, NaN, -0.5]) {
      const bytes = single(
        { opType: 'DequantizeLinear', name: 'dq', input: ['w', 's'], output: ['y'], attribute: [attr.int('axis', 0)] },
        [init('w', 'int8', [2, 3], new Int8Array([1, 2, 3, 0, 0, 0])), init('s', 'float32', [2], new Float32Array([0.5, s]))],
        [], [valueInfo('y', 'float32', [2, 3])],
      );
      const line = refused(bytes);
      expect(line).toMatch(new RegExp(`scale 's' \\(channel 1\\) is ${String(s).replace('-', '-?')}; scales must be finite and > 0`));
      if (s === 0) expect(line).toMatch(/if its weights are all zero, give the channel any positive scale/);
    }
  });

  it('refuses Clip bounds of another type than the input, a double BatchNorm bias next to a float scale, a Reshape shape in int32', () => {
    const clip = single(
      { opType: 'Clip', name: 'clip', input: ['x', 'lo', 'hi'], output: ['y'] },
      [{ name: 'lo', dataType: DT.INT64, dims: [], int64Data: [0] }, init('hi', 'float32', [], new Float32Array([6]))],
      [valueInfo('x', 'float32', [2])], [valueInfo('y', 'float32', [2])],
    );
    expect(refused(clip)).toMatch(/node 'clip' \(Clip\): input 2 \('lo'\) is int64 but input 1 \('x'\) is float; Clip takes one type for both/);
    const bn = single(
      { opType: 'BatchNormalization', name: 'bn', input: ['x', 'scale', 'b', 'mean', 'var'], output: ['y'] },
      [init('scale', 'float32', [2], new Float32Array([1, 1])), { name: 'b', dataType: DT.DOUBLE, dims: [2], doubleData: [0, 0] },
        init('mean', 'float32', [2], new Float32Array([0, 0])), init('var', 'float32', [2], new Float32Array([1, 1]))],
      [valueInfo('x', 'float32', [1, 2, 2, 2])], [valueInfo('y', 'float32', [1, 2, 2, 2])], 15,
    );
    expect(refused(bn)).toMatch(/input 3 \('b'\) is double but input 2 \('scale'\) is float/);
    const reshape = single(
      { opType: 'Reshape', name: 'rs', input: ['x', 'shape'], output: ['y'] },
      [{ name: 'shape', dataType: DT.INT32, dims: [1], int32Data: [4] }],
      [valueInfo('x', 'float32', [2, 2])], [valueInfo('y', 'float32', [4])],
    );
    expect(refused(reshape)).toMatch(/input 2 \('shape'\) is int32; Reshape takes int64 there/);
  });
});
