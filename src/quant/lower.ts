/**
 * `qgc quantize`'s entry to the int8 lowering table (src/quant/lowering/table.ts, shared with
 * lowerQdq): a float op of OpGroups.int8 goes to its row with calibrated scales; for the rest,
 * a hint saying why it has no int8 form and what to do instead.
 */
import { ErrorCode } from '../errors.js';
import type { Node } from '../ir/graph.js';
import { inGroup, type OpName } from '../ir/ops.js';
import type { LowerContext } from './lower-context.js';
import { lowerInt8 } from './lowering/table.js';

const NONLINEAR = 'qgc has no int8 kernel for it (int8 activations: Relu, Relu6/Clip, fused into the layer before); retrain with Relu/Relu6, or keep this model in float.';

/** Why an op has no int8 form, and what to do. */
const UNSUPPORTED_HINTS: Partial<Record<OpName, string>> = {
  Sigmoid: NONLINEAR,
  Tanh: NONLINEAR,
  HardSigmoid: NONLINEAR,
  HardSwish: NONLINEAR,
  LeakyRelu: NONLINEAR,
  BatchNormalization: 'this BatchNormalization does not follow a Conv or Gemm, so it could not be folded; move it after a Conv/Gemm.',
  Shape: 'shape computations must be constant before quantization; give static input shapes (--input-shape).',
  Gather: 'Gather is not supported in int8; make the indices and data constant (static shapes) so it folds away.',
  Cast: 'Cast is not supported in int8; remove it from the float model.',
  QuantizeLinear: 'the model is already quantized (QDQ); run it directly (qgc run --int) instead of quantizing it again.',
  DequantizeLinear: 'the model is already quantized (QDQ); run it directly (qgc run --int) instead of quantizing it again.',
  QLinearConv: 'the model is already quantized (QOperator); run it directly (qgc run --int).',
  QLinearMatMul: 'the model is already quantized (QOperator); run it directly (qgc run --int).',
  ConvInteger: 'the model is already quantized; run it directly (qgc run --int).',
  MatMulInteger: 'the model is already quantized; run it directly (qgc run --int).',
};

/** Lowers one float node, or throws a CompileError naming it and saying what to do. */
export function lowerNode(ctx: LowerContext, node: Node): void {
  if (inGroup('int8', node.op)) {
    lowerInt8(ctx, node as never);
    return;
  }
  const hint = UNSUPPORTED_HINTS[node.op] ?? 'qgc has no int8 form of this op; keep this model in float or replace the op.';
  throw ctx.error(node, ErrorCode.UnsupportedOp, `${node.op} is not supported in int8`, hint);
}
