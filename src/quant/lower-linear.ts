/**
 * Lowering rows of the ops with weights: Conv (depthwise included) → QConv, Gemm and MatMul
 * with constant weights → QFullyConnected. Weights become int8 symmetric [M, ...] (one scale
 * per output channel M, or one per tensor), the bias int32 at s_in * s_w[c], and each output
 * channel gets a Q31 multiplier/shift for s_in * s_w[c] / s_out; a fused clamp becomes
 * [actMin, actMax] in the output's int8 domain.
 */
import { ErrorCode } from '../errors.js';
import type { Node, NodeOf } from '../ir/graph.js';
import type { Requant } from '../ir/qops.js';
import { activationClamp, convRequant } from '../ir/intmath.js';
import type { LowerContext } from './lower-context.js';
import type { ActParams } from './params.js';

/** arm_nn_requantize takes shifts up to 30 (a multiplier below 2^30). */
const MAX_SHIFT = 30;

/** Checks that every multiplier is usable; flushed (zero) multipliers are reported. */
export function checkRequant(ctx: LowerContext, node: Node, r: Requant, sIn: number, sOut: number): void {
  for (let c = 0; c < r.shift.length; c++) {
    if (r.shift[c] > MAX_SHIFT) {
      throw ctx.error(node, ErrorCode.BadInput,
        `requantization multiplier of output channel ${c} is 2^${r.shift[c] - 1} or more (input scale ${sIn}, output scale ${sOut})`,
        'The calibrated output range is far narrower than the input range allows; calibrate with data that exercises this layer.');
    }
    if (r.multiplier[c] === 0) ctx.warnings.push(`node '${node.name}' (${node.op}): output channel ${c} has a multiplier below 2^-32 and always outputs the zero point`);
  }
}

/** The output clamp of a node (fused activation) in the output domain. */
export function clampOf(node: Node, out: ActParams): { actMin: number; actMax: number } {
  return activationClamp(out.scale, out.zeroPoint, node.clamp?.min ?? -Infinity, node.clamp?.max ?? Infinity);
}

/** Conv → QConv. */
export function lowerConv(ctx: LowerContext, n: NodeOf<'Conv'>): void {
  const x = ctx.input(n, n.inputs[0]);
  const w = ctx.constFloat(n, n.inputs[1], 'weight');
  const b = n.inputs[2] ? ctx.constFloat(n, n.inputs[2], 'bias').data : undefined;
  const out = ctx.calibrated(n, n.outputs[0]);
  const lw = ctx.linearWeights(n, w, w.shape, b, x.params.scale);
  const requant = convRequant(x.params.scale, lw.scales, out.scale);
  checkRequant(ctx, n, requant, x.params.scale, out.scale);
  const y = ctx.defineInt8(n.outputs[0], out);
  ctx.emit({
    name: n.name,
    op: 'QConv',
    inputs: [x.name, lw.weight, lw.bias],
    outputs: [y],
    attrs: {
      ...n.attrs,
      ...requant,
      ...clampOf(n, out),
      inputZeroPoint: x.params.zeroPoint,
      outputZeroPoint: out.zeroPoint,
    },
  });
}

/** x [N, K] (activation) times W [M, K] (constant, already alpha-scaled) plus bias [M]. */
function fullyConnected(ctx: LowerContext, n: Node, xName: string, wName: string, w: Float32Array, m: number, k: number, bias: Float32Array | undefined): void {
  const x = ctx.input(n, xName);
  const xShape = ctx.src.tensors.get(xName)!.shape;
  if (xShape.length !== 2 || xShape[1] !== k) {
    throw ctx.error(n, ErrorCode.UnsupportedOp, `input '${xName}' has shape [${xShape.join(', ')}]; qgc's int8 fully connected layer takes [N, ${k}]`,
      'Flatten the input to a matrix before the MatMul.');
  }
  const out = ctx.calibrated(n, n.outputs[0]);
  const lw = ctx.linearWeights(n, { name: wName, shape: [m, k], data: w }, [m, k], bias, x.params.scale);
  const requant = convRequant(x.params.scale, lw.scales, out.scale);
  checkRequant(ctx, n, requant, x.params.scale, out.scale);
  const y = ctx.defineInt8(n.outputs[0], out);
  ctx.emit({
    name: n.name,
    op: 'QFullyConnected',
    inputs: [x.name, lw.weight, lw.bias],
    outputs: [y],
    attrs: { ...requant, ...clampOf(n, out), inputZeroPoint: x.params.zeroPoint, outputZeroPoint: out.zeroPoint },
  });
}

