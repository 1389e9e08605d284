/**
 * Lowering rows of the weightless elementwise ops: Add and Sub → QAdd (both inputs requantized to
 * a common scale, as TFLite's integer Add; Sub negates input 2's multiplier as TFLite's
 * PrepareGeneralSubOp does), Mul → QMul (TFLite's integer Mul), Div by a constant → QMul by its
 * reciprocal, unfused Relu/Clip → QClamp on the input's parameters. Broadcasting follows numpy
 * (TFLite's BroadcastAdd4DSlow / BroadcastMul6DSlow compute every element the same way).
 */
import { CompileError, ErrorCode } from '../../errors.js';
import type { Node, NodeOf } from '../../ir/graph.js';
import { toNumbers } from '../../ir/dtype.js';
import { inGroup } from '../../ir/ops.js';
import { activationClamp, addParams, mulParams, subParams } from '../../ir/intmath.js';
import { quantizeWeights, weightScale } from '../params.js';
import { clampOf } from './linear.js';
import type { Operand, ScaleSource } from './source.js';

/** TFLite's Add prepare shifts inputs left by 20 bits, so s_out must exceed 2 * max(s1, s2) / 2^20. */
const ADD_LEFT_SHIFT = 20;

/** arm_nn_requantize takes shifts up to 30 (a multiplier below 2^30). */
const MAX_SHIFT = 30;

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

/** The operands of a binary op in the order the kernels want: an activation before a constant,
 * else an operand of the output's shape first (the kernels write the output in its layout).
 * `swapped` says whether the order changed. */
function ordered(s: ScaleSource, n: Node, a: Operand, b: Operand): { x1: Operand; x2: Operand; swapped: boolean } {
  const out = s.shape(n.outputs[0]);
  const swap = a.constant !== b.constant ? a.constant === true : !sameShape(s.shape(n.inputs[0]), out) && sameShape(s.shape(n.inputs[1]), out);
  return swap ? { x1: b, x2: a, swapped: true } : { x1: a, x2: b, swapped: false };
}

/** Add or Sub of two activations (or an activation and a constant), numpy broadcasting → QAdd. */
export function lowerAdd(s: ScaleSource, n: NodeOf<'Add'> | NodeOf<'Sub'>): void {
  const { x1, x2, swapped } = ordered(s, n, s.operand(n, n.inputs[0]), s.operand(n, n.inputs[1]));
  // The output multiplier must stay below one (TFLite's Add prepare requires it).
  const minScale = ((2 * Math.max(x1.scale, x2.scale)) / 2 ** ADD_LEFT_SHIFT) * (1 + 2 ** -10);
  const out = s.output(n, { kind: 'own', clamps: inGroup('int8Clamping', n.op), minScale });
  const p = out.params;
  let params = addParams(x1.scale, x1.zeroPoint, x2.scale, x2.zeroPoint, p.scale, p.zeroPoint);
  if (n.op === 'Sub') {
    // x1 - x2 as TFLite states it (input 2's multiplier negated); swapped, -x2 + x1.
    params = swapped ? subParams(x2.scale, x2.zeroPoint, x1.scale, x1.zeroPoint, p.scale, p.zeroPoint) : subParams(x1.scale, x1.zeroPoint, x2.scale, x2.zeroPoint, p.scale, p.zeroPoint);
    if (swapped) params = { ...params, input1: params.input2, input2: params.input1 };
  }
  s.add(n, 'QAdd', { ...params, ...clampOf(out) }, [x1.name, x2.name], out);
}

/** Mul of two activations (or an activation and a constant) → QMul. */
export function lowerMul(s: ScaleSource, n: NodeOf<'Mul'>): void {
  const { x1, x2 } = ordered(s, n, s.operand(n, n.inputs[0]), s.operand(n, n.inputs[1]));
  addMul(s, n, x1, x2);
}

/** Div by a constant → QMul by the reciprocal, quantized symmetric per tensor (a scalar divisor
 * becomes ±127 at scale |1/c| / 127: the division's scale is exact up to float32 rounding). */
export function lowerDiv(s: ScaleSource, n: NodeOf<'Div'>): void {
  const divisor = s.constant(n.inputs[1]);
  if (!divisor?.data) {
    throw new CompileError(ErrorCode.UnsupportedOp, `Div by the computed tensor '${n.inputs[1]}' is not supported in int8`, { node: n.name, op: n.op },
      'qgc divides int8 tensors by constants only (folded into a multiplication); make the divisor an initializer, or keep this node in float.');
  }
  const c = toNumbers(divisor.data);
  const reciprocal = Float32Array.from(c, (v) => 1 / v);
  const bad = reciprocal.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) {
    throw new CompileError(ErrorCode.BadInput, `Div's divisor '${n.inputs[1]}' holds ${c[bad]} at element ${bad}`, { node: n.name, op: n.op },
      'Divide by finite, non-zero constants.');
  }
  let maxAbs = 0;
  for (const v of reciprocal) maxAbs = Math.max(maxAbs, Math.abs(v));
  const scale = Math.fround(weightScale(maxAbs));
  const x = s.activation(n, n.inputs[0]);
  const r = s.addConstant(n, `${n.inputs[1]}_reciprocal`, divisor.shape, quantizeWeights(reciprocal, Float32Array.of(scale)), { scale, zeroPoint: 0 });
  addMul(s, n, x, r);
}

function addMul(s: ScaleSource, n: NodeOf<'Mul'> | NodeOf<'Div'>, x1: Operand, x2: Operand): void {
  const out = s.output(n, { kind: 'own', clamps: inGroup('int8Clamping', n.op) });
  const p = out.params;
  const params = mulParams(x1.scale, x1.zeroPoint, x2.scale, x2.zeroPoint, p.scale, p.zeroPoint);
  if (params.shift > MAX_SHIFT) {
    throw new CompileError(ErrorCode.BadInput,
      `the product's requantization multiplier is 2^${params.shift - 1} or more (input scales ${x1.scale} and ${x2.scale}, output scale ${p.scale})`,
      { node: n.name, op: n.op }, 'The output range is far narrower than the inputs allow; calibrate with data that exercises this layer.');
  }
  if (params.multiplier === 0) s.warn(`node '${n.name}' (${n.op}): the product's multiplier is below 2^-32 and the output is always the zero point`);
  s.add(n, 'QMul', { ...params, ...clampOf(out) }, [x1.name, x2.name], out);
}

/** Relu or a Clip with constant bounds not fused into a producer → QClamp on the input's parameters. */
export function lowerClamp(s: ScaleSource, n: NodeOf<'Relu'> | NodeOf<'Clip'>): void {
  let lo = 0;
  let hi = Infinity;
  if (n.op === 'Clip') {
    if (n.inputs.slice(1).some((i) => i !== '' && !s.constant(i)?.data)) {
      throw new CompileError(ErrorCode.UnsupportedOp, 'Clip with computed (non-constant) bounds is not supported in int8', { node: n.name, op: n.op },
        'Give Clip constant min/max (initializers).');
    }
    lo = n.attrs.min;
    hi = n.attrs.max;
  }
  const x = s.activation(n, n.inputs[0]);
  const out = s.output(n, { kind: 'keep', clamps: false, input: x });
  s.add(n, 'QClamp', activationClamp(out.params.scale, out.params.zeroPoint, lo, hi), [x.name], out);
}
