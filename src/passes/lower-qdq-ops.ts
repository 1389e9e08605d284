/** Per-op lowerings of lowerQdq (see lower-qdq.ts): float ops between DequantizeLinear and
 * QuantizeLinear, and QLinearConv/QLinearMatMul, each to one int8 op of src/ir/qops.ts. */
import { CompileError, ErrorCode } from '../errors.js';
import { isFloat, type TensorData } from '../ir/dtype.js';
import type { Node, NodeOf, Tensor } from '../ir/graph.js';
import { QUANT_BITS } from '../ir/qops.js';
import type { OpAttrMap, OpName, PoolAttrs } from '../ir/ops.js';
import { roundHalfEven } from '../interp/quant.js';
import { activationClamp, addParams, concatOperand, convRequant, softmaxParams } from '../ir/intmath.js';
import { addAct, floatAct, intAct, where, type LowerCtx } from './lower-qdq-ctx.js';
import {
  actParams, biasScales, fmt, int32Bias, int8Weights, quantConst, sameParams,
  type ActRef, type Int8Weights, type QuantConst,
} from './lower-qdq-params.js';

type Params = { scale: number; zeroPoint: number };

/** Where a lowered op writes: the float tensor it stands for (after fused activations),
 * the fused clamp bounds (real values), and the QuantizeLinear that reads it, if any. */
interface OutPlan {
  floatOut: string;
  lo: number;
  hi: number;
  q?: { name: string; p: Params };
}

/** Real bounds of a Relu or a Clip with constant bounds; undefined for anything else. */
function activationBounds(ctx: LowerCtx, a: Node): { lo: number; hi: number } | undefined {
  if (a.op === 'Relu') return { lo: 0, hi: Infinity };
  if (a.op !== 'Clip') return undefined;
  if (a.inputs.slice(1).some((i) => i !== '' && !ctx.consts.get(i)?.data)) return undefined;
  return { lo: a.attrs.min, hi: a.attrs.max };
}

/** Follows n's output through Relu/Clip nodes (when `clamping`) to the QuantizeLinear
 * nodes that read it; they must all use the same parameters. */
function planOutput(ctx: LowerCtx, n: Node, clamping: boolean): OutPlan {
  let out = n.outputs[0];
  let lo = -Infinity;
  let hi = Infinity;
  for (;;) {
    const us = ctx.uses.get(out) ?? [];
    const b = clamping && us.length === 1 && !ctx.src.outputs.includes(out) ? activationBounds(ctx, us[0]) : undefined;
    if (!b) break;
    lo = Math.max(lo, b.lo);
    hi = Math.min(hi, b.hi);
    ctx.fused.add(us[0]);
    out = us[0].outputs[0];
  }
  const qs = (ctx.uses.get(out) ?? []).filter((u): u is NodeOf<'QuantizeLinear'> => u.op === 'QuantizeLinear' && u.inputs[0] === out);
  if (qs.length === 0) return { floatOut: out, lo, hi };
  const ps = qs.map((q) => actParams(ctx.src.tensors.get(q.inputs[1]), q.inputs[2] ? ctx.src.tensors.get(q.inputs[2]) : undefined, q.attrs.outputDtype, where(q)));
  if (ps.some((p) => !sameParams(p, ps[0]))) {
    throw new CompileError(ErrorCode.BadGraph, `output '${out}' is quantized by several QuantizeLinear nodes with different parameters`, where(n),
      'Quantize each tensor once; consumers share that QuantizeLinear through their own DequantizeLinear.');
  }
  return { floatOut: out, lo, hi, q: { name: qs[0].outputs[0], p: ps[0] } };
}

/** The output parameters of an op that sets its own scale (a QuantizeLinear must follow). */
function needQ(n: Node, plan: OutPlan): Params {
  if (plan.q) return plan.q.p;
  throw new CompileError(ErrorCode.BadGraph, `output '${plan.floatOut}' is not quantized (no QuantizeLinear reads it)`, where(n),
    'Quantize this op\'s output (QuantizeLinear → DequantizeLinear after it), as onnxruntime quantize_static with QuantFormat.QDQ does.');
}

