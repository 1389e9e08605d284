/**
 * What an int8 lowering row asks of the place its scales come from. There are two such places:
 * calibration (`qgc quantize` on a float model: src/quant/lower-context.ts) and the model's own
 * QuantizeLinear/DequantizeLinear nodes (lowerQdq on a QDQ model: src/passes/lower-qdq-ops.ts).
 * A row (src/quant/lowering/*.ts) states the op's int8 form once: which Q* op, which checks on
 * the float op, how the attributes follow from the parameters. The source supplies operands,
 * weights, biases and output parameters, and adds the tensors and the node to the new graph.
 */
import { CompileError, ErrorCode } from '../../errors.js';
import type { Node, Tensor } from '../../ir/graph.js';
import type { OpAttrMap, OpName } from '../../ir/ops.js';

/** Per-tensor quantization of an activation: real = scale * (q - zeroPoint). */
export interface Params {
  scale: number;
  zeroPoint: number;
}

/** An int8 tensor of the graph being built, with its per-tensor parameters. */
export interface Operand extends Params {
  name: string;
  /** True for a constant (an operand of Add/Mul/Concat may be one). */
  constant?: boolean;
}

/** The codes with which an int8 row says it does not take a node (its attributes, shapes or
 * operand types are outside its kernel); anything else (bad data, a bad model, a qgc bug) is an
 * error. Both lowerings then keep the node in float where they may (docs/float-fallback.md). */
const ROW_REFUSALS: ReadonlySet<string> = new Set([ErrorCode.UnsupportedOp, ErrorCode.UnsupportedDType, ErrorCode.ShapeMismatch, ErrorCode.BadAttribute]);

/** True when `e` is a row's refusal of a node. */
export function isRowRefusal(e: unknown): e is CompileError {
  return e instanceof CompileError && ROW_REFUSALS.has(e.code);
}

/** True when two per-tensor parameters are the same (scales compared as float32). */
export function sameParams(a: Params, b: Params): boolean {
  return Math.fround(a.scale) === Math.fround(b.scale) && a.zeroPoint === b.zeroPoint;
}

/** How a row reads the weights (and bias) of a Conv or a fully connected layer. */
export interface WeightSpec {
  /** The float op's weight input. */
  weight: string;
  /** Axis of the output channels M in that weight (Conv, Gemm with transB: 0; MatMul, Gemm: 1). */
  outAxis: 0 | 1;
  /** Shape of the int8 weight, output channels first ([M, C/group, kH, kW] or [M, K]). */
  shape: readonly number[];
  /** Factor of the weights (Gemm's alpha). */
  alpha: number;
  /** The bias input ('' for none) and its factor (Gemm's beta). */
  bias: string;
  beta: number;
}

/** The int8 weight and int32 bias tensors added to the new graph, and the weight scales. */
export interface LinearOperands {
  weight: string;
  /** '' when the op has no bias. */
  bias: string;
  scales: Float32Array;
}

/** How the row states its output's parameters. `clamps`: the int8 op applies an output clamp,
 * so a fused Relu/Clip can become its [actMin, actMax]. */
export type OutputRule =
  /** The op sets its own scale; `minScale` is the least it can take, `shared` the parameters
   * to keep when the model states none (a Concat of equally quantized inputs), `preferred` the
   * ones calibration takes instead of the measured range (TFLite's fixed Sigmoid/Tanh outputs;
   * a QDQ model's own parameters still win). */
  | { kind: 'own'; clamps: boolean; minScale?: number; shared?: Params; preferred?: Params }
  /** The output has the input's parameters (pools, clamps, data movement). */
  | { kind: 'keep'; clamps: boolean; input: Operand }
  /** The op's output parameters are fixed by its definition (Softmax: 1/256, -128). */
  | { kind: 'fixed'; clamps: false; params: Params };

/** The output parameters and the real bounds of a fused activation (±Infinity: none). */
export interface Output {
  params: Params;
  lo: number;
  hi: number;
}

/** Where a row's scales come from; see the file comment. */
export interface ScaleSource {
  /** Shape of a tensor of the float (or QDQ) graph. */
  shape(name: string): readonly number[];
  /** The constant tensor `name`, if it is one. */
  constant(name: string): Tensor | undefined;
  /** True when `name` is a constant (a float initializer, or a DequantizeLinear of a quantized one). */
  isConstant(name: string): boolean;
  /** The int8 activation read by `node` as input `name`. */
  activation(node: Node, name: string): Operand;
  /** An operand of Add/Concat: an activation, or a constant quantized per tensor. */
  operand(node: Node, name: string): Operand;
  /** Adds a constant int8 tensor the row computed (Div's reciprocal), named after `base`. */
  addConstant(node: Node, base: string, shape: readonly number[], data: Int8Array, p: Params): Operand;
  /** The int8 weights [M, ...] and int32 bias (scale s_x * s_w[c]) of a Conv/fully connected layer. */
  linear(node: Node, x: Operand, w: WeightSpec): LinearOperands;
  /** The output parameters of `node`, by `rule`. */
  output(node: Node, rule: OutputRule): Output;
  /** Pad's fill `value` (as the float op states it, for input `input`) in the int8 domain of `p`. */
  fill(node: Node, input: string, p: Params, value: number): number;
  /** A node name used by neither graph yet (for a row that makes several nodes of one). */
  freshNode(base: string): string;
  /** Something the user may want to know (a flushed multiplier). */
  warn(message: string): void;
  /** Adds the int8 node (inputs already in the new graph) and its output tensor with `out`'s parameters. */
  add<K extends OpName>(node: Node, op: K, attrs: OpAttrMap[K], inputs: string[], out: Output): void;
}
