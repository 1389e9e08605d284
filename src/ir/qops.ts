/**
 * The integer ops of qgc's quantized IR: the device contract (see docs/architecture.md,
 * "Quantization contract"). Every field a kernel needs is precomputed here in
 * TypeScript (multipliers, shifts, offsets, clamps), so the integer interpreter and
 * every backend read the same numbers and only do integer arithmetic.
 *
 * Conventions: activations are int8 asymmetric per tensor (real = s * (q - zp));
 * weights int8 symmetric per output channel; bias int32 with scale s_in * s_w[c].
 * Bit-widths are data: every quantized tensor's QuantParams.bits says how many bits its
 * values use (QUANT_BITS below are the widths both lowerings produce today); the op
 * attributes here do not repeat them.
 * Layout stays NCHW (ONNX order) in the IR; backends that want NHWC (CMSIS-NN)
 * transpose when they emit: integer sums do not depend on the order.
 */
import type { ConvAttrs, PoolAttrs } from './ops.js';

/** The role of a quantized tensor at an int8 op, which decides its bit-width. */
export type QuantRole = 'weight' | 'activation' | 'bias';

/** The bit-widths both lowerings (`qgc quantize` and lowerQdq) give each role today. */
export const QUANT_BITS = { weight: 8, activation: 8, bias: 32 } as const satisfies Record<QuantRole, number>;

/** Output clamp in the quantized output domain (fused Relu/Relu6/Clip, or the int8 range). */
export interface ActClamp {
  actMin: number;
  actMax: number;
}

/** Q31 multiplier and shift (TFLite QuantizeMultiplier: real = multiplier * 2^(shift - 31)),
 * one per output channel, or one entry for per-tensor. Applied with arm_nn_requantize. */
export interface Requant {
  multiplier: Int32Array;
  shift: Int32Array;
}

/** One requantized operand of Add/Concat. */
export interface OperandRequant {
  zeroPoint: number;
  multiplier: number;
  shift: number;
}

/** Conv on int8: inputs x int8 [N,C,H,W], w int8 [M, C/group, kH, kW], optional bias int32 [M].
 * acc = bias[m] + sum (x - inputZeroPoint) * w; out = clamp(requantize(acc, m) + outputZeroPoint). */
export interface QConvAttrs extends ConvAttrs, ActClamp, Requant {
  inputZeroPoint: number;
  outputZeroPoint: number;
}

/** Fully connected on int8: x int8 [N, K], w int8 [M, K], optional bias int32 [M]; like QConv. */
export interface QFullyConnectedAttrs extends ActClamp, Requant {
  inputZeroPoint: number;
  outputZeroPoint: number;
}

/** Elementwise add of two int8 tensors, as TFLite's reference_integer_ops::Add (same shapes, =
 * CMSIS-NN's arm_elementwise_add_s8) and BroadcastAdd4DSlow (numpy broadcasting): each input is
 * shifted left by `leftShift` after removing its zero point, requantized to a common scale,
 * summed, requantized to the output. Sub is the same op with input 2's multiplier negated
 * (TFLite's PrepareGeneralSubOp with op_sign -1). */
export interface QAddAttrs extends ActClamp {
  leftShift: number;
  input1: OperandRequant;
  input2: OperandRequant;
  output: OperandRequant;
}

/** Elementwise multiply of two int8 tensors with numpy broadcasting, as TFLite's
 * reference_integer_ops::Mul / BroadcastMul6DSlow (= CMSIS-NN's arm_elementwise_mul_s8 on equal
 * shapes): out = clamp(requantize((x1 - z1) * (x2 - z2), multiplier, shift) + outputZeroPoint),
 * the multiplier for s1 * s2 / s_out. Division by a constant is a QMul by its reciprocal. */
export interface QMulAttrs extends ActClamp {
  input1ZeroPoint: number;
  input2ZeroPoint: number;
  outputZeroPoint: number;
  multiplier: number;
  shift: number;
}

/** Matrix product of two int8 activations, [..., M, K] x [..., K, N] → [..., M, N] with numpy
 * broadcasting of the batch dims, as TFLite's reference_ops::BatchMatMul (int8):
 * acc = Σ_k (a - lhsZeroPoint) * (b - rhsZeroPoint) in int32, then requantize (the multiplier of
 * s_a * s_b / s_out), the output zero point and the clamp. */
export interface QBatchMatMulAttrs extends ActClamp {
  lhsZeroPoint: number;
  rhsZeroPoint: number;
  outputZeroPoint: number;
  multiplier: number;
  shift: number;
}

/** Max pooling on int8 (input and output share scale and zero point). */
export type QMaxPoolAttrs = PoolAttrs & ActClamp;

/** Average pooling on int8 (same scale in and out): sum of the valid (unpadded) window
 * elements divided by their count, rounding half away from zero as TFLite/CMSIS-NN do. */
export type QAveragePoolAttrs = PoolAttrs & ActClamp;

