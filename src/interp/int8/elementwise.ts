/** Elementwise int8 ops: QAdd (arm_elementwise_add_s8, TFLite's BroadcastAdd4DSlow), QMul
 * (arm_elementwise_mul_s8, TFLite's BroadcastMul6DSlow), QClamp, QConcat (requantizing inputs
 * whose scale or zero point differs from the output's), and the float boundary ops Quantize and
 * Dequantize (ONNX QuantizeLinear/DequantizeLinear: float32 arithmetic, round half to even,
 * saturate). */
import { ErrorCode, check } from '../../errors.js';
import { elementCount } from '../../ir/graph.js';
import type { NumericData } from '../../ir/dtype.js';
import { isIdentityOperand, requantize } from '../../ir/intmath.js';
import type { Kernel, KernelTable, Value } from '../types.js';
import { broadcastIndex, broadcastShape, req } from '../util.js';
import { int8Input } from './common.js';

/** Same-shape inputs as arm_elementwise_add_s8; numpy broadcasting is also accepted (each output
 * element is computed from its two inputs exactly the same way, as TFLM's broadcast path does). */
const qadd: Kernel<'QAdd'> = (node, inputs) => {
  const x1 = int8Input(node, inputs, 0);
  const x2 = int8Input(node, inputs, 1);
  const { leftShift, input1, input2, output, actMin: lo, actMax: hi } = node.attrs;
  const shape = broadcastShape(x1.shape, x2.shape);
  const n = elementCount(shape);
  const i1 = broadcastIndex(x1.shape, shape);
  const i2 = broadcastIndex(x2.shape, shape);
  const d1 = x1.data;
  const d2 = x2.data;
  const { zeroPoint: z1, multiplier: m1, shift: s1 } = input1;
  const { zeroPoint: z2, multiplier: m2, shift: s2 } = input2;
  const { zeroPoint: zo, multiplier: mo, shift: so } = output;
  const out = new Int8Array(n);
  for (let k = 0; k < n; k++) {
    const a = requantize((d1[i1 ? i1[k] : k] - z1) << leftShift, m1, s1);
    const b = requantize((d2[i2 ? i2[k] : k] - z2) << leftShift, m2, s2);
    const v = requantize((a + b) | 0, mo, so) + zo;
    out[k] = v < lo ? lo : v > hi ? hi : v;
  }
  return [{ dtype: 'int8', shape, data: out }];
};

/** TFLite's reference_integer_ops::MulElementwise / BroadcastMul6DSlow (numpy broadcasting): the
 * product of the inputs less their zero points, requantized (arm_nn_requantize, as
 * arm_elementwise_mul_s8), plus the output zero point, clamped. */
const qmul: Kernel<'QMul'> = (node, inputs) => {
  const x1 = int8Input(node, inputs, 0);
  const x2 = int8Input(node, inputs, 1);
  const { input1ZeroPoint: z1, input2ZeroPoint: z2, outputZeroPoint: zo, multiplier, shift, actMin: lo, actMax: hi } = node.attrs;
  const shape = broadcastShape(x1.shape, x2.shape);
  const n = elementCount(shape);
  const i1 = broadcastIndex(x1.shape, shape);
  const i2 = broadcastIndex(x2.shape, shape);
  const d1 = x1.data;
  const d2 = x2.data;
  const out = new Int8Array(n);
  for (let k = 0; k < n; k++) {
    const v = requantize((d1[i1 ? i1[k] : k] - z1) * (d2[i2 ? i2[k] : k] - z2), multiplier, shift) + zo;
    out[k] = v < lo ? lo : v > hi ? hi : v;
  }
  return [{ dtype: 'int8', shape, data: out }];
};

const qclamp: Kernel<'QClamp'> = (node, inputs) => {
  const x = int8Input(node, inputs, 0);
  const { actMin: lo, actMax: hi } = node.attrs;
  const out = new Int8Array(x.data.length);
  for (let i = 0; i < out.length; i++) {
    const v = x.data[i];
    out[i] = v < lo ? lo : v > hi ? hi : v;
  }
  return [{ dtype: 'int8', shape: x.shape, data: out }];
};

