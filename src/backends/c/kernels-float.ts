/**
 * The C float kernels: one row per op of OpGroups.floatFallback (the nodes the quantizer kept in
 * float), plus the Quantize and Dequantize steps around them. They call the float functions of
 * templates/c/portable/qgc_data.c, which follow the float interpreter (src/interp/), on float32
 * tensors of the arena; weights, LayerNorm scales and constant operands go to flash as float
 * arrays. Both C providers use these rows (CMSIS-NN has no float kernels qgc could call).
 */
import { CompileError, ErrorCode } from '../../errors.js';
import { toNumbers } from '../../ir/dtype.js';
import { elementCount, stridesOf, type Node, type Tensor } from '../../ir/graph.js';
import type { OpGroup } from '../../ir/ops.js';
import type { KernelQuery } from '../../schedule/provider.js';
import type { KernelChoice, NodeStep, StorageDType } from '../../schedule/types.js';
import { cFloat, cInt, constArray, type CallContext, type CKernel, type ConstSource, type KernelCall } from './kernel-call.js';

const FLOAT: readonly StorageDType[] = ['float32'];
const BOUNDARY: readonly StorageDType[] = ['float32', 'int8'];
/** Where a fused clamp has no bound: the largest float32 (only an infinite value tells them apart). */
const FLT_MAX = 3.4028234663852886e38;

function where(s: ConstSource) {
  return { node: s.node.name, op: s.node.op };
}

function refuse(s: ConstSource, why: string, hint: string): CompileError {
  return new CompileError(ErrorCode.UnsupportedOp, `float ${s.node.op}: ${why}`, where(s), hint);
}

const kernelOf = (kernel: string, check?: (q: KernelQuery) => void) => (q: KernelQuery): KernelChoice => {
  check?.(q);
  return { kernel, scratchBytes: 0 };
};

/** A float pointer into the arena, as C text. */
const at = (offset: number, mutable: boolean) => `(${mutable ? '' : 'const '}float *)(arena + ${offset})`;

/** The float32 data of a constant input. */
function floatData(s: ConstSource, t: Tensor | undefined, what: string): Float32Array {
  if (!t?.data) throw refuse(s, `${what} is not a constant`, 'Make it an initializer of the model.');
  return t.data instanceof Float32Array ? t.data : Float32Array.from(toNumbers(t.data));
}

/** The clamp a fused Relu/Clip adds after the kernel (null: none). */
function clampOf(node: Node): { lo: string; hi: string } | null {
  if (!node.clamp) return null;
  const bound = (v: number) => cFloat(Math.max(-FLT_MAX, Math.min(FLT_MAX, v)));
  return { lo: bound(node.clamp.min), hi: bound(node.clamp.max) };
}

function common(step: NodeStep, ctx: CallContext) {
  return { output: at(ctx.offset(step.output), true), size: elementCount(step.output.shape), step: ctx.stepNumber, clamp: clampOf(step.node) };
}

/** The enum value of qgc_unary_f32 for each elementwise op (Gelu picks its form by attribute). */
const UNARY_FN: Record<OpGroup<'floatFallback'> & ('Sigmoid' | 'Tanh' | 'HardSigmoid' | 'HardSwish' | 'LeakyRelu' | 'Relu' | 'Exp' | 'Erf' | 'Gelu' | 'Abs' | 'Neg' | 'Sqrt' | 'Reciprocal'), string> = {
  Sigmoid: 'QGC_F32_SIGMOID', Tanh: 'QGC_F32_TANH', HardSigmoid: 'QGC_F32_HARD_SIGMOID', HardSwish: 'QGC_F32_HARD_SWISH', LeakyRelu: 'QGC_F32_LEAKY_RELU',
  Relu: 'QGC_F32_RELU', Exp: 'QGC_F32_EXP', Erf: 'QGC_F32_ERF', Gelu: 'QGC_F32_GELU', Abs: 'QGC_F32_ABS', Neg: 'QGC_F32_NEG', Sqrt: 'QGC_F32_SQRT',
  Reciprocal: 'QGC_F32_RECIPROCAL',
};

