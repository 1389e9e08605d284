/** lowerQdq's side of the int8 lowering (see lower-qdq.ts): the QDQ ScaleSource through which
 * float ops between DequantizeLinear and QuantizeLinear go to the shared lowering rows
 * (src/quant/lowering/table.ts), and QLinearConv/QLinearMatMul, which state their own scales. */
import { CompileError, ErrorCode } from '../errors.js';
import { isFloat, type TensorData } from '../ir/dtype.js';
import type { Node, NodeOf, Tensor } from '../ir/graph.js';
import { QUANT_BITS } from '../ir/qops.js';
import { inGroup, OpGroups, type OpAttrMap, type OpName } from '../ir/ops.js';
import { roundHalfEven } from '../interp/quant.js';
import { convRequant } from '../ir/intmath.js';
import type { LinearOperands, Operand, Output, OutputRule, Params, ScaleSource, WeightSpec } from '../quant/lowering/source.js';
import { isRowRefusal, sameParams } from '../quant/lowering/source.js';
import { lowerInt8 } from '../quant/lowering/table.js';
import { addAct, floatAct, intAct, where, type LowerCtx } from './lower-qdq-ctx.js';
import {
  actParams, biasScales, fmt, int32Bias, int8Weights, quantConst,
  type ActRef, type Int8Weights, type QuantConst,
} from './lower-qdq-params.js';

/** Where a lowered op writes: the float tensor it stands for, the fused clamp bounds (real
 * values), and the QuantizeLinear that reads it, if any. */
interface OutPlan {
  floatOut: string;
  lo: number;
  hi: number;
  q?: { name: string; p: Params };
}

/** n's output (a fused Relu/Clip, when `clamping`, gives its bounds) and the QuantizeLinear
 * nodes that read it; they must all use the same parameters. */
