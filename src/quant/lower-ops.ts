/**
 * Lowering rows of the weightless ops: Add → QAdd, pools → QMaxPool/QAveragePool (output
 * shares the input's parameters), Softmax → QSoftmax (output scale 1/256, zero point -128),
 * Concat → QConcat (each input requantized to the calibrated output), unfused Relu/Clip →
 * QClamp, and the data-movement ops (Reshape, Transpose, Flatten, Squeeze, Unsqueeze,
 * Identity, Pad) kept as they are on int8 tensors with the input's parameters.
 */
import { ErrorCode } from '../errors.js';
import type { Node, NodeOf } from '../ir/graph.js';
import type { PoolAttrs } from '../ir/ops.js';
import { activationClamp, addParams, concatOperand, softmaxParams } from '../ir/intmath.js';
import type { LowerContext } from './lower-context.js';
import { clampOf } from './lower-linear.js';
import { activationParamsAtLeast, quantizeValue } from './params.js';

/** TFLite's Add prepare shifts inputs left by 20 bits, so s_out must exceed 2 * max(s1, s2) / 2^20. */
const ADD_LEFT_SHIFT = 20;

/** Add of two activations (or an activation and a same-shape constant) → QAdd. */
export function lowerAdd(ctx: LowerContext, n: NodeOf<'Add'>): void {
  const [a, b] = n.inputs;
  const sa = ctx.src.tensors.get(a)!.shape;
  const sb = ctx.src.tensors.get(b)!.shape;
  if (sa.length !== sb.length || sa.some((d, i) => d !== sb[i])) {
    throw ctx.error(n, ErrorCode.UnsupportedOp, `Add of shapes [${sa.join(', ')}] and [${sb.join(', ')}] (broadcasting) is not supported in int8`,
      'qgc adds int8 tensors of the same shape; a per-channel constant after a Conv/Gemm is fused as its bias by the optimizer.');
  }
  const x1 = ctx.input(n, a);
  const x2 = ctx.input(n, b);
  // The output multiplier must stay below one (TFLite's Add prepare requires it).
  const minOut = ((2 * Math.max(x1.params.scale, x2.params.scale)) / 2 ** ADD_LEFT_SHIFT) * (1 + 2 ** -10);
  let out = ctx.calibrated(n, n.outputs[0]);
  if (out.scale < minOut) {
    out = activationParamsAtLeast(ctx.ranges.get(n.outputs[0])!, minOut);
    ctx.warnings.push(`node '${n.name}' (Add): output scale raised to ${out.scale.toPrecision(4)} (at least 2^-19 of the larger input scale)`);
  }
  const y = ctx.defineInt8(n.outputs[0], out);
  ctx.emit({
    name: n.name,
    op: 'QAdd',
    inputs: [x1.name, x2.name],
    outputs: [y],
    attrs: { ...addParams(x1.params.scale, x1.params.zeroPoint, x2.params.scale, x2.params.zeroPoint, out.scale, out.zeroPoint), ...clampOf(n, out) },
  });
}

/** MaxPool/AveragePool → QMaxPool/QAveragePool on the input's parameters. */
export function lowerPool(ctx: LowerContext, n: NodeOf<'MaxPool'> | NodeOf<'AveragePool'>): void {
  if (n.op === 'AveragePool' && n.attrs.countIncludePad && n.attrs.pads.some((p) => p !== 0)) {
    throw ctx.error(n, ErrorCode.UnsupportedOp, 'AveragePool with count_include_pad=1 and padding is not supported in int8',
      "qgc's int8 average pool divides by the valid elements (TFLite semantics); export with count_include_pad=False or without padding.");
  }
  const x = ctx.input(n, n.inputs[0]);
  const y = ctx.defineInt8(n.outputs[0], x.params);
  const attrs: PoolAttrs = { ...n.attrs };
  const clamp = clampOf(n, x.params);
  if (n.op === 'MaxPool') ctx.emit({ name: n.name, op: 'QMaxPool', inputs: [x.name], outputs: [y], attrs: { ...attrs, ...clamp } });
  else ctx.emit({ name: n.name, op: 'QAveragePool', inputs: [x.name], outputs: [y], attrs: { ...attrs, ...clamp } });
}

/** GlobalAveragePool → QAveragePool with a window of the whole spatial extent. */
export function lowerGlobalAveragePool(ctx: LowerContext, n: NodeOf<'GlobalAveragePool'>): void {
  noClamp(ctx, n);
  const x = ctx.input(n, n.inputs[0]);
  const spatial = ctx.src.tensors.get(n.inputs[0])!.shape.slice(2);
  const y = ctx.defineInt8(n.outputs[0], x.params);
  const ones = spatial.map(() => 1);
  ctx.emit({
    name: n.name,
    op: 'QAveragePool',
    inputs: [x.name],
    outputs: [y],
    attrs: { kernel: spatial, strides: ones, dilations: ones, pads: [...ones, ...ones].map(() => 0), countIncludePad: false, ceilMode: false, actMin: -128, actMax: 127 },
  });
}

