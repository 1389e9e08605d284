/**
 * Lowering rows of the ops with weights: Conv (depthwise included) → QConv, Gemm and MatMul
 * with constant weights → QFullyConnected (MatMul of two activations → QBatchMatMul). Weights are int8 [M, ...] with one scale per output
 * channel M (or one per tensor), the bias int32 at s_in * s_w[c], and each output channel gets
 * a Q31 multiplier/shift for s_in * s_w[c] / s_out; a fused clamp becomes [actMin, actMax].
 */
import { CompileError, ErrorCode } from '../../errors.js';
import type { Node, NodeOf } from '../../ir/graph.js';
import { inGroup } from '../../ir/ops.js';
import { activationClamp, batchMatMulParams, convRequant } from '../../ir/intmath.js';
import type { ActClamp, Requant } from '../../ir/qops.js';
import type { Output, ScaleSource } from './source.js';

/** arm_nn_requantize takes shifts up to 30 (a multiplier below 2^30). */
const MAX_SHIFT = 30;

/** The output clamp in the output's int8 domain (the fused activation's bounds, if any). */
export function clampOf(out: Output): ActClamp {
  return activationClamp(out.params.scale, out.params.zeroPoint, out.lo, out.hi);
}

/** Checks that every multiplier is usable; flushed (zero) multipliers are reported. */
export function checkRequant(s: ScaleSource, node: Node, r: Requant, sIn: number, sOut: number): void {
  for (let c = 0; c < r.shift.length; c++) {
    if (r.shift[c] > MAX_SHIFT) {
      throw new CompileError(ErrorCode.BadInput,
        `requantization multiplier of output channel ${c} is 2^${r.shift[c] - 1} or more (input scale ${sIn}, output scale ${sOut})`,
        { node: node.name, op: node.op },
        'The output range is far narrower than the input range allows; calibrate with data that exercises this layer.');
    }
    if (r.multiplier[c] === 0) s.warn(`node '${node.name}' (${node.op}): output channel ${c} has a multiplier below 2^-32 and always outputs the zero point`);
  }
}

/** Conv → QConv. */
export function lowerConv(s: ScaleSource, n: NodeOf<'Conv'>): void {
  const x = s.activation(n, n.inputs[0]);
  const w = s.linear(n, x, { weight: n.inputs[1], outAxis: 0, shape: s.shape(n.inputs[1]), alpha: 1, bias: n.inputs[2] ?? '', beta: 1 });
  const out = s.output(n, { kind: 'own', clamps: inGroup('int8Clamping', n.op) });
  const requant = convRequant(x.scale, w.scales, out.params.scale);
  checkRequant(s, n, requant, x.scale, out.params.scale);
  s.add(n, 'QConv', { ...n.attrs, inputZeroPoint: x.zeroPoint, outputZeroPoint: out.params.zeroPoint, ...requant, ...clampOf(out) }, [x.name, w.weight, w.bias], out);
}

/** MatMul: of an activation and constant weights → QFullyConnected; of two activations →
 * QBatchMatMul (TFLite's BatchMatMul int8: the multiplier of s_a * s_b / s_out, numpy broadcasting
 * of the batch dims). */
export function lowerMatMul(s: ScaleSource, n: NodeOf<'MatMul'>): void {
  if (s.isConstant(n.inputs[1])) return lowerFullyConnected(s, n);
  const where = { node: n.name, op: n.op };
  if (s.isConstant(n.inputs[0])) {
    throw new CompileError(ErrorCode.UnsupportedOp, `MatMul of the constant '${n.inputs[0]}' and an activation is not supported in int8`, where,
      'Transpose the product so that the constant is the right operand (x @ W), which becomes a fully connected layer.');
  }
  const [sa, sb] = n.inputs.map((i) => s.shape(i));
  if (sa.length < 2 || sb.length < 2) {
    throw new CompileError(ErrorCode.ShapeMismatch, `MatMul of shapes [${sa.join(', ')}] and [${sb.join(', ')}]: qgc's int8 matrix product takes operands of rank 2 or more`, where,
      'Unsqueeze a vector operand to a matrix before the MatMul.');
  }
  const a = s.activation(n, n.inputs[0]);
  const b = s.activation(n, n.inputs[1]);
  const out = s.output(n, { kind: 'own', clamps: inGroup('int8Clamping', n.op) });
  const p = out.params;
  const params = batchMatMulParams(a.scale, a.zeroPoint, b.scale, b.zeroPoint, p.scale, p.zeroPoint);
  checkRequant(s, n, { multiplier: Int32Array.of(params.multiplier), shift: Int32Array.of(params.shift) }, a.scale * b.scale, p.scale);
  s.add(n, 'QBatchMatMul', { ...params, ...clampOf(out) }, [a.name, b.name], out);
}

/** Gemm / MatMul of an activation [N, K] and constant weights → QFullyConnected with w as [M, K]
 * (Gemm's transB decides the weight's layout, alpha scales it, beta scales the bias). */
export function lowerFullyConnected(s: ScaleSource, n: NodeOf<'Gemm'> | NodeOf<'MatMul'>): void {
  const where = { node: n.name, op: n.op };
  if (n.op === 'Gemm' && n.attrs.transA) {
    throw new CompileError(ErrorCode.UnsupportedOp, 'Gemm with transA=1 is not supported in int8', where,
      'Export the layer as x @ W.T (torch.nn.Linear does), or insert a Transpose before it.');
  }
  const x = s.activation(n, n.inputs[0]);
  const xShape = s.shape(n.inputs[0]);
  const wShape = s.shape(n.inputs[1]);
  if (wShape.length !== 2 || xShape.length !== 2) {
    const [what, name, shape] = xShape.length !== 2 ? ['input', n.inputs[0], xShape] : ['weight', n.inputs[1], wShape];
    throw new CompileError(ErrorCode.ShapeMismatch, `${what} '${name}' has shape [${shape.join(', ')}]; qgc's QFullyConnected takes 2-D operands`, where,
      'Flatten the input to [N, K] before the matrix product, with a constant 2-D weight.');
  }
  const outAxis = n.op === 'Gemm' && n.attrs.transB ? 0 : 1;
  const [m, k] = [wShape[outAxis], wShape[1 - outAxis]];
  if (xShape[1] !== k) {
    throw new CompileError(ErrorCode.ShapeMismatch, `input '${n.inputs[0]}' has shape [${xShape.join(', ')}]; qgc's int8 fully connected layer takes [N, ${k}]`, where,
      'Flatten the input to a matrix before the MatMul.');
  }
  const gemm = n.op === 'Gemm' ? n.attrs : undefined;
  const w = s.linear(n, x, { weight: n.inputs[1], outAxis, shape: [m, k], alpha: gemm?.alpha ?? 1, bias: (gemm && n.inputs[2]) || '', beta: gemm?.beta ?? 1 });
  const out = s.output(n, { kind: 'own', clamps: inGroup('int8Clamping', n.op) });
  const requant = convRequant(x.scale, w.scales, out.params.scale);
  checkRequant(s, n, requant, x.scale, out.params.scale);
  s.add(n, 'QFullyConnected', { inputZeroPoint: x.zeroPoint, outputZeroPoint: out.params.zeroPoint, ...requant, ...clampOf(out) }, [x.name, w.weight, w.bias], out);
}