function planOutput(ctx: LowerCtx, n: Node, clamping: boolean): OutPlan {
  const out = n.outputs[0];
  const lo = clamping && n.clamp ? n.clamp.min : -Infinity;
  const hi = clamping && n.clamp ? n.clamp.max : Infinity;
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

/** An operand of Add/Mul/Concat: an activation, or a per-tensor quantized constant (stored as int8). */
function operandOf(ctx: LowerCtx, name: string, n: Node): Operand {
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
  if (done?.quant && sameParams({ scale: done.quant.scale[0], zeroPoint: done.quant.zeroPoint[0] }, p)) return { name: q.name, ...p, constant: true };
  return addConstant(ctx, q.name, q.shape, Int8Array.from(q.data as Int8Array | Uint8Array, (v) => v + shift), p);
}

/** Adds a constant int8 tensor (a fresh name when `base` is taken) with per-tensor parameters. */
function addConstant(ctx: LowerCtx, base: string, shape: readonly number[], data: Int8Array, p: Params): Operand {
  const cname = ctx.tensors.has(base) ? ctx.fresh(base) : base;
  const ref = addAct(ctx, cname, shape, p);
  ctx.tensors.set(cname, { ...ctx.tensors.get(cname)!, data });
  return { ...ref, constant: true };
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
  ctx.tensors.set(name, { name, dtype: 'int8', shape: [...shape], data: w.data, quant: w.scale.length > 1 ? { scale: w.scale, zeroPoint, axis: 0, bits: w.bits } : { scale: w.scale, zeroPoint, bits: w.bits } });
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

/** Adds the int8 weight and int32 bias (scale s_x * s_w[c]) of a QConv/QFullyConnected. */
function weightsAndBias(ctx: LowerCtx, n: Node, x: ActRef, w: Int8Weights, wName: string, wShape: readonly number[],
  bias: QuantConst | TensorData | undefined, biasBase: string): [string, string] {
  const m = wShape[0];
  const weight = addWeight(ctx, wName, wShape, w);
  if (!bias) return [weight, ''];
  const scales = biasScales(x.scale, w.scale, m);
  return [weight, addBias(ctx, ArrayBuffer.isView(bias) ? ctx.fresh(biasBase) : bias.name, int32Bias(bias, scales, where(n)), scales)];
}

function rank2(ctx: LowerCtx, n: Node, name: string, what: string): readonly number[] {
  const s = ctx.src.tensors.get(name)!.shape;
  if (s.length !== 2) {
    throw new CompileError(ErrorCode.ShapeMismatch, `${what} '${name}' has shape [${s.join(', ')}]; qgc's QFullyConnected takes 2-D operands`, where(n),
      'Flatten the input to [N, K] before the matrix product, with a constant 2-D weight.');
  }
  return s;
}

/**
 * The QDQ model's ScaleSource for the int8 lowering rows (src/quant/lowering/): every scale is
 * the model's own, read from the DequantizeLinear before an op and the QuantizeLinear after it
 * (a Relu/Clip between them becomes the op's clamp).
 */
export class QdqSource implements ScaleSource {
  private readonly plans = new Map<Node, OutPlan>();

  constructor(private readonly ctx: LowerCtx) {}

  shape(name: string): readonly number[] {
    return this.ctx.src.tensors.get(name)!.shape;
  }

  constant(name: string): Tensor | undefined {
    return this.ctx.consts.get(name);
  }

  isConstant(name: string): boolean {
    return this.ctx.consts.has(name) || this.ctx.known.get(name)?.kind === 'const';
  }

  activation(node: Node, name: string): Operand {
    return actIn(this.ctx, name, node);
  }

  operand(node: Node, name: string): Operand {
    return operandOf(this.ctx, name, node);
  }

  addConstant(_node: Node, base: string, shape: readonly number[], data: Int8Array, p: Params): Operand {
    return addConstant(this.ctx, base, shape, data, p);
  }

  /** The model's int8 weights (zero point removed, output channels first) and its bias. */
  linear(node: Node, x: Operand, spec: WeightSpec): LinearOperands {
    if (spec.alpha !== 1) {
      throw new CompileError(ErrorCode.BadAttribute, `Gemm with alpha ${spec.alpha} cannot be lowered`, where(node),
        'Export the layer as a plain Gemm (transA = 0, alpha = 1), e.g. torch.nn.Linear.');
    }
    const wq = weightOf(this.ctx, spec.weight, node);
    const w = int8Weights(wq, spec.outAxis, where(node));
    if (spec.outAxis === 1) w.data = transpose(w.data, wq.shape[0], wq.shape[1]);
    const bias = spec.bias ? biasOf(this.ctx, spec.bias, node, spec.beta) : undefined;
    const [weight, b] = weightsAndBias(this.ctx, node, x, w, wq.name, spec.shape, bias, `${node.name}_bias`);
    return { weight, bias: b, scales: w.scale };
  }

  /** The QuantizeLinear's parameters (own), the input's (keep, checked against the model's), or
   * the fixed ones (checked). */
  output(node: Node, rule: OutputRule): Output {
    const plan = planOutput(this.ctx, node, rule.clamps);
    let p: Params;
    if (rule.kind === 'keep') p = keepParams(node, plan, rule.input);
    else if (rule.kind === 'own') p = !plan.q && rule.shared ? rule.shared : needQ(node, plan);
    else {
      p = needQ(node, plan);
      if (!sameParams(p, rule.params)) {
        const what = `scale ${fmt(rule.params.scale)} (1/${Math.round(1 / rule.params.scale)}), zero point ${rule.params.zeroPoint}`;
        throw new CompileError(ErrorCode.BadGraph, `${node.op} output is quantized with scale ${fmt(p.scale)}, zero point ${p.zeroPoint} (int8 terms); qgc's int8 ${node.op} writes ${what}`,
          where(node), `Quantize the ${node.op} output with ${what} (int8; zero point ${rule.params.zeroPoint + 128} for uint8), as onnxruntime and TFLite do.`);
      }
    }
    this.plans.set(node, plan);
    return { params: p, lo: plan.lo, hi: plan.hi };
  }

  /** A float input's fill is quantized as QuantizeLinear does; an integer input's is shifted to int8. */
  fill(_node: Node, input: string, p: Params, value: number): number {
    const dtype = this.ctx.src.tensors.get(input)!.dtype;
    if (isFloat(dtype)) return Math.min(127, Math.max(-128, p.zeroPoint + roundHalfEven(Math.fround(value / p.scale))));
    return value + (dtype === 'uint8' ? -128 : 0);
  }

  freshNode(base: string): string {
    return this.ctx.fresh(base);
  }

  /** lowerQdq reports nothing but errors. */
  warn(): void {}

  add<K extends OpName>(node: Node, op: K, attrs: OpAttrMap[K], inputs: string[], out: Output): void {
    emit(this.ctx, node, this.plans.get(node)!, out.params, op, attrs, inputs);
  }
}

/**
 * Lowers one float op of a QDQ graph (its inputs dequantized, its output quantized) with its row;
 * where no row takes it and it has float kernels (OpGroups.floatFallback), in float (unless
 * `int8Only`), as `qgc quantize` does.
 */
export function lowerFloatOp(ctx: LowerCtx, source: QdqSource, n: Node, opts: { int8Only?: boolean; floatNodes?: ReadonlySet<string>; warn?: (m: string) => void }): void {
  const canFloat = opts.int8Only !== true && inGroup('floatFallback', n.op);
  const keepFloat = (reason: string) => {
    lowerKeptFloat(ctx, n);
    opts.warn?.(`node '${n.name}' (${n.op}) runs in float: ${reason}`);
  };
  if (canFloat && opts.floatNodes?.has(n.name)) return keepFloat('named in --float-nodes');
  if (!inGroup('int8', n.op)) {
    if (canFloat) return keepFloat('qgc has no int8 kernel for it');
    throw new CompileError(ErrorCode.UnsupportedOp, `${n.op} has no int8 lowering`, where(n),
      `lowerQdq handles ${OpGroups.int8.join(', ')} (with QLinearConv and QLinearMatMul); compile the float model and let qgc quantize it, or remove this op.`);
  }
  if (!canFloat) {
    lowerInt8(source, n as never);
    return;
  }
  const saved = { known: new Map(ctx.known), tensors: new Map(ctx.tensors), nodes: ctx.nodes.length };
  try {
    lowerInt8(source, n as never);
  } catch (e) {
    if (!isRowRefusal(e)) throw e;
    ctx.known.clear();
    for (const [k, v] of saved.known) ctx.known.set(k, v);
    ctx.tensors.clear();
    for (const [k, v] of saved.tensors) ctx.tensors.set(k, v);
    ctx.nodes.length = saved.nodes;
    keepFloat(`its int8 kernel does not take it (${e.message})`);
  }
}

/** The float32 tensor a node kept in float reads for `name`: a float node's output, a Dequantize
 * of an int8 activation, a dequantized constant, or a float constant. */
function floatInput(ctx: LowerCtx, name: string, n: Node): string {
  const f = ctx.floats.get(name);
  if (f !== undefined) return f;
  const k = ctx.known.get(name);
  if (k?.kind === 'act') {
    const done = ctx.dequantized.get(k.ref.name);
    if (done !== undefined) return done;
    const out = ctx.fresh(`${k.ref.name}_float`);
    ctx.tensors.set(out, { name: out, dtype: 'float32', shape: [...ctx.tensors.get(k.ref.name)!.shape] });
    ctx.nodes.push({ name: ctx.fresh(`${k.ref.name}_dequantize`), op: 'Dequantize', inputs: [k.ref.name], outputs: [out], attrs: { scale: k.ref.scale, zeroPoint: k.ref.zeroPoint } });
    ctx.dequantized.set(k.ref.name, out);
    return out;
  }
  if (k?.kind === 'const') {
    const out = ctx.fresh(`${name}_float`);
    ctx.tensors.set(out, { name: out, dtype: 'float32', shape: [...k.q.shape], data: dequantizeConst(k.q) });
    ctx.floats.set(name, out);
    return out;
  }
  const c = ctx.consts.get(name);
  if (c?.data) {
    if (!ctx.tensors.has(name)) ctx.tensors.set(name, c);
    return name;
  }
  return floatAct(ctx, name, n).name; // throws, naming where the input comes from
}

/** real = scale[c] * (q - zeroPoint[c]) along the constant's axis. */
function dequantizeConst(q: QuantConst): Float32Array {
  const out = new Float32Array(q.data.length);
  const inner = q.shape.slice(q.axis + 1).reduce((a, d) => a * d, 1);
  for (let i = 0; i < out.length; i++) {
    const c = q.scale.length === 1 ? 0 : Math.floor(i / inner) % q.scale.length;
    out[i] = q.scale[c] * (Number(q.data[i]) - q.zeroPoint[q.zeroPoint.length === 1 ? 0 : c]);
  }
  return out;
}

/** Adds `n` as it is, on float32 tensors: the outputs (the first only) are float tensors. */
function lowerKeptFloat(ctx: LowerCtx, n: Node): void {
  const inputs = n.inputs.map((i) => (i === '' ? '' : floatInput(ctx, i, n)));
  const out = n.outputs[0];
  for (const extra of n.outputs.slice(1)) {
    if (extra !== '' && (ctx.uses.get(extra)?.length || ctx.src.outputs.includes(extra))) {
      throw new CompileError(ErrorCode.UnsupportedOp, `output '${extra}' of ${n.op} is used; qgc's float kernels write the first output only`, where(n),
        'Use only the first output of this op (LayerNormalization: Y).');
    }
  }
  const name = ctx.tensors.has(out) ? ctx.fresh(`${out}_float`) : out;
  ctx.tensors.set(name, { name, dtype: 'float32', shape: [...ctx.src.tensors.get(out)!.shape] });
  ctx.nodes.push({ ...n, inputs, outputs: [name, ...n.outputs.slice(1).map(() => '')] } as Node);
  ctx.floats.set(out, name);
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
  const [weight, b] = weightsAndBias(ctx, n, x, w, wq.name, wq.shape, bias, `${n.name}_bias`);
  const zps = { inputZeroPoint: x.zeroPoint, outputZeroPoint: p.zeroPoint };
  emit(ctx, n, plan, p, 'QConv', { ...n.attrs, ...zps, ...convRequant(x.scale, w.scale, p.scale), actMin: -128, actMax: 127 }, [x.name, weight, b]);
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
  const [weight] = weightsAndBias(ctx, n, x, w, wq.name, [m, k], undefined, '');
  const zps = { inputZeroPoint: x.zeroPoint, outputZeroPoint: p.zeroPoint };
  emit(ctx, n, plan, p, 'QFullyConnected', { ...zps, ...convRequant(x.scale, w.scale, p.scale), actMin: -128, actMax: 127 }, [x.name, weight, '']);
}