/** Softmax over the last axis → QSoftmax (output scale 1/256, zero point -128). */
export function lowerSoftmax(ctx: LowerContext, n: NodeOf<'Softmax'>): void {
  noClamp(ctx, n);
  const rank = ctx.src.tensors.get(n.inputs[0])!.shape.length;
  if (n.attrs.axis !== rank - 1) {
    throw ctx.error(n, ErrorCode.UnsupportedOp, `Softmax over axis ${n.attrs.axis} of a rank-${rank} tensor is not supported in int8`,
      'qgc computes int8 softmax over the last axis; transpose the axis last before the Softmax.');
  }
  const x = ctx.input(n, n.inputs[0]);
  const y = ctx.defineInt8(n.outputs[0], { scale: Math.fround(1 / 256), zeroPoint: -128 });
  ctx.emit({ name: n.name, op: 'QSoftmax', inputs: [x.name], outputs: [y], attrs: softmaxParams(x.params.scale) });
}

/** Concat → QConcat: the output takes its calibrated parameters, each input is requantized. */
export function lowerConcat(ctx: LowerContext, n: NodeOf<'Concat'>): void {
  noClamp(ctx, n);
  const xs = n.inputs.map((i) => ctx.input(n, i));
  const out = ctx.calibrated(n, n.outputs[0]);
  const y = ctx.defineInt8(n.outputs[0], out);
  ctx.emit({
    name: n.name,
    op: 'QConcat',
    inputs: xs.map((x) => x.name),
    outputs: [y],
    attrs: { axis: n.attrs.axis, inputs: xs.map((x) => concatOperand(x.params.scale, x.params.zeroPoint, out.scale)), outputZeroPoint: out.zeroPoint },
  });
}

/** Relu or a constant Clip not fused into a producer → QClamp on the input's parameters. */
export function lowerClamp(ctx: LowerContext, n: NodeOf<'Relu'> | NodeOf<'Clip'>): void {
  noClamp(ctx, n);
  let lo = 0;
  let hi = Infinity;
  if (n.op === 'Clip') {
    if (n.inputs.slice(1).some((i) => i !== '' && !ctx.src.tensors.get(i)?.data)) {
      throw ctx.error(n, ErrorCode.UnsupportedOp, 'Clip with computed (non-constant) bounds is not supported in int8', 'Give Clip constant min/max.');
    }
    lo = n.attrs.min;
    hi = n.attrs.max;
  }
  const x = ctx.input(n, n.inputs[0]);
  const y = ctx.defineInt8(n.outputs[0], x.params);
  ctx.emit({ name: n.name, op: 'QClamp', inputs: [x.name], outputs: [y], attrs: activationClamp(x.params.scale, x.params.zeroPoint, lo, hi) });
}

/** Data-movement ops stay as they are on int8 tensors, with the input's parameters. */
export function lowerMovement(
  ctx: LowerContext,
  n: NodeOf<'Reshape'> | NodeOf<'Transpose'> | NodeOf<'Flatten'> | NodeOf<'Squeeze'> | NodeOf<'Unsqueeze'> | NodeOf<'Identity'>,
): void {
  noClamp(ctx, n);
  const x = ctx.input(n, n.inputs[0]);
  const y = ctx.defineInt8(n.outputs[0], x.params);
  ctx.emit({ ...n, inputs: [x.name], outputs: [y] } as Node);
}

/** Pad on int8: a constant fill becomes its int8 value (real 0 is the zero point). */
export function lowerPad(ctx: LowerContext, n: NodeOf<'Pad'>): void {
  noClamp(ctx, n);
  const x = ctx.input(n, n.inputs[0]);
  const y = ctx.defineInt8(n.outputs[0], x.params);
  const value = n.attrs.mode === 'constant' ? quantizeValue(n.attrs.value, x.params) : 0;
  ctx.emit({ ...n, inputs: [x.name], outputs: [y], attrs: { ...n.attrs, value } });
}

/** Ops whose int8 form has no output clamp must not carry a fused one (the fusion pass
 * only fuses into clamping producers). */
function noClamp(ctx: LowerContext, n: Node): void {
  if (n.clamp) throw ctx.error(n, ErrorCode.Internal, `${n.op} carries a fused clamp qgc cannot lower`, 'This is a qgc bug; report it.');
}