/** Output parameters of an op that keeps its input's scale and zero point. */
function keepParams(n: Node, plan: OutPlan, x: ActRef): Params {
  if (plan.q && !sameParams(plan.q.p, x)) {
    throw new CompileError(ErrorCode.BadGraph,
      `output is quantized with scale ${fmt(plan.q.p.scale)}, zero point ${plan.q.p.zeroPoint}, but qgc's int8 ${n.op} keeps its input's (scale ${fmt(x.scale)}, zero point ${x.zeroPoint})`,
      where(n), `Quantize ${n.op}'s output with its input's parameters (onnxruntime does this for MaxPool and Reshape).`);
  }
  return x;
}

/** Adds the int8 op to the new graph; its int8 output takes the QuantizeLinear's name. */
function emit<K extends OpName>(ctx: LowerCtx, n: Node, plan: OutPlan, p: Params, op: K, attrs: OpAttrMap[K], inputs: string[]): ActRef {
  const fl = ctx.src.tensors.get(plan.floatOut)!;
  const name = plan.q?.name ?? (isFloat(fl.dtype) && ctx.src.outputs.includes(plan.floatOut) ? ctx.fresh(`${plan.floatOut}_q`) : plan.floatOut);
  const ref = addAct(ctx, name, ctx.src.tensors.get(n.outputs[0])!.shape, p);
  ctx.nodes.push({ name: n.name, op, inputs, outputs: [name], attrs } as Node);
  ctx.known.set(plan.floatOut, { kind: 'act', ref });
  return ref;
}

/** Any int8 activation input (a float tensor that dequantizes one, or an integer tensor). */
function actIn(ctx: LowerCtx, name: string, n: Node): ActRef {
  const t = ctx.src.tensors.get(name);
  return t && !isFloat(t.dtype) ? intAct(ctx, name, n) : floatAct(ctx, name, n);
}

/** An operand of Add/Concat: an activation, or a per-tensor quantized constant (stored as int8). */
function operandOf(ctx: LowerCtx, name: string, n: Node): ActRef {
  const k = ctx.known.get(name);
  if (k?.kind !== 'const') return actIn(ctx, name, n);
  const q = k.q;
  if (q.scale.length !== 1 || (q.dtype !== 'int8' && q.dtype !== 'uint8')) {
    throw new CompileError(ErrorCode.UnsupportedDType, `constant operand '${name}' is ${q.dtype} with ${q.scale.length} scales; qgc needs an 8-bit per-tensor constant here`,
      where(n), 'Quantize the constant per tensor to int8 or uint8.');
  }
  const shift = q.dtype === 'uint8' ? -128 : 0;
  const p = { scale: q.scale[0], zeroPoint: q.zeroPoint[0] + shift };
  const done = ctx.tensors.get(q.name);
  if (done?.quant && sameParams({ scale: done.quant.scale[0], zeroPoint: done.quant.zeroPoint[0] }, p)) return { name: q.name, ...p };
  const cname = done ? ctx.fresh(q.name) : q.name;
  const ref = addAct(ctx, cname, q.shape, p);
  ctx.tensors.set(cname, { ...ctx.tensors.get(cname)!, data: Int8Array.from(q.data as Int8Array | Uint8Array, (v) => v + shift) });
  return ref;
}

function weightOf(ctx: LowerCtx, name: string, n: Node): QuantConst {
  const k = ctx.known.get(name);
  if (k?.kind === 'const') return k.q;
  const c = ctx.consts.get(name);
  throw new CompileError(ErrorCode.BadGraph,
    c ? `weight '${name}' is a float constant; lowerQdq needs quantized weights` : `weight '${name}' is not a constant`, where(n),
    'Quantize the weights (DequantizeLinear of an int8 initializer, per output channel), or compile the float model and let qgc quantize it.');
}

/** A bias: DequantizeLinear of a constant, or a float constant (times `beta`). */
function biasOf(ctx: LowerCtx, name: string, n: Node, beta = 1): QuantConst | TensorData {
  const k = ctx.known.get(name);
  if (k?.kind === 'const') {
    if (beta !== 1) throw new CompileError(ErrorCode.BadAttribute, `beta is ${beta} with a quantized bias`, where(n), 'Fold beta into the bias before quantizing.');
    return k.q;
  }
  const c = ctx.consts.get(name);
  if (c?.data && isFloat(c.dtype)) return Float64Array.from(c.data as Float32Array, (v) => v * beta);
  throw new CompileError(ErrorCode.BadGraph, `bias '${name}' is neither a constant nor a DequantizeLinear of one`, where(n), 'Make the bias an initializer.');
}

