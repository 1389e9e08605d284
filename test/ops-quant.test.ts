/** Quant family: QuantizeLinear/DequantizeLinear (rounding, saturation, 16- and 4-bit types,
 * per-axis and blocked parameters, float16 scales), QLinearConv/ConvInteger (depthwise,
 * per-channel weights, bias, 3-D), MatMulInteger/QLinearMatMul (per-row/per-column zero
 * points), and importer errors and shape inference. Expected values come from ONNX's own
 * test cases (onnx/backend/test/case/node, newer than the installed conformance data) or
 * from the ONNX reference implementation. */
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../src/errors.js';
import { allocate, toNumbers, type DType, type NumericData } from '../src/ir/dtype.js';
import type { Node } from '../src/ir/graph.js';
import type { ConvAttrs, QuantizeAttrs } from '../src/ir/ops.js';
import { quantKernels, roundHalfEven, f16round } from '../src/interp/quant.js';
import { runGraph } from '../src/interp/run.js';
import type { Value } from '../src/interp/types.js';
import { loadModelBytes } from '../src/onnx/load.js';
import { onnx } from '../src/onnx/proto.js';
import { OnnxDataType, onnxCodeOf } from '../src/onnx/tensor.js';
import { errorOf } from './support/errors.js';

const val = (dtype: DType, shape: number[], values: number[]): Value => {
  const data = allocate(dtype, values.length) as NumericData;
  values.forEach((v, i) => (data[i] = v));
  return { dtype, shape, data };
};
const nums = (v: Value) => toNumbers(v.data);

function quantNode(op: 'QuantizeLinear' | 'DequantizeLinear', attrs: QuantizeAttrs): Node {
  return { name: 'q', op, inputs: [], outputs: ['y'], attrs } as Node;
}
const qattrs = (outputDtype: DType, axis = 1, blockSize = 0): QuantizeAttrs => ({ axis, saturate: true, blockSize, outputDtype });

function quantize(x: Value, s: Value, z: Value | undefined, attrs: QuantizeAttrs): Value {
  return quantKernels.QuantizeLinear(quantNode('QuantizeLinear', attrs) as never, [x, s, z])[0];
}
function dequantize(x: Value, s: Value, z: Value | undefined, attrs: QuantizeAttrs): Value {
  return quantKernels.DequantizeLinear(quantNode('DequantizeLinear', attrs) as never, [x, s, z])[0];
}

describe('rounding helpers', () => {
  it('rounds half to even', () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4999, -3.5001].map(roundHalfEven)).toEqual([0, 2, 2, -0, -2, -2, 2, -4]);
  });
  it('rounds to float16', () => {
    expect(f16round(0.1)).toBe(0.0999755859375);
    expect(f16round(65519)).toBe(65504);
    expect(f16round(65520)).toBe(Infinity);
    expect(f16round(2 ** -25)).toBe(0); // half of the smallest subnormal: ties to even (0)
    expect(f16round(3 * 2 ** -25)).toBe(2 ** -23);
  });
});

describe('QuantizeLinear kernel', () => {
  it('rounds ties to even before adding the zero point, then saturates', () => {
    const x = val('float32', [8], [0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 1000, -1000]);
    const y = quantize(x, val('float32', [], [1]), val('int8', [], [0]), qattrs('int8'));
    expect(y.dtype).toBe('int8');
    expect(nums(y)).toEqual([0, 2, 2, 0, -2, -2, 127, -128]);
  });

  it('quantizes to uint16 and int16 (opset 21 cases)', () => {
    const xu = val('float32', [12], [0, -128, 3, -3, 2.9, -2.9, 3.1, -3.1, 65536, -65534, 70000, -70000]);
    expect(nums(quantize(xu, val('float32', [], [2]), val('uint16', [], [32767]), qattrs('uint16'))))
      .toEqual([32767, 32703, 32769, 32765, 32768, 32766, 32769, 32765, 65535, 0, 65535, 0]);
    const xi = val('float32', [16], [0, -514, 3, -3, 2.9, -2.9, 3.1, -3.1, 65022, -66046, 65023, -66047, 65024, -66048, 70000, -70000]);
    expect(nums(quantize(xi, val('float32', [], [2]), val('int16', [], [256]), qattrs('int16'))))
      .toEqual([256, -1, 258, 254, 257, 255, 258, 254, 32767, -32767, 32767, -32768, 32767, -32768, 32767, -32768]);
  });

  it('quantizes per axis to int4 and uint4 (stored one value per byte)', () => {
    const x = val('float32', [3, 4], [0, 2.5, 4.8, 8.6, -30, -20, 6, 9, 12, 15, 16, 40]);
    const s = val('float32', [3], [2, 3, 4]);
    const u4 = quantize(x, s, val('uint4', [3], [1, 1, 1]), qattrs('uint4', 0));
    expect(u4.dtype).toBe('uint4');
    expect(nums(u4)).toEqual([1, 2, 3, 5, 0, 0, 3, 4, 4, 5, 5, 11]);
    expect(nums(quantize(x, s, val('int4', [3], [1, 1, 1]), qattrs('int4', 0)))).toEqual([1, 2, 3, 5, -8, -6, 3, 4, 4, 5, 5, 7]);
  });

  it('quantizes with blocked scales (opset 21)', () => {
    const x = val('float32', [3, 4], [6, 12, 50, 5, 1, 8, 4, 5, 0, 20, 10, 4]);
    const s = val('float32', [3, 2], [1.5, 2.5, 3, 4.9, 5.1, 6.9]);
    const z = val('uint8', [3, 2], [0, 1, 1, 0, 2, 3]);
    expect(nums(quantize(x, s, z, qattrs('uint8', 1, 2)))).toEqual([4, 8, 21, 3, 1, 4, 1, 1, 2, 6, 4, 4]);
  });

  it('divides in float32 like the reference (not in float64)', () => {
    // 0.35f / 0.1f is 3.4999999 in float64 but exactly 3.5 in float32 (a tie: 4);
    // 0.45f / 0.1f is 4.5000001 in float64 but 4.5 in float32 (a tie: 4).
    const x = val('float32', [2], [Math.fround(0.35), Math.fround(0.45)]);
    expect(nums(quantize(x, val('float32', [], [Math.fround(0.1)]), undefined, qattrs('uint8')))).toEqual([4, 4]);
  });
});