function unaryCall(step: NodeStep, ctx: CallContext): KernelCall {
  const n = step.node;
  let fn = UNARY_FN[n.op as keyof typeof UNARY_FN];
  let alpha = 0;
  let beta = 0;
  if (n.op === 'Gelu' && n.attrs.approximate === 'tanh') fn = 'QGC_F32_GELU_TANH';
  if (n.op === 'HardSigmoid') ({ alpha, beta } = n.attrs);
  if (n.op === 'LeakyRelu') alpha = n.attrs.alpha;
  return {
    partial: 'float_unary', kernel: 'qgc_unary_f32', consts: [],
    values: { ...common(step, ctx), fn, alpha: cFloat(alpha), beta: cFloat(beta), input: at(ctx.offset(step.inputs[0]), false) },
  };
}

const unary: CKernel = {
  inputLayout: 'as-first-input', outputLayout: 'as-first-input', passesLayout: true, inPlace: true, dtypes: FLOAT,
  choose: kernelOf('qgc_unary_f32'), render: unaryCall,
};

/** An operand of a binary op or a constant input: the arena pointer of an activation, else a
 * float array in flash. */
function operandOf(step: NodeStep, ctx: CallContext, input: number, suffix: string, consts: KernelCall['consts']): { ptr: string; shape: readonly number[] } {
  const name = step.node.inputs[input];
  const t = step.consts.find((c) => c?.name === name);
  if (!t) {
    // The k-th computed input is step.inputs[k] (after any layout copy, which renames it).
    const k = step.node.inputs.slice(0, input).filter((n) => !step.consts.some((c) => c?.name === n)).length;
    return { ptr: at(ctx.offset(step.inputs[k]), false), shape: step.inputs[k].shape };
  }
  const c = constArray(ctx, suffix, 'float', floatData(step, t, `operand '${name}'`), `constant operand '${name}' [${t.shape.join(', ')}]`);
  consts.push(c);
  return { ptr: c.id, shape: t.shape };
}

/** Row-major strides of `shape` over the broadcast `out` shape (0 along broadcast dims). */
function broadcastStrides(shape: readonly number[], out: readonly number[]): number[] {
  const aligned = [...new Array<number>(out.length - shape.length).fill(1), ...shape];
  const strides = stridesOf(aligned);
  return aligned.map((d, i) => (d === 1 && out[i] !== 1 ? 0 : strides[i]));
}

const BINARY_FN = { Add: 'QGC_F32_ADD', Sub: 'QGC_F32_SUB', Mul: 'QGC_F32_MUL', Div: 'QGC_F32_DIV' } as const;

function binaryCall(step: NodeStep, ctx: CallContext): KernelCall {
  const consts: KernelCall['consts'] = [];
  const a = operandOf(step, ctx, 0, 'a', consts);
  const b = operandOf(step, ctx, 1, 'b', consts);
  const out = step.output.shape.length === 0 ? [1] : step.output.shape;
  const list = (xs: readonly number[]) => xs.map(cInt).join(', ');
  return {
    partial: 'float_binary', kernel: 'qgc_binary_f32', consts,
    values: {
      ...common(step, ctx), fn: BINARY_FN[step.node.op as keyof typeof BINARY_FN], a: a.ptr, b: b.ptr, rank: out.length, dims: list(out),
      aStrides: list(broadcastStrides(a.shape, out)), bStrides: list(broadcastStrides(b.shape, out)),
    },
  };
}

const binary: CKernel = {
  inputLayout: 'row-major', outputLayout: 'row-major', dtypes: FLOAT, copyReason: 'float operands row-major',
  choose: kernelOf('qgc_binary_f32', (q) => {
    if (q.outputShape.length > 8) throw refuse(q, `rank ${q.outputShape.length} is above 8`, 'Reshape to at most 8 dimensions.');
  }),
  render: binaryCall,
};

/** `data` (broadcastable to `dims`) expanded to every element of `dims`. */
function expandTo(s: ConstSource, data: Float32Array, shape: readonly number[], dims: readonly number[], what: string): Float32Array {
  if (shape.length > dims.length && shape.slice(0, shape.length - dims.length).some((d) => d !== 1)) {
    throw refuse(s, `${what} of shape [${shape.join(', ')}] varies over the rows`, `Give the ${what} the shape of the normalized dimensions.`);
  }
  const own = shape.slice(Math.max(0, shape.length - dims.length));
  const strides = broadcastStrides(own, dims);
  const out = new Float32Array(elementCount(dims));
  const idx = new Array<number>(dims.length).fill(0);
  for (let k = 0; k < out.length; k++) {
    let src = 0;
    for (let d = 0; d < dims.length; d++) src += idx[d] * strides[d];
    out[k] = data[src];
    for (let d = dims.length - 1; d >= 0 && ++idx[d] === dims[d]; d--) idx[d] = 0;
  }
  return out;
}