/** Input i becomes clamp(requantize(x - zp_i, m_i, s_i) + zp_out, -128, 127), or a copy when its
 * OperandRequant is the identity (zero points equal, multiplier 2^30, shift 1). */
const qconcat: Kernel<'QConcat'> = (node, inputs) => {
  const { axis, inputs: ops, outputZeroPoint: zo } = node.attrs;
  const xs = node.inputs.map((_, i) => int8Input(node, inputs, i));
  check(ops.length === xs.length, ErrorCode.Internal, `QConcat has ${xs.length} inputs but ${ops.length} requantizations`, {
    node: node.name,
    op: node.op,
  });
  const rank = xs[0].shape.length;
  const outShape = [...xs[0].shape];
  outShape[axis] = 0;
  for (const x of xs) {
    check(
      x.shape.length === rank && x.shape.every((d, i) => i === axis || d === xs[0].shape[i]),
      ErrorCode.ShapeMismatch,
      `QConcat inputs differ outside axis ${axis}`,
      { node: node.name, op: node.op },
    );
    outShape[axis] += x.shape[axis];
  }
  let outer = 1;
  for (let i = 0; i < axis; i++) outer *= outShape[i];
  let inner = 1;
  for (let i = axis + 1; i < rank; i++) inner *= outShape[i];
  const outRow = outShape[axis] * inner;
  const out = new Int8Array(outer * outRow);
  let offset = 0;
  xs.forEach((x, i) => {
    const row = x.shape[axis] * inner;
    const op = ops[i];
    const identity = isIdentityOperand(op, zo);
    for (let o = 0; o < outer; o++) {
      const src = o * row;
      const dst = o * outRow + offset;
      if (identity) {
        out.set(x.data.subarray(src, src + row), dst);
        continue;
      }
      for (let j = 0; j < row; j++) {
        const v = requantize(x.data[src + j] - op.zeroPoint, op.multiplier, op.shift) + zo;
        out[dst + j] = v < -128 ? -128 : v > 127 ? 127 : v;
      }
    }
    offset += row;
  });
  return [{ dtype: 'int8', shape: outShape, data: out }];
};

/** Nearest integer, ties to even (the rounding of ONNX QuantizeLinear). */
function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** float → int8: saturate(round_half_even(float32(x / scale)) + zeroPoint); NaN gives the zero point. */
const quantize: Kernel<'Quantize'> = (node, inputs) => {
  const x = req(inputs, 0);
  check(x.dtype === 'float32' || x.dtype === 'float16' || x.dtype === 'float64', ErrorCode.UnsupportedDType, `Quantize takes a float tensor, got ${x.dtype}`, {
    node: node.name,
    op: node.op,
  });
  const scale = Math.fround(node.attrs.scale);
  const zp = node.attrs.zeroPoint;
  const src = x.data as NumericData;
  const out = new Int8Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const q = Math.fround(src[i] / scale);
    const v = q !== q ? zp : roundHalfEven(q) + zp;
    out[i] = v < -128 ? -128 : v > 127 ? 127 : v;
  }
  return [{ dtype: 'int8', shape: x.shape, data: out }];
};

/** int8 → float32: float32((q - zeroPoint) * scale). */
const dequantize: Kernel<'Dequantize'> = (node, inputs) => {
  const x: Value = int8Input(node, inputs, 0);
  const scale = Math.fround(node.attrs.scale);
  const zp = node.attrs.zeroPoint;
  const src = x.data as Int8Array;
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = (src[i] - zp) * scale;
  return [{ dtype: 'float32', shape: x.shape, data: out }];
};

export const int8ElementwiseKernels = {
  QAdd: qadd,
  QMul: qmul,
  QClamp: qclamp,
  QConcat: qconcat,
  Quantize: quantize,
  Dequantize: dequantize,
} satisfies Partial<KernelTable>;
