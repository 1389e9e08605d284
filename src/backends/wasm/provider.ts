/**
 * The Wasm kernel provider: what each int8 op's Wasm kernel declares to the schedule (NHWC for
 * windows and concat, rows for FC and softmax, in place for elementwise ops), its scratch bytes,
 * and the builder that writes the step's function. One table serves the SIMD and the scalar
 * module (they share the schedule and the arena plan); the checks are the C backend's.
 */
import { CompileError, ErrorCode } from '../../errors.js';
import type { Int8Op, KernelQuery } from '../../schedule/provider.js';
import type { KernelChoice, StorageDType } from '../../schedule/types.js';
import { checkPool, checkShifts, type ConstSource } from '../c/kernel-call.js';
import { checkBatchMatMul, checkBroadcast, checkLinear, checkSameShapes, checkWindowRank, gatherWalkOf, portableKernels, preluChannels, reductionExtent } from '../c/kernels-portable.js';
import type { WasmKernel, WasmProvider } from './kernel.js';
import { concatBody, copyBody, gather, padBody } from './kernels/data.js';
import { addBody, clampBody, mulBody } from './kernels/elementwise.js';
import { convBody, convScratchBytes, convSpec, fcSpec, isDepthwise } from './kernels/linear.js';
import { avgPoolScratchBytes, avgPoolBody, maxPoolBody } from './kernels/pool.js';
import { batchMatMulBody } from './kernels/matmul.js';
import { softmaxBody } from './kernels/softmax.js';
import { lutBody, preluBody } from './kernels/activation.js';
import { reduceBody } from './kernels/reduce.js';

const INT8: readonly StorageDType[] = ['int8'];

function where(q: ConstSource) {
  return { node: q.node.name, op: q.node.op };
}

/** The Wasm kernels read int8 weights: narrower ones (int4, --bits w4a8) are refused, naming
 * the node and the width, rather than silently stored one per byte. */
function checkWeightBits(q: KernelQuery): void {
  const bits = q.consts[0]?.quant?.bits ?? 8;
  if (bits !== 8) {
    throw new CompileError(ErrorCode.UnsupportedDType, `weight '${q.consts[0]!.name}' has ${bits}-bit values; the Wasm kernels take 8-bit weights only`, { ...where(q), tensor: q.consts[0]!.name },
      'Compile for wasm with --bits w8a8 (int4 weights run on the C backend: cmsis-nn and portable).');
  }
}

function chooseConv(q: KernelQuery): KernelChoice {
  checkWindowRank(q);
  if (q.node.op !== 'QConv') throw new Error('unreachable');
  checkLinear(q, q.node.attrs.shift);
  checkWeightBits(q);
  const w = q.consts[0]!.shape;
  const g = q.node.attrs.group;
  const c = q.inputs[0].shape[1];
  const m = w[0];
  const taps = w.slice(2).reduce((a, d) => a * d, 1);
  const kernel = isDepthwise({ G: g, C: c, M: m }) ? 'wasm_depthwise_conv_s8' : 'wasm_conv_s8';
  return { kernel, scratchBytes: convScratchBytes((c / g) * taps, m) };
}

function chooseFc(q: KernelQuery): KernelChoice {
  if (q.node.op !== 'QFullyConnected') throw new Error('unreachable');
  checkLinear(q, q.node.attrs.shift);
  checkWeightBits(q);
  const [m, k] = q.consts[0]!.shape;
  return { kernel: 'wasm_fully_connected_s8', scratchBytes: convScratchBytes(k, m) };
}

function checkPad(q: KernelQuery): void {
  if (q.node.op !== 'Pad') return;
  if (q.inputs[0].shape.length > 8) throw new CompileError(ErrorCode.UnsupportedOp, 'Pad of rank above 8', where(q), 'Pad at most 8 dims.');
  const a = q.node.attrs;
  const fill = Math.round(a.value);
  if (a.mode === 'constant' && (fill < -128 || fill > 127)) {
    throw new CompileError(ErrorCode.BadAttribute, `pad value ${a.value} is outside int8`, where(q), 'Pad with a quantized value (usually the zero point).');
  }
}

const fixed = (kernel: string, check?: (q: KernelQuery) => void, scratch?: (q: KernelQuery) => number) => (q: KernelQuery): KernelChoice => {
  check?.(q);
  return { kernel, scratchBytes: scratch ? scratch(q) : 0 };
};

/** Slice, DepthToSpace, SpaceToDepth, nearest Resize on int8: one strided gather from the first element read. */
const gatherKernel: WasmKernel = {
  inputLayout: 'row-major', outputLayout: 'row-major', dtypes: INT8, choose: portableKernels.Slice!.choose,
  build(step, ctx) {
    const w = gatherWalkOf(step, step.inputs[0].shape);
    return gather(ctx.f, ctx.addr(step.output), ctx.addr(step.inputs[0]) + w.base, { dims: w.dims, srcStrides: w.strides });
  },
};

/** The int8 functions of one value: a table lookup per element, in place. */
const LUT_KERNEL = {
  inputLayout: 'as-first-input', outputLayout: 'as-first-input', passesLayout: true, inPlace: true, dtypes: INT8, choose: fixed('wasm_lut_s8'), build: lutBody,
} as const satisfies WasmKernel;