describe('DequantizeLinear kernel', () => {
  it('dequantizes int4/uint4 with a one-element zero point (opset 21 cases)', () => {
    expect(nums(dequantize(val('uint4', [5], [0, 1, 7, 10, 15]), val('float32', [], [2]), val('uint4', [1], [1]), qattrs('float32', 0))))
      .toEqual([-2, 0, 12, 18, 28]);
    expect(nums(dequantize(val('int4', [5], [0, 1, 7, -4, -8]), val('float32', [], [2]), val('int4', [1], [1]), qattrs('float32', 0))))
      .toEqual([-2, 0, 12, -10, -18]);
  });

  it('dequantizes blocked parameters with a partial last block', () => {
    const x = val('int8', [2, 5], [-128, -1, 0, 1, 127, 5, 6, 7, 8, 9]);
    const s = val('float32', [2, 3], [0.5, 0.25, 2, 1, 3, 0.1]);
    const z = val('int8', [2, 3], [0, 1, 2, -1, -2, -3]);
    expect(nums(dequantize(x, s, z, qattrs('float32', 1, 2)))).toEqual([-64, -0.5, -0.25, 0, 250, 6, 7, 27, 30, Math.fround(1.2)]);
  });

  it('returns the float16 scale type, rounded to float16', () => {
    const y = dequantize(val('uint8', [4], [1, 2, 3, 100]), val('float16', [], [f16round(0.1)]), undefined, qattrs('float16'));
    expect(y.dtype).toBe('float16');
    expect(nums(y)).toEqual([0.0999755859375, 0.199951171875, 0.2998046875, 10]);
  });
});

const convNode = (op: 'QLinearConv' | 'ConvInteger', attrs: ConvAttrs): never =>
  ({ name: 'c', op, inputs: [], outputs: ['y'], attrs }) as never;

