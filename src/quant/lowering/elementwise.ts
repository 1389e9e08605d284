/**
 * Lowering rows of the weightless elementwise ops: Add → QAdd (both inputs requantized to a
 * common scale, as TFLite's integer Add), unfused Relu/Clip → QClamp on the input's parameters.
 */
import { CompileError, ErrorCode } from '../../errors.js';
import type { NodeOf } from '../../ir/graph.js';
import { inGroup } from '../../ir/ops.js';
import { activationClamp, addParams } from '../../ir/intmath.js';
import { clampOf } from './linear.js';
import type { ScaleSource } from './source.js';

/** TFLite's Add prepare shifts inputs left by 20 bits, so s_out must exceed 2 * max(s1, s2) / 2^20. */
const ADD_LEFT_SHIFT = 20;

/** Add of two activations (or an activation and a same-shape constant) → QAdd. */
export function lowerAdd(s: ScaleSource, n: NodeOf<'Add'>): void {
  const [sa, sb] = n.inputs.map((i) => s.shape(i));
  if (sa.length !== sb.length || sa.some((d, i) => d !== sb[i])) {
    throw new CompileError(ErrorCode.UnsupportedOp, `Add of shapes [${sa.join(', ')}] and [${sb.join(', ')}] (broadcasting) is not supported in int8`,
      { node: n.name, op: n.op },
      'qgc adds int8 tensors of the same shape; a per-channel constant after a Conv/Gemm is fused as its bias by the optimizer (or expand the smaller operand).');
  }
  const x1 = s.operand(n, n.inputs[0]);
  const x2 = s.operand(n, n.inputs[1]);
  // The output multiplier must stay below one (TFLite's Add prepare requires it).
  const minScale = ((2 * Math.max(x1.scale, x2.scale)) / 2 ** ADD_LEFT_SHIFT) * (1 + 2 ** -10);
  const out = s.output(n, { kind: 'own', clamps: inGroup('int8Clamping', n.op), minScale });
  const p = out.params;
  s.add(n, 'QAdd', { ...addParams(x1.scale, x1.zeroPoint, x2.scale, x2.zeroPoint, p.scale, p.zeroPoint), ...clampOf(out) }, [x1.name, x2.name], out);
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
