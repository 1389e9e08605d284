/** Importers for the quantized ops: QuantizeLinear, DequantizeLinear, QLinearConv,
 * ConvInteger, MatMulInteger, QLinearMatMul. Scales and zero points stay ordinary
 * inputs (in ONNX order); the kernels read them at run time. */
import { ErrorCode } from '../../errors.js';
import { isFloat, type DType } from '../../ir/dtype.js';
import { elementCount, type Tensor } from '../../ir/graph.js';
import { broadcastShapes, expectInputs, input, normAxis } from './common.js';
import { OnnxDataType } from '../tensor.js';
import { node, type ImportContext, type OpImporter } from './types.js';
import { resolveWindow } from './window.js';

/** Integer types QuantizeLinear may produce (int32 is a qgc extension, used for biases). */
const QUANT_TYPES: readonly DType[] = ['int8', 'uint8', 'int16', 'uint16', 'int4', 'uint4', 'int32'];
/** Integer types DequantizeLinear reads. */
const DEQUANT_TYPES: readonly DType[] = ['int8', 'uint8', 'int16', 'uint16', 'int4', 'uint4', 'int32'];
const INT8_TYPES: readonly DType[] = ['int8', 'uint8'];

/** output_dtype codes (QuantizeLinear-21) qgc can produce. */
const OUTPUT_DTYPE_CODES: Record<number, DType> = {
  [OnnxDataType.INT8]: 'int8',
  [OnnxDataType.UINT8]: 'uint8',
  [OnnxDataType.INT16]: 'int16',
  [OnnxDataType.UINT16]: 'uint16',
  [OnnxDataType.INT4]: 'int4',
  [OnnxDataType.UINT4]: 'uint4',
};
const FLOAT8_CODES: readonly number[] = [
  OnnxDataType.FLOAT8E4M3FN, OnnxDataType.FLOAT8E4M3FNUZ, OnnxDataType.FLOAT8E5M2, OnnxDataType.FLOAT8E5M2FNUZ, OnnxDataType.FLOAT4E2M1,
];

const shapeStr = (s: readonly number[]) => `[${s.join(', ')}]`;

function expectDType(ctx: ImportContext, t: Tensor, allowed: readonly DType[], what: string): void {
  if (!allowed.includes(t.dtype)) {
    throw ctx.error(ErrorCode.UnsupportedDType, `${what} '${t.name}' is ${t.dtype}; expected ${allowed.join(' or ')}`,
      'qgc supports integer quantization (float8/float4 types are not supported); re-quantize the model with integer types.');
  }
}

function expectFloatParam(ctx: ImportContext, t: Tensor, what: string): void {
  if (!isFloat(t.dtype)) {
    throw ctx.error(ErrorCode.UnsupportedDType, `${what} '${t.name}' is ${t.dtype}; a scale must be float`, 'Re-export the model with float scales.');
  }
}