function addWeight(ctx: LowerCtx, base: string, shape: readonly number[], w: Int8Weights): string {
  const name = ctx.tensors.has(base) ? ctx.fresh(base) : base;
  const zeroPoint = new Int32Array(w.scale.length);
  ctx.tensors.set(name, { name, dtype: 'int8', shape: [...shape], data: w.data, quant: w.scale.length > 1 ? { scale: w.scale, zeroPoint, axis: 0, bits: QUANT_BITS.weight } : { scale: w.scale, zeroPoint, bits: QUANT_BITS.weight } });
  return name;
}

function addBias(ctx: LowerCtx, base: string, data: Int32Array, scales: Float32Array): string {
  const name = ctx.tensors.has(base) ? ctx.fresh(base) : base;
  ctx.tensors.set(name, { name, dtype: 'int32', shape: [data.length], data, quant: { scale: scales, zeroPoint: new Int32Array(scales.length), axis: 0, bits: QUANT_BITS.bias } });
  return name;
}

/** [K, N] → [N, K]. */
function transpose(d: Int8Array, k: number, n: number): Int8Array {
  const out = new Int8Array(d.length);
  for (let i = 0; i < k; i++) for (let j = 0; j < n; j++) out[j * k + i] = d[i * n + j];
  return out;
}

/** Weights, bias and requantization of a QConv/QFullyConnected. */
function weightsAndBias(ctx: LowerCtx, n: Node, x: ActRef, p: Params, w: Int8Weights, wName: string, wShape: readonly number[],
  bias: QuantConst | TensorData | undefined, biasBase: string) {
  const m = wShape[0];
  const inputs = [x.name, addWeight(ctx, wName, wShape, w), ''];
  if (bias) {
    const scales = biasScales(x.scale, w.scale, m);
    inputs[2] = addBias(ctx, ArrayBuffer.isView(bias) ? ctx.fresh(biasBase) : bias.name, int32Bias(bias, scales, where(n)), scales);
  }
  return { inputs, requant: convRequant(x.scale, w.scale, p.scale), zps: { inputZeroPoint: x.zeroPoint, outputZeroPoint: p.zeroPoint } };
}

function lowerConv(ctx: LowerCtx, n: NodeOf<'Conv'>): void {
  const x = floatAct(ctx, n.inputs[0], n);
  const wq = weightOf(ctx, n.inputs[1], n);
  const w = int8Weights(wq, 0, where(n));
  const plan = planOutput(ctx, n, true);
  const p = needQ(n, plan);
  const bias = n.inputs[2] ? biasOf(ctx, n.inputs[2], n) : undefined;
  const { inputs, requant, zps } = weightsAndBias(ctx, n, x, p, w, wq.name, wq.shape, bias, `${n.name}_bias`);
  emit(ctx, n, plan, p, 'QConv', { ...n.attrs, ...zps, ...requant, ...activationClamp(p.scale, p.zeroPoint, plan.lo, plan.hi) }, inputs);
}

function rank2(ctx: LowerCtx, n: Node, name: string, what: string): readonly number[] {
  const s = ctx.src.tensors.get(name)!.shape;
  if (s.length !== 2) {
    throw new CompileError(ErrorCode.ShapeMismatch, `${what} '${name}' has shape [${s.join(', ')}]; qgc's QFullyConnected takes 2-D operands`, where(n),
      'Flatten the input to [N, K] before the matrix product, with a constant 2-D weight.');
  }
  return s;
}