function layerNormCall(step: NodeStep, ctx: CallContext): KernelCall {
  if (step.node.op !== 'LayerNormalization') throw new Error('unreachable');
  const x = step.inputs[0];
  const { axis, epsilon } = step.node.attrs;
  const dims = x.shape.slice(axis);
  const [scaleT, biasT] = step.consts;
  const scale = constArray(ctx, 'scale', 'float', expandTo(step, floatData(step, scaleT, 'scale'), scaleT!.shape, dims, 'scale'), `scale over [${dims.join(', ')}]`);
  const consts = [scale];
  if (biasT) consts.push(constArray(ctx, 'bias', 'float', expandTo(step, floatData(step, biasT, 'bias'), biasT.shape, dims, 'bias'), `bias over [${dims.join(', ')}]`));
  const inner = elementCount(dims);
  return {
    partial: 'float_layer_norm', kernel: 'qgc_layer_norm_f32', consts,
    values: {
      ...common(step, ctx), input: at(ctx.offset(x), false), outer: elementCount(x.shape) / inner, inner, epsilon: cFloat(epsilon),
      scale: scale.id, bias: biasT ? consts[1].id : 'NULL',
    },
  };
}

/** outer × len × inner of a reduction or softmax over the contiguous axes [first, last]. */
function split(shape: readonly number[], first: number, last: number): { outer: number; len: number; inner: number } {
  return { outer: elementCount(shape.slice(0, first)), len: elementCount(shape.slice(first, last + 1)), inner: elementCount(shape.slice(last + 1)) };
}

function softmaxCall(step: NodeStep, ctx: CallContext): KernelCall {
  if (step.node.op !== 'Softmax') throw new Error('unreachable');
  const x = step.inputs[0];
  const { axis, coerce2d } = step.node.attrs;
  const parts = split(x.shape, axis, coerce2d ? x.shape.length - 1 : axis);
  return { partial: 'float_rows', kernel: 'qgc_softmax_f32', consts: [], values: { ...common(step, ctx), fn: 'qgc_softmax_f32', input: at(ctx.offset(x), false), ...parts } };
}

function meanCall(step: NodeStep, ctx: CallContext): KernelCall {
  const x = step.inputs[0];
  const axes = step.node.op === 'ReduceMean' ? step.node.attrs.axes : x.shape.slice(2).map((_, i) => i + 2);
  const parts = split(x.shape, axes[0], axes[axes.length - 1]);
  return { partial: 'float_rows', kernel: 'qgc_reduce_mean_f32', consts: [], values: { ...common(step, ctx), fn: 'qgc_reduce_mean_f32', input: at(ctx.offset(x), false), ...parts } };
}

function checkMean(q: KernelQuery): void {
  if (q.node.op !== 'ReduceMean') return;
  const axes = q.node.attrs.axes;
  if (axes.length === 0 || axes.some((a, i) => i > 0 && a !== axes[i - 1] + 1)) {
    throw refuse(q, `axes [${axes.join(', ')}] are not one run of consecutive axes`, 'Reduce over consecutive axes (e.g. [2, 3]), or transpose first.');
  }
}

/** Gemm (transA 0) or MatMul with a constant right-hand side: weights [N, K] and bias [N]. */
function fcWeights(s: ConstSource, k: number): { w: Float32Array; n: number; bias?: Float32Array } {
  const node = s.node;
  if (node.op !== 'Gemm' && node.op !== 'MatMul') throw new Error('unreachable');
  const bT = s.consts[0];
  const b = floatData(s, bT, 'the right-hand operand');
  if (bT!.shape.length !== 2) throw refuse(s, `the constant operand has shape [${bT!.shape.join(', ')}]`, 'Use a 2-D constant right-hand operand ([K, N]).');
  const gemm = node.op === 'Gemm' ? node.attrs : { alpha: 1, beta: 1, transA: false, transB: false };
  if (gemm.transA) throw refuse(s, 'transA is set', 'Export the layer with transA = 0 (torch.nn.Linear does).');
  const n = gemm.transB ? bT!.shape[0] : bT!.shape[1];
  const w = new Float32Array(n * k);
  for (let o = 0; o < n; o++) for (let i = 0; i < k; i++) w[o * k + i] = gemm.alpha * (gemm.transB ? b[o * k + i] : b[i * n + o]);
  const cT = s.consts[1];
  if (!cT) return { w, n };
  const c = floatData(s, cT, 'the bias');
  const bias = new Float32Array(n);
  const rows = c.length === 1 ? 1 : c.length / n;
  for (let o = 0; o < n; o++) bias[o] = gemm.beta * c[c.length === 1 ? 0 : o];
  for (let r = 1; r < rows; r++) {
    for (let o = 0; o < n; o++) if (c[r * n + o] !== c[o]) throw refuse(s, 'the bias differs between rows', 'Use a bias of shape [N].');
  }
  return { w, n, bias };
}