describe('integer convolutions', () => {
  it('QLinearConv: depthwise, per-channel weight scale and zero point, int32 bias', () => {
    const x = val('uint8', [1, 2, 3, 3], Array.from({ length: 18 }, (_, i) => i * 7));
    const w = val('int8', [2, 1, 2, 2], [1, -2, 3, 4, -5, 6, 7, -8]);
    const attrs: ConvAttrs = { kernel: [2, 2], strides: [1, 1], dilations: [1, 1], pads: [0, 0, 0, 0], group: 2 };
    const y = quantKernels.QLinearConv(convNode('QLinearConv', attrs), [
      x, val('float32', [], [0.5]), val('uint8', [], [10]),
      w, val('float32', [2], [1, 0.25]), val('int8', [2], [0, 1]),
      val('float32', [], [1]), val('int8', [], [-3]), val('int32', [2], [5, -7]),
    ])[0];
    expect(y.dtype).toBe('int8');
    expect(y.shape).toEqual([1, 2, 2, 2]);
    // Accumulators [106, 148, 232, 274] * 0.5 - 3 and [-310, -338, -394, -422] * 0.125 - 3.
    expect(nums(y)).toEqual([50, 71, 113, 127, -42, -45, -52, -56]);
  });

  it('ConvInteger: padding contributes the zero point; 3-D matches 2-D', () => {
    const x = val('uint8', [1, 1, 3, 3], [2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const w = val('uint8', [1, 1, 2, 2], [1, 1, 1, 1]);
    const a2: ConvAttrs = { kernel: [2, 2], strides: [1, 1], dilations: [1, 1], pads: [1, 1, 1, 1], group: 1 };
    const y2 = quantKernels.ConvInteger(convNode('ConvInteger', a2), [x, w, val('uint8', [], [1])])[0];
    // ONNX's test_convinteger_with_padding.
    expect(nums(y2)).toEqual([1, 3, 5, 3, 5, 12, 16, 9, 11, 24, 28, 15, 7, 15, 17, 9]);
    const x3 = { ...x, shape: [1, 1, 1, 3, 3] };
    const w3 = { ...w, shape: [1, 1, 1, 2, 2] };
    const a3: ConvAttrs = { kernel: [1, 2, 2], strides: [1, 1, 1], dilations: [1, 1, 1], pads: [0, 1, 1, 0, 1, 1], group: 1 };
    const y3 = quantKernels.ConvInteger(convNode('ConvInteger', a3), [x3, w3, val('uint8', [], [1])])[0];
    expect(y3.shape).toEqual([1, 1, 1, 4, 4]);
    expect(nums(y3)).toEqual(nums(y2));
  });
});

describe('integer matmuls', () => {
  it('MatMulInteger: a 1-D a_zero_point is per row, a 1-D b_zero_point per column', () => {
    const a = val('uint8', [2, 3], [1, 2, 3, 4, 5, 6]);
    const b = val('uint8', [3, 2], [1, 0, 0, 1, 1, 1]);
    const y = quantKernels.MatMulInteger({} as never, [a, b, val('uint8', [2], [1, 2]), val('uint8', [2], [0, 1])])[0];
    expect(y.dtype).toBe('int32');
    expect(nums(y)).toEqual([2, 0, 6, -2]);
  });

  it('QLinearMatMul: the opset 21 uint8 example, with float16 scales too', () => {
    for (const sd of ['float32', 'float16'] as const) {
      const s = (v: number) => val(sd, [1], [sd === 'float16' ? f16round(v) : Math.fround(v)]);
      const y = quantKernels.QLinearMatMul({} as never, [
        val('uint8', [2, 4], [208, 236, 0, 238, 3, 214, 255, 29]), s(0.0066), val('uint8', [1], [113]),
        val('uint8', [4, 3], [152, 51, 244, 60, 26, 255, 0, 127, 246, 127, 254, 247]), s(0.00705), val('uint8', [1], [114]),
        s(0.0107), val('uint8', [1], [118]),
      ])[0];
      expect(nums(y)).toEqual([168, 115, 255, 1, 66, 151]);
    }
  });
});

// --- importer: small models built with the onnx-proto encoder ---

const A = onnx.AttributeProto.AttributeType;
const vi = (name: string, dtype: DType, shape: number[]) => ({
  name,
  type: { tensorType: { elemType: onnxCodeOf(dtype), shape: { dim: shape.map((d) => ({ dimValue: d })) } } },
});
const init = (name: string, dtype: DType, dims: number[], values: number[]) =>
  dtype === 'float32' ? { name, dataType: onnxCodeOf(dtype), dims, floatData: values } : { name, dataType: onnxCodeOf(dtype), dims, int32Data: values };

function model(opset: number, node: object, inputs: object[], inits: object[], output: object): Uint8Array {
  return onnx.ModelProto.encode({
    irVersion: 8,
    opsetImport: [{ domain: '', version: opset }],
    graph: { name: 'g', node: [node], input: inputs, output: [output], initializer: inits },
  }).finish();
}


describe('quant importers', () => {
  const qnode = (attrs: object[], inputs = ['x', 's']) => ({ name: 'quant1', opType: 'QuantizeLinear', input: inputs, output: ['y'], attribute: attrs });

  it('QuantizeLinear-21: output_dtype without a zero point picks the output type', () => {
    const bytes = model(21, qnode([{ name: 'output_dtype', type: A.INT, i: OnnxDataType.INT8 }]),
      [vi('x', 'float32', [3])], [init('s', 'float32', [], [0.5])], vi('y', 'int8', [3]));
    const { graph } = loadModelBytes(bytes);
    const y = runGraph(graph, new Map([['x', val('float32', [3], [-1, 0.25, 100])]])).get('y')!;
    expect(y.dtype).toBe('int8');
    expect(nums(y)).toEqual([-2, 0, 127]);
  });

  it('without a zero point or output_dtype, QuantizeLinear produces uint8', () => {
    const { graph } = loadModelBytes(model(13, qnode([]), [vi('x', 'float32', [2])], [init('s', 'float32', [], [1])], vi('y', 'uint8', [2])));
    expect(graph.tensors.get('y')!.dtype).toBe('uint8');
  });

  it('rejects a float8 output_dtype naming the node', () => {
    const e = errorOf(() => loadModelBytes(model(21, qnode([{ name: 'output_dtype', type: A.INT, i: OnnxDataType.FLOAT8E4M3FN }]),
      [vi('x', 'float32', [3])], [init('s', 'float32', [], [1])], vi('y', 'uint8', [3]))));
    expect(e.code).toBe(ErrorCode.BadAttribute);
    expect(e.format()).toContain("node 'quant1' (QuantizeLinear)");
    expect(e.message).toContain('float8');
  });

  it('rejects attributes newer than the model opset (axis in opset 10)', () => {
    const e = errorOf(() => loadModelBytes(model(10, qnode([{ name: 'axis', type: A.INT, i: 0 }]),
      [vi('x', 'float32', [3])], [init('s', 'float32', [], [1])], vi('y', 'uint8', [3]))));
    expect(e.code).toBe(ErrorCode.BadAttribute);
    expect(e.message).toContain("'axis'");
  });

  it('rejects a per-axis scale whose length does not match x along axis', () => {
    const e = errorOf(() => loadModelBytes(model(13, qnode([{ name: 'axis', type: A.INT, i: 1 }]),
      [vi('x', 'float32', [2, 3])], [init('s', 'float32', [2], [1, 1])], vi('y', 'uint8', [2, 3]))));
    expect(e.code).toBe(ErrorCode.ShapeMismatch);
    expect(e.message).toContain('axis 1');
  });

  const qconv = (attrs: object[]) => ({
    name: 'qconv', opType: 'QLinearConv', attribute: attrs, output: ['y'],
    input: ['x', 'xs', 'xz', 'w', 'ws', 'wz', 'ys', 'yz', 'b'],
  });
  const convInits = (wsLen: number) => [
    init('xs', 'float32', [], [0.1]), init('xz', 'uint8', [], [128]),
    init('w', 'int8', [4, 1, 3, 3], Array.from({ length: 36 }, (_, i) => (i % 7) - 3)),
    init('ws', 'float32', [wsLen], new Array<number>(wsLen).fill(0.02)), init('wz', 'int8', [wsLen], new Array<number>(wsLen).fill(0)),
    init('ys', 'float32', [], [0.2]), init('yz', 'uint8', [], [100]), init('b', 'int32', [4], [1, 2, 3, 4]),
  ];

  it('QLinearConv: infers a depthwise strided SAME_UPPER output shape', () => {
    const bytes = model(10, qconv([
      { name: 'group', type: A.INT, i: 4 }, { name: 'strides', type: A.INTS, ints: [2, 2] }, { name: 'auto_pad', type: A.STRING, s: Buffer.from('SAME_UPPER') },
    ]), [vi('x', 'uint8', [1, 4, 7, 6])], convInits(4), vi('y', 'uint8', [1, 4, 4, 3]));
    const { graph } = loadModelBytes(bytes);
    expect(graph.tensors.get('y')!.shape).toEqual([1, 4, 4, 3]);
    const n = graph.nodes[0];
    expect(n.op).toBe('QLinearConv');
    expect(n.attrs).toMatchObject({ kernel: [3, 3], strides: [2, 2], pads: [1, 0, 1, 1], group: 4 });
  });

  it('QLinearConv: rejects a weight scale that is neither per tensor nor per output channel', () => {
    const e = errorOf(() => loadModelBytes(model(10, qconv([{ name: 'group', type: A.INT, i: 4 }]),
      [vi('x', 'uint8', [1, 4, 5, 5])], convInits(3), vi('y', 'uint8', [1, 4, 3, 3]))));
    expect(e.code).toBe(ErrorCode.ShapeMismatch);
    expect(e.format()).toContain("node 'qconv' (QLinearConv)");
    expect(e.message).toContain('w_scale');
  });

  it('MatMulInteger: infers numpy matmul shapes with batch broadcasting', () => {
    const bytes = model(10, { name: 'mm', opType: 'MatMulInteger', input: ['a', 'b'], output: ['y'] },
      [vi('a', 'int8', [2, 1, 3, 4]), vi('b', 'uint8', [5, 4, 6])], [], vi('y', 'int32', [2, 5, 3, 6]));
    expect(loadModelBytes(bytes).graph.tensors.get('y')!.shape).toEqual([2, 5, 3, 6]);
  });
});