/** Gemm / MatMul (x [N, K] times a constant weight) → QFullyConnected with w as [M, K]. */
function lowerFullyConnected(ctx: LowerCtx, n: NodeOf<'Gemm'> | NodeOf<'MatMul'>): void {
  const x = floatAct(ctx, n.inputs[0], n);
  rank2(ctx, n, n.inputs[0], 'input');
  const transB = n.op === 'Gemm' && n.attrs.transB;
  if (n.op === 'Gemm' && (n.attrs.transA || n.attrs.alpha !== 1)) {
    throw new CompileError(ErrorCode.BadAttribute, `Gemm with ${n.attrs.transA ? 'transA' : `alpha ${n.attrs.alpha}`} cannot be lowered`, where(n),
      'Export the layer as a plain Gemm (transA = 0, alpha = 1), e.g. torch.nn.Linear.');
  }
  const wq = weightOf(ctx, n.inputs[1], n);
  rank2(ctx, n, n.inputs[1], 'weight');
  const w = int8Weights(wq, transB ? 0 : 1, where(n));
  const [k, m] = transB ? [wq.shape[1], wq.shape[0]] : wq.shape;
  if (!transB) w.data = transpose(w.data, k, m);
  const plan = planOutput(ctx, n, true);
  const p = needQ(n, plan);
  const c = n.op === 'Gemm' && n.inputs[2] ? biasOf(ctx, n.inputs[2], n, n.attrs.beta) : undefined;
  const { inputs, requant, zps } = weightsAndBias(ctx, n, x, p, w, wq.name, [m, k], c, `${n.name}_bias`);
  emit(ctx, n, plan, p, 'QFullyConnected', { ...zps, ...requant, ...activationClamp(p.scale, p.zeroPoint, plan.lo, plan.hi) }, inputs);
}

function lowerAdd(ctx: LowerCtx, n: NodeOf<'Add'>): void {
  const [a, b] = n.inputs.map((i) => operandOf(ctx, i, n));
  const [sa, sb] = n.inputs.map((i) => ctx.src.tensors.get(i)!.shape);
  if (sa.length !== sb.length || sa.some((d, i) => d !== sb[i])) {
    throw new CompileError(ErrorCode.ShapeMismatch, `Add of shapes [${sa.join(', ')}] and [${sb.join(', ')}]: qgc's QAdd takes operands of one shape`, where(n),
      'Remove the broadcast (expand the smaller operand) before quantizing.');
  }
  const plan = planOutput(ctx, n, true);
  const p = needQ(n, plan);
  const attrs = { ...addParams(a.scale, a.zeroPoint, b.scale, b.zeroPoint, p.scale, p.zeroPoint), ...activationClamp(p.scale, p.zeroPoint, plan.lo, plan.hi) };
  emit(ctx, n, plan, p, 'QAdd', attrs, [a.name, b.name]);
}

function lowerPool(ctx: LowerCtx, n: NodeOf<'MaxPool'> | NodeOf<'AveragePool'> | NodeOf<'GlobalAveragePool'>): void {
  const x = actIn(ctx, n.inputs[0], n);
  const plan = planOutput(ctx, n, true);
  const p = keepParams(n, plan, x);
  const clamp = activationClamp(p.scale, p.zeroPoint, plan.lo, plan.hi);
  if (n.op === 'MaxPool') {
    emit(ctx, n, plan, p, 'QMaxPool', { ...n.attrs, ...clamp }, [x.name]);
    return;
  }
  let pool: PoolAttrs;
  if (n.op === 'GlobalAveragePool') {
    const spatial = ctx.src.tensors.get(n.inputs[0])!.shape.slice(2);
    const ones = spatial.map(() => 1);
    pool = { kernel: [...spatial], strides: ones, dilations: [...ones], pads: [...ones, ...ones].map(() => 0), countIncludePad: false, ceilMode: false };
  } else {
    pool = n.attrs;
    // Without padding count_include_pad changes nothing; it is kept as the model states it.
    if (pool.countIncludePad && pool.pads.some((v) => v !== 0)) {
      throw new CompileError(ErrorCode.BadAttribute, 'count_include_pad = 1 with padding cannot be lowered: qgc\'s int8 AveragePool divides by the valid elements', where(n),
        'Export the pool with count_include_pad = 0 (PyTorch: AvgPool2d(count_include_pad=False)) or without padding.');
    }
  }
  emit(ctx, n, plan, p, 'QAveragePool', { ...pool, ...clamp }, [x.name]);
}