/** W[m, k] = alpha * B[k, m] (transposed) or alpha * B[m, k]. */
function weightRows(b: Float32Array, rows: number, cols: number, transposed: boolean, alpha: number): Float32Array {
  const w = new Float32Array(rows * cols);
  for (let m = 0; m < rows; m++) {
    for (let k = 0; k < cols; k++) w[m * cols + k] = alpha * (transposed ? b[k * rows + m] : b[m * cols + k]);
  }
  return w;
}

/** Gemm → QFullyConnected: transB handled by transposing the constant B to [N, K], alpha folded
 * into the weights, beta into the bias; C must be the same for every row. */
export function lowerGemm(ctx: LowerContext, n: NodeOf<'Gemm'>): void {
  if (n.attrs.transA) {
    throw ctx.error(n, ErrorCode.UnsupportedOp, 'Gemm with transA=1 is not supported in int8',
      'Export the layer as x @ W.T (torch.nn.Linear does), or insert a Transpose before it.');
  }
  const bc = ctx.constFloat(n, n.inputs[1], 'weight');
  const [k, m] = n.attrs.transB ? [bc.shape[1], bc.shape[0]] : [bc.shape[0], bc.shape[1]];
  const w = weightRows(bc.data, m, k, !n.attrs.transB, n.attrs.alpha);
  let bias: Float32Array | undefined;
  if (n.inputs[2]) {
    const c = ctx.constFloat(n, n.inputs[2], 'bias');
    const rows = c.data.length / (c.data.length === 1 ? 1 : m);
    if (c.data.length !== 1 && !Number.isInteger(rows)) throw ctx.error(n, ErrorCode.ShapeMismatch, `bias '${c.name}' has ${c.data.length} elements for ${m} outputs`);
    bias = new Float32Array(m);
    for (let j = 0; j < m; j++) bias[j] = n.attrs.beta * c.data[c.data.length === 1 ? 0 : j];
    for (let r = 1; c.data.length > 1 && r < rows; r++) {
      for (let j = 0; j < m; j++) {
        if (c.data[r * m + j] !== c.data[j]) {
          throw ctx.error(n, ErrorCode.UnsupportedOp, `bias '${c.name}' differs between rows; qgc's int8 fully connected layer takes one bias per output`,
            'Use a bias of shape [N] (torch.nn.Linear does).');
        }
      }
    }
  }
  fullyConnected(ctx, n, n.inputs[0], bc.name, w, m, k, bias);
}

/** MatMul of an activation [N, K] and constant weights [K, M] → QFullyConnected without bias. */
export function lowerMatMul(ctx: LowerContext, n: NodeOf<'MatMul'>): void {
  const bt = ctx.src.tensors.get(n.inputs[1]);
  if (!bt?.data || bt.shape.length !== 2) {
    throw ctx.error(n, ErrorCode.UnsupportedOp, 'MatMul is supported in int8 only as activation [N, K] times constant weights [K, M]',
      'Make the second operand a constant 2-D initializer (a torch.nn.Linear exports that way).');
  }
  const b = ctx.constFloat(n, n.inputs[1], 'weight');
  const [k, m] = b.shape;
  fullyConnected(ctx, n, n.inputs[0], b.name, weightRows(b.data, m, k, true, 1), m, k, undefined);
}