/** A zero point must have its data input's type. */
function expectZeroPointOf(ctx: ImportContext, zp: Tensor | undefined, data: Tensor, what: string): void {
  if (zp && zp.dtype !== data.dtype) {
    throw ctx.error(ErrorCode.UnsupportedDType, `${what} '${zp.name}' is ${zp.dtype}, but the tensor it belongs to is ${data.dtype}`,
      'A zero point must have the same type as its quantized tensor; re-export the model.');
  }
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** A scale (or zero point) that must hold a single value (per-tensor). */
function expectScalar(ctx: ImportContext, t: Tensor | undefined, what: string): void {
  if (t && (elementCount(t.shape) !== 1 || t.shape.length > 1)) {
    throw ctx.error(ErrorCode.ShapeMismatch, `${what} '${t.name}' has shape ${shapeStr(t.shape)}; it must be a scalar (per-tensor)`,
      'Only per-tensor quantization is defined for this input; re-quantize the model.');
  }
}

/** A zero point must have the shape of its scale. */
function expectPairShape(ctx: ImportContext, scale: Tensor, zp: Tensor | undefined, what: string): void {
  if (zp && !sameShape(scale.shape, zp.shape) && !(elementCount(scale.shape) === 1 && elementCount(zp.shape) === 1)) {
    throw ctx.error(ErrorCode.ShapeMismatch, `${what} zero point shape ${shapeStr(zp.shape)} differs from its scale shape ${shapeStr(scale.shape)}`,
      'Scale and zero point must have the same shape; re-export the model.');
  }
}

/**
 * Validates the layout of a QuantizeLinear/DequantizeLinear scale against x and returns
 * the normalized axis: per-tensor (one value), per-axis (1-D, one value per x[axis]), or
 * blocked (opset 21: x's rank, ceil(x[axis] / block_size) values along axis).
 */
function quantAxis(ctx: ImportContext, x: Tensor, scale: Tensor, zp: Tensor | undefined, axisAttr: number, blockSize: number): number {
  expectPairShape(ctx, scale, zp, 'the');
  const rank = x.shape.length;
  const size = elementCount(scale.shape);
  if (blockSize < 0) throw ctx.attrs.bad('block_size', `is ${blockSize}; it must be 0 or positive`);
  if (size === 1) {
    // Per-tensor: the axis is ignored (and may not even be valid for x's rank).
    const a = axisAttr < 0 ? axisAttr + rank : axisAttr;
    return a >= 0 && a < rank ? a : 0;
  }
  const axis = normAxis(ctx, axisAttr, rank);
  if (blockSize === 0) {
    if (scale.shape.length !== 1) {
      throw ctx.error(ErrorCode.ShapeMismatch, `scale has shape ${shapeStr(scale.shape)}; without block_size it must be a scalar or 1-D`,
        'Use a scalar scale (per-tensor), a 1-D scale (per-axis), or set block_size (opset 21) for blocked quantization.');
    }
    if (scale.shape[0] !== x.shape[axis]) {
      throw ctx.error(ErrorCode.ShapeMismatch, `per-axis scale has ${scale.shape[0]} values, but x ${shapeStr(x.shape)} has ${x.shape[axis]} along axis ${axis}`,
        'Check the axis attribute; the scale needs one value per slice along it.');
    }
    return axis;
  }
  const expected = x.shape.map((d, i) => (i === axis ? Math.ceil(d / blockSize) : d));
  if (!sameShape(scale.shape, expected)) {
    throw ctx.error(ErrorCode.ShapeMismatch,
      `blocked scale has shape ${shapeStr(scale.shape)}; for x ${shapeStr(x.shape)}, axis ${axis} and block_size ${blockSize} it must be ${shapeStr(expected)}`,
      'Check block_size and axis against the scale shape.');
  }
  return axis;
}

/** Reads the window attributes and checks shapes for QLinearConv/ConvInteger. */
function convShape(ctx: ImportContext, x: Tensor, w: Tensor) {
  const rank = x.shape.length;
  if (rank < 3) {
    throw ctx.error(ErrorCode.ShapeMismatch, `input x has shape ${shapeStr(x.shape)}; a convolution needs (N, C, spatial...)`, 'Give x at least 3 dims.');
  }
  if (w.shape.length !== rank) {
    throw ctx.error(ErrorCode.ShapeMismatch, `weight shape ${shapeStr(w.shape)} does not have the input's rank ${rank}`, 'The weight must be (M, C/group, k1, ...).');
  }
  const group = ctx.attrs.int('group', 1);
  if (group < 1) throw ctx.attrs.bad('group', `is ${group}; it must be positive`);
  const [n, c] = x.shape;
  const [m, cg] = w.shape;
  if (cg * group !== c || m % group !== 0) {
    throw ctx.error(ErrorCode.ShapeMismatch,
      `weight ${shapeStr(w.shape)} with group ${group} does not fit input ${shapeStr(x.shape)} (needs C = ${cg} * ${group} and M divisible by ${group})`,
      'Check the group attribute and the weight shape.');
  }
  const win = resolveWindow(ctx, x.shape.slice(2), w.shape.slice(2));
  const attrs = { kernel: win.kernel, strides: win.strides, dilations: win.dilations, pads: win.pads, group };
  return { attrs, outShape: [n, m, ...win.outSpatial], m };
}

/** Weight scale / zero point of a conv: per-tensor or one value per output channel. */
function expectPerChannel(ctx: ImportContext, t: Tensor | undefined, m: number, what: string): void {
  if (!t) return;
  const size = elementCount(t.shape);
  if (t.shape.length > 1 || (size !== 1 && size !== m)) {
    throw ctx.error(ErrorCode.ShapeMismatch, `${what} '${t.name}' has shape ${shapeStr(t.shape)}; it must be a scalar or hold ${m} values (one per output channel)`,
      'Re-quantize the weights per tensor or per output channel.');
  }
}

/** numpy.matmul output shape (1-D operands promoted, then the promoted dims dropped). */
function matmulShape(ctx: ImportContext, a: Tensor, b: Tensor): number[] {
  if (a.shape.length === 0 || b.shape.length === 0) {
    throw ctx.error(ErrorCode.ShapeMismatch, 'matmul operands must have at least 1 dim', 'Reshape the scalar operand to 1-D.');
  }
  const ap = a.shape.length === 1 ? [1, a.shape[0]] : [...a.shape];
  const bp = b.shape.length === 1 ? [b.shape[0], 1] : [...b.shape];
  const k = ap[ap.length - 1];
  if (bp[bp.length - 2] !== k) {
    throw ctx.error(ErrorCode.ShapeMismatch, `matmul of ${shapeStr(a.shape)} and ${shapeStr(b.shape)}: inner dims ${k} and ${bp[bp.length - 2]} differ`,
      'The model is inconsistent; check its input shapes (--input-shape).');
  }
  const batch = broadcastShapes(ctx, ap.slice(0, -2), bp.slice(0, -2));
  const out = [...batch];
  if (a.shape.length > 1) out.push(ap[ap.length - 2]);
  if (b.shape.length > 1) out.push(bp[bp.length - 1]);
  return out;
}

/**
 * A matmul quantization parameter (zero point or scale) of operand `t`: per tensor (one
 * value), per row of a / per column of b (a 1-D vector of M or N values), or an N-D tensor
 * broadcasting to the operand with a 1 in the reduced (K) dimension.
 */
function expectMatmulParam(ctx: ImportContext, p: Tensor | undefined, t: Tensor, side: 'a' | 'b', what: string): void {
  if (!p || elementCount(p.shape) === 1) return;
  const r = t.shape.length;
  const fail = (why: string) =>
    ctx.error(ErrorCode.ShapeMismatch, `${what} '${p.name}' has shape ${shapeStr(p.shape)}, which does not fit ${side} ${shapeStr(t.shape)}: ${why}`,
      side === 'a' ? 'Use a scalar, M values (per row), or shape [..., M, 1].' : 'Use a scalar, N values (per column), or shape [..., 1, N].');
  if (r < 2) throw fail('a 1-D operand takes only a per-tensor parameter');
  if (p.shape.length === 1) {
    const want = side === 'a' ? t.shape[r - 2] : t.shape[r - 1];
    if (p.shape[0] !== want) throw fail(`a 1-D parameter needs ${want} values`);
    return;
  }
  if (p.shape.length > r) throw fail('too many dims');
  const pr = p.shape.length;
  const kDim = side === 'a' ? p.shape[pr - 1] : p.shape[pr - 2];
  const ok = p.shape.every((d, i) => d === 1 || d === t.shape[r - pr + i]);
  if (!ok || kDim !== 1) throw fail('it must broadcast to the operand and be 1 along K');
}

export const quantImporters: OpImporter[] = [
  {
    onnxOp: 'QuantizeLinear',
    import(ctx) {
      expectInputs(ctx, 2, 3);
      const x = input(ctx, 0);
      const scale = input(ctx, 1);
      const zp = ctx.inputs[2];
      const axisAttr = ctx.opset >= 13 ? ctx.attrs.int('axis', 1) : 1;
      const saturate = ctx.opset >= 19 ? ctx.attrs.int('saturate', 1) !== 0 : true;
      const blockSize = ctx.opset >= 21 ? ctx.attrs.int('block_size', 0) : 0;
      const outCode = ctx.opset >= 21 ? ctx.attrs.int('output_dtype', 0) : 0;
      if (!isFloat(x.dtype) && x.dtype !== 'int32') {
        throw ctx.error(ErrorCode.UnsupportedDType, `input x '${x.name}' is ${x.dtype}; QuantizeLinear takes float or int32`, 'Cast x to float first.');
      }
      expectFloatParam(ctx, scale, 'y_scale');
      let outputDtype: DType = 'uint8';
      if (outCode !== 0) {
        if (FLOAT8_CODES.includes(outCode)) {
          throw ctx.attrs.bad('output_dtype', 'asks for a float8/float4 output, which qgc does not support', 'Quantize to an integer type (int8, uint8, int16, uint16, int4, uint4).');
        }
        const dt = OUTPUT_DTYPE_CODES[outCode];
        if (dt === undefined) throw ctx.attrs.bad('output_dtype', `is ${outCode}, not a quantized integer type`);
        outputDtype = dt;
      }
      if (zp) {
        expectDType(ctx, zp, QUANT_TYPES, 'y_zero_point');
        if (outCode !== 0 && zp.dtype !== outputDtype) {
          throw ctx.attrs.bad('output_dtype', `says ${outputDtype}, but y_zero_point is ${zp.dtype}`, 'Make output_dtype match the zero point type, or drop it.');
        }
        outputDtype = zp.dtype;
      }
      const axis = quantAxis(ctx, x, scale, zp, axisAttr, blockSize);
      return node('QuantizeLinear', { axis, saturate, blockSize, outputDtype }, [{ dtype: outputDtype, shape: [...x.shape] }]);
    },
  },
  {
    onnxOp: 'DequantizeLinear',
    import(ctx) {
      expectInputs(ctx, 2, 3);
      const x = input(ctx, 0);
      const scale = input(ctx, 1);
      const zp = ctx.inputs[2];
      const axisAttr = ctx.opset >= 13 ? ctx.attrs.int('axis', 1) : 1;
      const blockSize = ctx.opset >= 21 ? ctx.attrs.int('block_size', 0) : 0;
      expectDType(ctx, x, DEQUANT_TYPES, 'input x');
      expectZeroPointOf(ctx, zp, x, 'x_zero_point');
      expectFloatParam(ctx, scale, 'x_scale');
      const axis = quantAxis(ctx, x, scale, zp, axisAttr, blockSize);
      // The scale's type is the output type (float32, or float16 from opset 19).
      return node('DequantizeLinear', { axis, saturate: true, blockSize, outputDtype: scale.dtype }, [{ dtype: scale.dtype, shape: [...x.shape] }]);
    },
  },
  {
    // Inputs: x, x_scale, x_zero_point, w, w_scale, w_zero_point, y_scale, y_zero_point, [B].
    onnxOp: 'QLinearConv',
    import(ctx) {
      expectInputs(ctx, 8, 9);
      const x = input(ctx, 0);
      const w = input(ctx, 3);
      const [xScale, wScale, yScale] = [input(ctx, 1), input(ctx, 4), input(ctx, 6)];
      const [xZp, wZp, yZp] = [ctx.inputs[2], ctx.inputs[5], ctx.inputs[7]];
      const bias = ctx.inputs[8];
      expectDType(ctx, x, INT8_TYPES, 'input x');
      expectDType(ctx, w, INT8_TYPES, 'weight w');
      expectZeroPointOf(ctx, xZp, x, 'x_zero_point');
      expectZeroPointOf(ctx, wZp, w, 'w_zero_point');
      if (yZp) expectDType(ctx, yZp, INT8_TYPES, 'y_zero_point');
      for (const [t, what] of [[xScale, 'x_scale'], [wScale, 'w_scale'], [yScale, 'y_scale']] as const) expectFloatParam(ctx, t, what);
      const { attrs, outShape, m } = convShape(ctx, x, w);
      expectScalar(ctx, xScale, 'x_scale');
      expectScalar(ctx, xZp, 'x_zero_point');
      expectScalar(ctx, yScale, 'y_scale');
      expectScalar(ctx, yZp, 'y_zero_point');
      expectPerChannel(ctx, wScale, m, 'w_scale');
      expectPerChannel(ctx, wZp, m, 'w_zero_point');
      if (bias) {
        if (bias.dtype !== 'int32') {
          throw ctx.error(ErrorCode.UnsupportedDType, `bias '${bias.name}' is ${bias.dtype}; QLinearConv takes an int32 bias`, 'Quantize the bias to int32 with scale x_scale * w_scale.');
        }
        if (bias.shape.length !== 1 || bias.shape[0] !== m) {
          throw ctx.error(ErrorCode.ShapeMismatch, `bias has shape ${shapeStr(bias.shape)}; it must hold ${m} values (one per output channel)`, 'Check the bias shape.');
        }
      }
      return node('QLinearConv', attrs, [{ dtype: yZp ? yZp.dtype : x.dtype, shape: outShape }]);
    },
  },
  {
    // Inputs: x, w, [x_zero_point], [w_zero_point].
    onnxOp: 'ConvInteger',
    import(ctx) {
      expectInputs(ctx, 2, 4);
      const x = input(ctx, 0);
      const w = input(ctx, 1);
      const [xZp, wZp] = [ctx.inputs[2], ctx.inputs[3]];
      expectDType(ctx, x, INT8_TYPES, 'input x');
      expectDType(ctx, w, INT8_TYPES, 'weight w');
      expectZeroPointOf(ctx, xZp, x, 'x_zero_point');
      expectZeroPointOf(ctx, wZp, w, 'w_zero_point');
      const { attrs, outShape, m } = convShape(ctx, x, w);
      expectScalar(ctx, xZp, 'x_zero_point');
      expectPerChannel(ctx, wZp, m, 'w_zero_point');
      return node('ConvInteger', attrs, [{ dtype: 'int32', shape: outShape }]);
    },
  },
  {
    // Inputs: A, B, [a_zero_point], [b_zero_point].
    onnxOp: 'MatMulInteger',
    import(ctx) {
      expectInputs(ctx, 2, 4);
      const a = input(ctx, 0);
      const b = input(ctx, 1);
      const [aZp, bZp] = [ctx.inputs[2], ctx.inputs[3]];
      expectDType(ctx, a, INT8_TYPES, 'input A');
      expectDType(ctx, b, INT8_TYPES, 'input B');
      expectZeroPointOf(ctx, aZp, a, 'a_zero_point');
      expectZeroPointOf(ctx, bZp, b, 'b_zero_point');
      const shape = matmulShape(ctx, a, b);
      expectMatmulParam(ctx, aZp, a, 'a', 'a_zero_point');
      expectMatmulParam(ctx, bZp, b, 'b', 'b_zero_point');
      return node('MatMulInteger', {}, [{ dtype: 'int32', shape }]);
    },
  },
  {
    // Inputs: a, a_scale, a_zero_point, b, b_scale, b_zero_point, y_scale, y_zero_point.
    onnxOp: 'QLinearMatMul',
    import(ctx) {
      expectInputs(ctx, 8);
      const a = input(ctx, 0);
      const b = input(ctx, 3);
      const [aScale, bScale, yScale] = [input(ctx, 1), input(ctx, 4), input(ctx, 6)];
      const [aZp, bZp, yZp] = [ctx.inputs[2], ctx.inputs[5], ctx.inputs[7]];
      expectDType(ctx, a, INT8_TYPES, 'input a');
      expectDType(ctx, b, INT8_TYPES, 'input b');
      expectZeroPointOf(ctx, aZp, a, 'a_zero_point');
      expectZeroPointOf(ctx, bZp, b, 'b_zero_point');
      if (yZp) expectDType(ctx, yZp, INT8_TYPES, 'y_zero_point');
      for (const [t, what] of [[aScale, 'a_scale'], [bScale, 'b_scale'], [yScale, 'y_scale']] as const) expectFloatParam(ctx, t, what);
      if (bScale.dtype !== aScale.dtype || yScale.dtype !== aScale.dtype) {
        throw ctx.error(ErrorCode.UnsupportedDType, `scales have different types (${aScale.dtype}, ${bScale.dtype}, ${yScale.dtype})`,
          'Give a_scale, b_scale and y_scale one float type.');
      }
      const shape = matmulShape(ctx, a, b);
      expectPairShape(ctx, aScale, aZp, 'a');
      expectPairShape(ctx, bScale, bZp, 'b');
      expectPairShape(ctx, yScale, yZp, 'y');
      expectMatmulParam(ctx, aScale, a, 'a', 'a_scale');
      expectMatmulParam(ctx, aZp, a, 'a', 'a_zero_point');
      expectMatmulParam(ctx, bScale, b, 'b', 'b_scale');
      expectMatmulParam(ctx, bZp, b, 'b', 'b_zero_point');
      for (const p of [yScale, yZp]) {
        if (p && elementCount(p.shape) !== 1 && !sameShape(broadcastShapes(ctx, p.shape, shape), shape)) {
          throw ctx.error(ErrorCode.ShapeMismatch, `output parameter '${p.name}' has shape ${shapeStr(p.shape)}, which does not broadcast to the output ${shapeStr(shape)}`,
            'Use a per-tensor y_scale and y_zero_point.');
        }
      }
      return node('QLinearMatMul', {}, [{ dtype: yZp ? yZp.dtype : a.dtype, shape }]);
    },
  },
];
