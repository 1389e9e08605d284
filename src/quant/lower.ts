/**
 * `qgc quantize`'s entry to the int8 lowering table (src/quant/lowering/table.ts, shared with
 * lowerQdq): a float op of OpGroups.int8 goes to its row with calibrated scales; one no row
 * takes stays in float where it can (OpGroups.floatFallback); for the rest, a hint saying why it
 * has no int8 form and what to do instead.
 */
import { CompileError, ErrorCode } from '../errors.js';
import type { Graph, Node } from '../ir/graph.js';
import { inGroup, OpGroups, type OpName } from '../ir/ops.js';
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

const FLOAT_HINT = ' (Without --int8-only it runs in float between int8 layers.)';

/** The hint of an op with no int8 form; with `int8Only`, one with float kernels also says that it
 * would run in float without the flag. */
const hintOf = (op: OpName, int8Only: boolean): string => (UNSUPPORTED_HINTS[op] ?? DEFAULT_HINT) + (int8Only && inGroup('floatFallback', op) ? FLOAT_HINT : '');

/** The options of float fallback that `requireInt8Forms` checks. */
export interface FloatFallbackOptions {
  int8Only?: boolean;
  floatNodes?: ReadonlySet<string>;
}

/**
 * Checks an optimized float graph before calibration, so the user sees every problem at once:
 * `--float-nodes` names nodes of the graph whose ops have float kernels (and is not given with
 * `--int8-only`), and every node has an int8 form or, unless `int8Only`, float kernels
 * (OpGroups.floatFallback). Throws one CompileError listing every blocking node: located at the
 * first, the others named in the message, the hint of each op once. Nodes of OpGroups.int8 whose
 * row refuses them (an attribute it has no kernel for) are found later, by `lowerNode`.
 */
export function requireInt8Forms(graph: Graph, opts: FloatFallbackOptions = {}): void {
  const int8Only = opts.int8Only === true;
  if (int8Only && opts.floatNodes?.size) {
    throw new CompileError(ErrorCode.BadInput, '--float-nodes and --int8-only contradict each other', {}, 'Give one of the two.');
  }
  for (const name of opts.floatNodes ?? []) {
    const node = graph.nodes.find((n) => n.name === name);
    if (!node) {
      throw new CompileError(ErrorCode.BadInput, `--float-nodes names '${name}', which is no node of the optimized graph`, { node: name },
        'Name nodes as `qgc inspect` prints them after the passes (a fused activation has its producer\'s name).');
    }
    if (!inGroup('floatFallback', node.op)) {
      throw new CompileError(ErrorCode.BadInput, `--float-nodes names '${name}', but qgc has no float kernel for ${node.op}`, { node: name, op: node.op },
        `Ops that can run in float: ${OpGroups.floatFallback.join(', ')}.`);
    }
  }
  const blocking = graph.nodes.filter((n) => !inGroup('int8', n.op) && (int8Only || !inGroup('floatFallback', n.op)));
  if (blocking.length === 0) return;
  const [first, ...rest] = blocking;
  const where = { node: first.name, op: first.op };
  if (rest.length === 0) throw new CompileError(ErrorCode.UnsupportedOp, `${first.op} is not supported in int8`, where, hintOf(first.op, int8Only));
  const ops = [...new Set(blocking.map((n) => n.op))];
  const others = rest.map((n) => `node '${n.name}' (${n.op})`).join(', ');
  const hints = ops.map((op) => `${op}: ${hintOf(op, int8Only)}`).join(' ');
  throw new CompileError(ErrorCode.UnsupportedOp, `${first.op} is not supported in int8, nor are ${rest.length} more node${rest.length > 1 ? 's' : ''}: ${others}`, where, hints);
}

/**
 * Lowers one float node: with its int8 row when the row takes it, else (unless `int8Only`) in
 * float between Dequantize and Quantize when the op has float kernels (OpGroups.floatFallback);
 * otherwise a CompileError naming it and saying what to do. Whether a row takes a node is the
 * row's own answer (a refusal: isRowRefusal in lowering/source.ts), so an op that gains an int8
 * row goes int8 without any change here. `requireInt8Forms` has checked `floatNodes`.
 */
export function lowerNode(ctx: LowerContext, node: Node): void {
  const int8Only = ctx.opts.int8Only === true;
  const canFloat = !int8Only && inGroup('floatFallback', node.op);
  if (ctx.opts.floatNodes?.has(node.name)) {
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
  throw ctx.error(node, ErrorCode.UnsupportedOp, `${node.op} is not supported in int8`, hintOf(node.op, int8Only));
}