function lowerSoftmax(ctx: LowerCtx, n: NodeOf<'Softmax'>): void {
  const x = floatAct(ctx, n.inputs[0], n);
  const rank = ctx.src.tensors.get(n.inputs[0])!.shape.length;
  if (n.attrs.axis !== rank - 1) {
    throw new CompileError(ErrorCode.BadAttribute, `Softmax over axis ${n.attrs.axis} of a rank-${rank} tensor: qgc's QSoftmax works on the last axis`, where(n),
      'Transpose so the softmax runs over the last axis.');
  }
  const plan = planOutput(ctx, n, false);
  const p = needQ(n, plan);
  if (!sameParams(p, { scale: 1 / 256, zeroPoint: -128 })) {
    throw new CompileError(ErrorCode.BadGraph, `Softmax output is quantized with scale ${fmt(p.scale)}, zero point ${p.zeroPoint} (int8 terms); qgc's QSoftmax writes scale 1/256, zero point -128`,
      where(n), 'Quantize the softmax output with scale 1/256 and zero point -128 (int8) or 0 (uint8), as onnxruntime and TFLite do.');
  }
  emit(ctx, n, plan, p, 'QSoftmax', softmaxParams(x.scale), [x.name]);
}

function lowerConcat(ctx: LowerCtx, n: NodeOf<'Concat'>): void {
  const xs = n.inputs.map((i) => operandOf(ctx, i, n));
  const plan = planOutput(ctx, n, false);
  // Without a QuantizeLinear after it, a Concat of equally quantized inputs keeps their parameters.
  const p = plan.q || !xs.every((x) => sameParams(x, xs[0])) ? needQ(n, plan) : xs[0];
  const attrs = { axis: n.attrs.axis, inputs: xs.map((x) => concatOperand(x.scale, x.zeroPoint, p.scale)), outputZeroPoint: p.zeroPoint };
  emit(ctx, n, plan, p, 'QConcat', attrs, xs.map((x) => x.name));
}

/** Relu/Clip not fused into a producer: a QClamp in the input's own parameters. */
function lowerClamp(ctx: LowerCtx, n: NodeOf<'Relu'> | NodeOf<'Clip'>): void {
  const b = activationBounds(ctx, n);
  if (!b) throw new CompileError(ErrorCode.BadAttribute, 'Clip with bounds computed at run time cannot be lowered', where(n), 'Make min and max initializers.');
  const x = actIn(ctx, n.inputs[0], n);
  const plan = planOutput(ctx, n, false);
  const p = keepParams(n, plan, x);
  emit(ctx, n, plan, p, 'QClamp', activationClamp(p.scale, p.zeroPoint, b.lo, b.hi), [x.name]);
}

/** Data movement in the input's parameters: Reshape/Flatten/Squeeze/Unsqueeze become a
 * Reshape view; Transpose and Pad stay (Pad's fill value quantized as QuantizeLinear does). */
function lowerMovement(ctx: LowerCtx, n: Node): void {
  const x = actIn(ctx, n.inputs[0], n);
  const plan = planOutput(ctx, n, false);
  const p = keepParams(n, plan, x);
  if (n.op === 'Transpose') emit(ctx, n, plan, p, 'Transpose', n.attrs, [x.name]);
  else if (n.op === 'Pad') {
    const real = isFloat(ctx.src.tensors.get(n.inputs[0])!.dtype);
    const value = real ? Math.min(127, Math.max(-128, p.zeroPoint + roundHalfEven(Math.fround(n.attrs.value / p.scale)))) : n.attrs.value + (ctx.src.tensors.get(n.inputs[0])!.dtype === 'uint8' ? -128 : 0);
    emit(ctx, n, plan, p, 'Pad', { ...n.attrs, value }, [x.name]);
  } else emit(ctx, n, plan, p, 'Reshape', { shape: [...ctx.src.tensors.get(n.outputs[0])!.shape] }, [x.name]);
}