function checkFc(q: KernelQuery): void {
  if (q.inputs.length !== 1) throw refuse(q, 'both operands are computed', 'qgc\'s float MatMul takes a constant right-hand operand.');
  fcWeights(q, q.inputs[0].shape[q.inputs[0].shape.length - 1]);
}

function fcCall(step: NodeStep, ctx: CallContext): KernelCall {
  const x = step.inputs[0];
  const k = x.shape[x.shape.length - 1];
  const { w, n, bias } = fcWeights(step, k);
  const consts = [constArray(ctx, 'w', 'float', w, `weights [${n}, ${k}]`)];
  if (bias) consts.push(constArray(ctx, 'bias', 'float', bias, `bias [${n}]`));
  return {
    partial: 'float_fc', kernel: 'qgc_fully_connected_f32', consts,
    values: { ...common(step, ctx), input: at(ctx.offset(x), false), batches: elementCount(x.shape) / k, inFeatures: k, outFeatures: n, w: consts[0].id, bias: bias ? consts[1].id : 'NULL' },
  };
}

const rows = (kernel: string, render: CKernel['render'], check?: (q: KernelQuery) => void): CKernel => ({
  inputLayout: 'row-major', outputLayout: 'row-major', dtypes: FLOAT, copyReason: 'float rows', choose: kernelOf(kernel, check), render,
});

function boundaryCall(step: NodeStep, ctx: CallContext): KernelCall {
  const n = step.node;
  if (n.op !== 'Quantize' && n.op !== 'Dequantize') throw new Error('unreachable');
  const quantize = n.op === 'Quantize';
  const input = ctx.offset(step.inputs[0]);
  const output = ctx.offset(step.output);
  return {
    partial: 'float_boundary', kernel: quantize ? 'qgc_quantize_f32' : 'qgc_dequantize_f32', consts: [],
    values: {
      fn: quantize ? 'qgc_quantize_f32' : 'qgc_dequantize_f32', step: ctx.stepNumber, size: elementCount(step.output.shape),
      input: quantize ? at(input, false) : `arena + ${input}`, output: quantize ? `arena + ${output}` : at(output, true),
      scale: cFloat(n.attrs.scale), zeroPoint: cInt(n.attrs.zeroPoint),
    },
  };
}

const boundary: CKernel = {
  inputLayout: 'as-first-input', outputLayout: 'as-first-input', passesLayout: true, dtypes: BOUNDARY,
  choose: (q) => ({ kernel: q.node.op === 'Quantize' ? 'qgc_quantize_f32' : 'qgc_dequantize_f32', scratchBytes: 0 }), render: boundaryCall,
};

/** The float rows every C provider shares. */
export const floatKernels = {
  Sigmoid: unary, Tanh: unary, HardSigmoid: unary, HardSwish: unary, LeakyRelu: unary, Relu: unary, Exp: unary, Erf: unary, Gelu: unary,
  Abs: unary, Neg: unary, Sqrt: unary, Reciprocal: unary,
  Add: binary, Sub: binary, Mul: binary, Div: binary,
  LayerNormalization: rows('qgc_layer_norm_f32', layerNormCall),
  Softmax: rows('qgc_softmax_f32', softmaxCall),
  ReduceMean: rows('qgc_reduce_mean_f32', meanCall, checkMean),
  GlobalAveragePool: rows('qgc_reduce_mean_f32', meanCall),
  MatMul: rows('qgc_fully_connected_f32', fcCall, checkFc),
  Gemm: rows('qgc_fully_connected_f32', fcCall, checkFc),
  Quantize: boundary,
  Dequantize: boundary,
} as const satisfies Record<OpGroup<'floatFallback'> | 'Quantize' | 'Dequantize', CKernel>;
