/** Lowering rows of the ops with a fixed or shared output domain: Softmax → QSoftmax (output
 * scale 1/256, zero point -128, as CMSIS-NN's arm_softmax_s8), Concat → QConcat (each input
 * requantized to the output's parameters). */
import { CompileError, ErrorCode } from '../../errors.js';
import type { NodeOf } from '../../ir/graph.js';
import { concatOperand, softmaxParams } from '../../ir/intmath.js';
import { sameParams, type ScaleSource } from './source.js';

/** Softmax over the last axis → QSoftmax. */
export function lowerSoftmax(s: ScaleSource, n: NodeOf<'Softmax'>): void {
  const rank = s.shape(n.inputs[0]).length;
  if (n.attrs.axis !== rank - 1) {
    throw new CompileError(ErrorCode.UnsupportedOp, `Softmax over axis ${n.attrs.axis} of a rank-${rank} tensor is not supported in int8`, { node: n.name, op: n.op },
      'qgc computes int8 softmax over the last axis; transpose the axis last before the Softmax.');
  }
  const x = s.activation(n, n.inputs[0]);
  const out = s.output(n, { kind: 'fixed', clamps: false, params: { scale: Math.fround(1 / 256), zeroPoint: -128 } });
  s.add(n, 'QSoftmax', softmaxParams(x.scale), [x.name], out);
}

/** Concat → QConcat: the output has its own parameters, each input is requantized to them. */
export function lowerConcat(s: ScaleSource, n: NodeOf<'Concat'>): void {
  const xs = n.inputs.map((i) => s.operand(n, i));
  const out = s.output(n, { kind: 'own', clamps: false, shared: xs.every((x) => sameParams(x, xs[0])) ? xs[0] : undefined });
  const p = out.params;
  s.add(n, 'QConcat', { axis: n.attrs.axis, inputs: xs.map((x) => concatOperand(x.scale, x.zeroPoint, p.scale)), outputZeroPoint: p.zeroPoint }, xs.map((x) => x.name), out);
}
