/**
 * `qgc quantize`'s entry to the int8 lowering table (src/quant/lowering/table.ts, shared with
 * lowerQdq): a float op of OpGroups.int8 goes to its row with calibrated scales; for the rest,
 * a hint saying why it has no int8 form and what to do instead.
 */
import { CompileError, ErrorCode } from '../errors.js';
import type { Graph, Node } from '../ir/graph.js';
import { inGroup, type OpName } from '../ir/ops.js';
import type { LowerContext } from './lower-context.js';
import { lowerInt8 } from './lowering/table.js';

const NONLINEAR = 'qgc has no int8 kernel for it (int8 activations: Relu, Relu6/Clip fused into the layer before, Sigmoid, Tanh, HardSigmoid, HardSwish, LeakyRelu, PRelu); retrain with one of those.';

/** Why an op has no int8 form, and what to do: only what qgc itself can do (rows may grow). */
const UNSUPPORTED_HINTS: Partial<Record<OpName, string>> = {
  Gelu: NONLINEAR,
  Softplus: NONLINEAR,
  Erf: NONLINEAR,
  Exp: NONLINEAR,
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

const DEFAULT_HINT = 'qgc has no int8 form of this op; replace it in the float model.';

const hintOf = (op: OpName): string => UNSUPPORTED_HINTS[op] ?? DEFAULT_HINT;

/** Throws one CompileError listing every node of an optimized float graph that has no int8 form
 * (before calibration, so the user sees them all at once): located at the first, the others
 * named in the message, the hint of each op once. */
export function requireInt8Forms(graph: Graph): void {
  const blocking = graph.nodes.filter((n) => !inGroup('int8', n.op));
  if (blocking.length === 0) return;
  const [first, ...rest] = blocking;
  const where = { node: first.name, op: first.op };
  if (rest.length === 0) throw new CompileError(ErrorCode.UnsupportedOp, `${first.op} is not supported in int8`, where, hintOf(first.op));
  const ops = [...new Set(blocking.map((n) => n.op))];
  const others = rest.map((n) => `node '${n.name}' (${n.op})`).join(', ');
  const hints = ops.map((op) => `${op}: ${hintOf(op)}`).join(' ');
  throw new CompileError(ErrorCode.UnsupportedOp, `${first.op} is not supported in int8, nor are ${rest.length} more node${rest.length > 1 ? 's' : ''}: ${others}`, where, hints);
}

/** Lowers one float node, or throws a CompileError naming it and saying what to do. */
export function lowerNode(ctx: LowerContext, node: Node): void {
  if (inGroup('int8', node.op)) {
    lowerInt8(ctx, node as never);
    return;
  }
  throw ctx.error(node, ErrorCode.UnsupportedOp, `${node.op} is not supported in int8`, hintOf(node.op));
}