/** Lowers one float op of a QDQ graph (its inputs dequantized, its output quantized). */
export function lowerFloatOp(ctx: LowerCtx, n: Node): void {
  switch (n.op) {
    case 'Conv':
      return lowerConv(ctx, n);
    case 'Gemm':
    case 'MatMul':
      return lowerFullyConnected(ctx, n);
    case 'Add':
      return lowerAdd(ctx, n);
    case 'MaxPool':
    case 'AveragePool':
    case 'GlobalAveragePool':
      return lowerPool(ctx, n);
    case 'Softmax':
      return lowerSoftmax(ctx, n);
    case 'Concat':
      return lowerConcat(ctx, n);
    case 'Relu':
    case 'Clip':
      return lowerClamp(ctx, n);
    case 'Reshape':
    case 'Flatten':
    case 'Squeeze':
    case 'Unsqueeze':
    case 'Transpose':
    case 'Pad':
      return lowerMovement(ctx, n);
    default:
      throw new CompileError(ErrorCode.UnsupportedOp, `${n.op} has no int8 lowering`, where(n),
        'lowerQdq handles Conv, Gemm, MatMul, Add, MaxPool, AveragePool, GlobalAveragePool, Softmax, Concat, Relu, Clip, Reshape-like ops, Transpose and Pad (with QLinearConv and QLinearMatMul); compile the float model and let qgc quantize it, or remove this op.');
  }
}

const tensorOf = (ctx: LowerCtx, name: string | undefined): Tensor | undefined => (name ? ctx.src.tensors.get(name) : undefined);

function constWeight(ctx: LowerCtx, name: string, n: Node): Tensor {
  const c = ctx.consts.get(name);
  if (!c?.data) throw new CompileError(ErrorCode.BadGraph, `weight '${name}' is not a constant`, where(n), 'Make the weights an initializer.');
  return c;
}

/** The int32 bias of a QLinearConv: scale x_scale * w_scale[c] by definition. */
function qlinearBias(ctx: LowerCtx, name: string, n: Node, xScale: number, wq: QuantConst, m: number): QuantConst {
  const c = constWeight(ctx, name, n);
  return { name, dtype: 'int32', shape: c.shape, data: c.data!, scale: biasScales(xScale, wq.scale, m), zeroPoint: new Int32Array(1), axis: 0 };
}

/** QLinearConv → QConv. */
export function lowerQLinearConv(ctx: LowerCtx, n: NodeOf<'QLinearConv'>): void {
  const [xn, xs, xz, wn, ws, wz, ys, yz, bn] = n.inputs;
  const T = (i: string | undefined) => tensorOf(ctx, i);
  const x = intAct(ctx, xn, n, actParams(T(xs), T(xz), T(xn)!.dtype, where(n)));
  const p = actParams(T(ys), T(yz), T(n.outputs[0])!.dtype, where(n));
  const wq = quantConst(constWeight(ctx, wn, n), T(ws), T(wz), 0, where(n));
  const w = int8Weights(wq, 0, where(n));
  const bias = bn ? qlinearBias(ctx, bn, n, x.scale, wq, wq.shape[0]) : undefined;
  const plan: OutPlan = { floatOut: n.outputs[0], lo: -Infinity, hi: Infinity, q: { name: n.outputs[0], p } };
  const { inputs, requant, zps } = weightsAndBias(ctx, n, x, p, w, wq.name, wq.shape, bias, `${n.name}_bias`);
  emit(ctx, n, plan, p, 'QConv', { ...n.attrs, ...zps, ...requant, actMin: -128, actMax: 127 }, inputs);
}

/** QLinearMatMul (a [N, K], b a constant [K, M]) → QFullyConnected. */
export function lowerQLinearMatMul(ctx: LowerCtx, n: NodeOf<'QLinearMatMul'>): void {
  const [an, as, az, bn, bs, bz, ys, yz] = n.inputs;
  const T = (i: string | undefined) => tensorOf(ctx, i);
  rank2(ctx, n, an, 'input a');
  rank2(ctx, n, bn, 'input b');
  const x = intAct(ctx, an, n, actParams(T(as), T(az), T(an)!.dtype, where(n)));
  const p = actParams(T(ys), T(yz), T(n.outputs[0])!.dtype, where(n));
  const wq = quantConst(constWeight(ctx, bn, n), T(bs), T(bz), 1, where(n));
  const w = int8Weights(wq, 1, where(n));
  const [k, m] = wq.shape;
  w.data = transpose(w.data, k, m);
  const plan: OutPlan = { floatOut: n.outputs[0], lo: -Infinity, hi: Infinity, q: { name: n.outputs[0], p } };
  const { inputs, requant, zps } = weightsAndBias(ctx, n, x, p, w, wq.name, [m, k], undefined, '');
  emit(ctx, n, plan, p, 'QFullyConnected', { ...zps, ...requant, actMin: -128, actMax: 127 }, inputs);
}
