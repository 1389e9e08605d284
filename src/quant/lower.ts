/**
 * `qgc quantize`'s entry to the int8 lowering table (src/quant/lowering/table.ts, shared with
 * lowerQdq): a float op of OpGroups.int8 goes to its row with calibrated scales; one no row
 * takes stays in float where it can (OpGroups.floatFallback); for the rest, a hint saying why it
 * has no int8 form and what to do instead.
 */
import { ErrorCode } from '../errors.js';
import type { Node } from '../ir/graph.js';
import { inGroup, OpGroups, type OpName } from '../ir/ops.js';
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
  Sub: 'qgc has an int8 Add but no Sub; fold the subtraction into constants (e.g. a preceding layer\'s bias) or keep this model in float.',
  Mul: 'qgc has no int8 elementwise Mul; fold constant scales into the preceding Conv/Gemm (BatchNorm is folded automatically) or keep this model in float.',
  Div: 'qgc has no int8 Div; fold constant divisors into the preceding layer\'s weights or keep this model in float.',
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

/**
 * Lowers one float node: with its int8 row when the row takes it, else (unless `int8Only`) in
 * float between Dequantize and Quantize when the op has float kernels (OpGroups.floatFallback);
 * otherwise a CompileError naming it and saying what to do. Whether a row takes a node is the
 * row's own answer (a refusal: isRowRefusal in lowering/source.ts), so an op that gains an int8
 * row goes int8 without any change here.
 */
export function lowerNode(ctx: LowerContext, node: Node): void {
  const int8Only = ctx.opts.int8Only === true;
  const canFloat = !int8Only && inGroup('floatFallback', node.op);
  if (ctx.opts.floatNodes?.has(node.name)) {
    if (!inGroup('floatFallback', node.op)) {
      throw ctx.error(node, ErrorCode.BadInput, `--float-nodes names '${node.name}', but qgc has no float kernel for ${node.op}`,
        `Ops that can run in float: ${OpGroups.floatFallback.join(', ')}.`);
    }
    ctx.lowerFloat(node, 'named in --float-nodes');
    return;
  }
  if (!int8Only && inGroup('movement', node.op) && ctx.floatOf.has(node.inputs[0]) && !ctx.int8Of.has(node.inputs[0])) {
    // A view of a tensor only float nodes wrote stays float: views cost nothing, a round trip
    // through int8 would lose precision.
    ctx.lowerFloat(node);
    return;
  }
  if (inGroup('int8', node.op)) {
    if (!canFloat) {
      lowerInt8(ctx, node as never);
      return;
    }
    const refusal = ctx.attempt(() => lowerInt8(ctx, node as never));
    if (refusal) ctx.lowerFloat(node, `its int8 kernel does not take it (${refusal.message})`);
    return;
  }
  if (canFloat) {
    ctx.lowerFloat(node, 'qgc has no int8 kernel for it');
    return;
  }
  const hint = UNSUPPORTED_HINTS[node.op] ?? 'qgc has no int8 form of this op; keep this model in float or replace the op.';
  const floatHint = int8Only && inGroup('floatFallback', node.op) ? ' (Without --int8-only it runs in float between int8 layers.)' : '';
  throw ctx.error(node, ErrorCode.UnsupportedOp, `${node.op} is not supported in int8`, hint + floatHint);
}