/** Softmax over the last axis, int8 in, int8 out (scale 1/256, zero point -128), exactly as
 * CMSIS-NN's arm_softmax_s8: `multiplier`/`shift` scale input differences (beta / s_in in
 * Q5.26 fixed point), `diffMin` is the smallest difference that still contributes. */
export interface QSoftmaxAttrs {
  multiplier: number;
  shift: number;
  diffMin: number;
}

/** Concat of int8 tensors with possibly different scales: each input is requantized to
 * the output's scale and zero point (an input whose parameters match is copied). */
export interface QConcatAttrs {
  axis: number;
  inputs: OperandRequant[];
  outputZeroPoint: number;
}

/** float → int8 at the graph boundary (ONNX QuantizeLinear: round half to even, saturate). */
export interface QuantizeBoundaryAttrs {
  scale: number;
  zeroPoint: number;
}

/** An elementwise int8 function given by its 256-entry table: out = table[x + 128]. QSigmoid and
 * QTanh carry TFLite's int8 lookup table (PopulateLookupTable / LUTPopulate: dequantize each
 * int8 value in float32, apply the float function, requantize with std::round), computed once
 * by the lowering (src/ir/intmath.ts lookupTable), so every backend reads the same bytes. */
export interface QLookupAttrs {
  table: Int8Array;
}

/** TFLite's HardSwishParams (reference_ops::HardSwish on int8): 16-bit fixed-point multipliers
 * of the input onto the output scale and onto the "relu-ish" scale (3.0 = 2^15), with their
 * exponents (DownScaleInt32ToInt16Multiplier of QuantizeMultiplier). */
export interface QHardSwishAttrs {
  inputZeroPoint: number;
  outputZeroPoint: number;
  outputMultiplier: number;
  outputShift: number;
  reluishMultiplier: number;
  reluishShift: number;
}

/** TFLite's int8 LeakyRelu (reference_ops::QuantizeLeakyRelu): x - zp_in requantized by
 * s_in / s_out where it is ≥ 0 (`identity`), by alpha * s_in / s_out below (`negative`). */
export interface QLeakyReluAttrs {
  alpha: number;
  inputZeroPoint: number;
  outputZeroPoint: number;
  identity: { multiplier: number; shift: number };
  negative: { multiplier: number; shift: number };
}

/** TFLite's int8 PRelu (reference_ops::BroadcastPrelu4DSlow): inputs x and the int8 slope
 * (per tensor, broadcast to x as ONNX PRelu does); x - zp_in ≥ 0 is requantized by s_in / s_out
 * (`identity`), below by (x - zp_in) * (slope - zp_slope) and s_in * s_slope / s_out (`negative`). */
export interface QPReluAttrs {
  inputZeroPoint: number;
  slopeZeroPoint: number;
  outputZeroPoint: number;
  identity: { multiplier: number; shift: number };
  negative: { multiplier: number; shift: number };
}

/** ONNX HardSigmoid max(0, min(1, alpha * x + beta)) on int8 (TFLite has no int8 HardSigmoid):
 * a 256-entry table built as TFLite builds its int8 tables (see QLookupAttrs), with the float
 * function's alpha and beta kept for export. */
export interface QHardSigmoidAttrs extends QLookupAttrs {
  alpha: number;
  beta: number;
}

/** ReduceMean on int8 as TFLite's reference_ops::QuantizedMeanOrSum (compute_sum = false): the
 * sum of x - zp_in over `axes`, requantized by s_in / (s_out * count) (the multiplier of s_in /
 * s_out with the count folded in as TFLite does), plus zp_out, saturated. */
export interface QMeanAttrs {
  axes: number[];
  keepdims: boolean;
  inputZeroPoint: number;
  outputZeroPoint: number;
  multiplier: number;
  shift: number;
}

/** ReduceMax on int8 (input and output share scale and zero point, as TFLite requires). */
export interface QReduceMaxAttrs {
  axes: number[];
  keepdims: boolean;
}

export interface QuantizedOpAttrMap {
  QConv: QConvAttrs;
  QFullyConnected: QFullyConnectedAttrs;
  QAdd: QAddAttrs;
  QMul: QMulAttrs;
  QBatchMatMul: QBatchMatMulAttrs;
  QMaxPool: QMaxPoolAttrs;
  QAveragePool: QAveragePoolAttrs;
  QSoftmax: QSoftmaxAttrs;
  QConcat: QConcatAttrs;
  /** Unfused Relu/Clip on int8: clamp to [actMin, actMax] (same scale in and out). */
  QClamp: ActClamp;
  QSigmoid: QLookupAttrs;
  QTanh: QLookupAttrs;
  QHardSwish: QHardSwishAttrs;
  QHardSigmoid: QHardSigmoidAttrs;
  QLeakyRelu: QLeakyReluAttrs;
  QPRelu: QPReluAttrs;
  QMean: QMeanAttrs;
  QReduceMax: QReduceMaxAttrs;
  /** float32 → int8. */
  Quantize: QuantizeBoundaryAttrs;
  /** int8 → float32: real = scale * (q - zeroPoint). */
  Dequantize: QuantizeBoundaryAttrs;
}