/** The Wasm kernels, op by op. */
const WASM_KERNELS = {
  QConv: {
    inputLayout: 'channels-last', outputLayout: 'channels-last', dtypes: INT8, choose: chooseConv,
    build: (step, ctx) => convBody(convSpec(step, ctx), ctx),
  },
  QFullyConnected: {
    inputLayout: 'rows-contiguous', outputLayout: 'row-major', dtypes: INT8, choose: chooseFc,
    build: (step, ctx) => convBody(fcSpec(step, ctx), ctx),
  },
  QBatchMatMul: {
    inputLayout: 'row-major', outputLayout: 'row-major', dtypes: INT8, choose: fixed('wasm_batch_matmul_s8', checkBatchMatMul), build: batchMatMulBody,
  },
  QMaxPool: {
    inputLayout: 'channels-last', outputLayout: 'channels-last', dtypes: INT8, choose: fixed('wasm_max_pool_s8', checkWindowRank), build: maxPoolBody,
  },
  QAveragePool: {
    inputLayout: 'channels-last', outputLayout: 'channels-last', dtypes: INT8,
    choose: fixed('wasm_avg_pool_s8', (q) => {
      checkWindowRank(q);
      if (q.node.op === 'QAveragePool') checkPool(q, q.node.attrs);
    }, (q) => avgPoolScratchBytes(q.inputs[0].shape[1])),
    build: avgPoolBody,
  },
  QAdd: {
    inputLayout: 'broadcast', outputLayout: 'as-first-input', passesLayout: true, inPlace: true, dtypes: INT8,
    choose: fixed('wasm_add_s8', checkBroadcast), build: addBody,
  },
  QMul: {
    inputLayout: 'broadcast', outputLayout: 'as-first-input', passesLayout: true, inPlace: true, dtypes: INT8,
    choose: fixed('wasm_mul_s8', (q) => {
      checkBroadcast(q);
      if (q.node.op === 'QMul') checkShifts(q, [q.node.attrs.shift]);
    }), build: mulBody,
  },
  QClamp: {
    inputLayout: 'as-first-input', outputLayout: 'as-first-input', passesLayout: true, inPlace: true, dtypes: INT8,
    choose: fixed('wasm_clamp_s8', checkSameShapes), build: clampBody,
  },
  QSoftmax: {
    inputLayout: 'row-major', outputLayout: 'row-major', dtypes: INT8, choose: fixed('wasm_softmax_s8'), build: softmaxBody,
  },
  QConcat: {
    inputLayout: 'channels-last', outputLayout: 'channels-last', passesLayout: true, dtypes: INT8, choose: fixed('wasm_concat_s8'), build: concatBody,
  },
  Pad: {
    inputLayout: 'canonical', outputLayout: 'perm-of-first-input', passesLayout: true, dtypes: INT8, choose: fixed('wasm_pad_s8', checkPad), build: padBody,
  },
  Slice: gatherKernel,
  DepthToSpace: gatherKernel,
  SpaceToDepth: gatherKernel,
  Resize: gatherKernel,
  QSigmoid: LUT_KERNEL,
  QTanh: LUT_KERNEL,
  QHardSigmoid: LUT_KERNEL,
  QHardSwish: LUT_KERNEL,
  QLeakyRelu: LUT_KERNEL,
  QPRelu: {
    inputLayout: 'channels-last', outputLayout: 'channels-last', inPlace: true, dtypes: INT8, choose: fixed('wasm_prelu_s8', (q) => { preluChannels(q); }), build: preluBody,
  },
  QMean: {
    inputLayout: 'row-major', outputLayout: 'row-major', dtypes: INT8, choose: fixed('wasm_mean_s8', (q) => { reductionExtent(q); }), build: reduceBody,
  },
  QReduceMax: {
    inputLayout: 'row-major', outputLayout: 'row-major', dtypes: INT8, choose: fixed('wasm_reduce_max_s8', (q) => { reductionExtent(q); }), build: reduceBody,
  },
} as const satisfies Record<Int8Op, WasmKernel>;

/** The Wasm backend has no float kernels: a node the quantizer kept in float cannot run there. */
export const WASM_FLOAT_HINT = '--target wasm needs int8 for this node: the Wasm backend has no float kernels. Compile for a C target (which runs it in float), or quantize the model so that an int8 kernel takes it.';

export const WASM_UNSUPPORTED_HINT = 'Quantize the model so that it uses only qgc\'s int8 ops (QConv, QFullyConnected, QBatchMatMul, QAdd, QMul, pooling, QSoftmax, QConcat, QClamp, the activations, QMean, QReduceMax) and Reshape/Transpose/Pad/Slice/DepthToSpace/SpaceToDepth/nearest Resize.';

/** The Wasm provider (both modules). */
export function wasmProvider(): WasmProvider {
  return {
    name: 'wasm', backend: 'the Wasm backend', kernels: WASM_KERNELS, unsupportedHint: WASM_UNSUPPORTED_HINT, floatHint: WASM_FLOAT_HINT,
    copyKernel: { kernel: 'wasm_copy_s8', scratchBytes: 0 }, buildCopy: copyBody,
  };
}
