/**
 * The WGSL kernel provider: what each int8 op's shader declares to the schedule (NHWC for
 * windows and concat, rows for FC and softmax, in place for elementwise ops), and the step's
 * parameters. The checks are the C and Wasm backends' (one definition each). Tensors start on
 * 4-byte boundaries (`storageAlign`): the shaders write whole u32 words.
 */
import { CompileError, ErrorCode } from '../../errors.js';
import type { Int8Op, KernelQuery } from '../../schedule/provider.js';
import type { KernelChoice, StorageDType } from '../../schedule/types.js';
import { checkPool, checkShifts } from '../c/kernel-call.js';
import { checkBatchMatMul, checkBroadcast, checkLinear, gatherWalkOf, checkSameShapes, checkWindowRank, preluChannels, reductionExtent } from '../c/kernels-portable.js';
import type { WebgpuKernel, WebgpuProvider } from './kernel.js';
import { lutParams, preluParams, reduceParams } from './kernels/activation.js';
import { batchMatMulParams, binaryParams } from './kernels/binary.js';
import { clampParams, softmaxParams } from './kernels/elementwise.js';
import { concatParams, copyParams, padParams, viewParams } from './kernels/gather.js';
import { convParams, fcParams } from './kernels/linear.js';
import { poolParams } from './kernels/pool.js';

const INT8: readonly StorageDType[] = ['int8'];

const fixed = (kernel: string, check?: (q: KernelQuery) => void) => (q: KernelQuery): KernelChoice => {
  check?.(q);
  return { kernel, scratchBytes: 0 };
};

function checkConv(q: KernelQuery): void {
  checkWindowRank(q);
  if (q.node.op === 'QConv') checkLinear(q, q.node.attrs.shift);
}

function checkPad(q: KernelQuery): void {
  if (q.node.op !== 'Pad') return;
  const a = q.node.attrs;
  const fill = Math.round(a.value);
  if (a.mode === 'constant' && (fill < -128 || fill > 127)) {
    throw new CompileError(ErrorCode.BadAttribute, `pad value ${a.value} is outside int8`, { node: q.node.name, op: q.node.op }, 'Pad with a quantized value (usually the zero point).');
  }
}

/** Slice, DepthToSpace, SpaceToDepth, nearest Resize on int8: one strided gather over row-major
 * bytes (a Resize that is no strided walk is refused here, as in C and Wasm). */
const VIEW_KERNEL: WebgpuKernel = {
  inputLayout: 'row-major', outputLayout: 'row-major', dtypes: INT8,
  choose: fixed('wgsl_gather_s8', (q) => {
    gatherWalkOf(q, q.inputs[0].shape);
  }),
  params: viewParams,
};

/** The int8 functions of one value: a table lookup per element, in place. */
const LUT_KERNEL = {
  inputLayout: 'as-first-input', outputLayout: 'as-first-input', passesLayout: true, inPlace: true, dtypes: INT8, choose: fixed('wgsl_lut_s8'), params: lutParams,
} as const satisfies WebgpuKernel;

/** The WGSL kernels, op by op. */
const WEBGPU_KERNELS = {
  QConv: {
    inputLayout: 'channels-last', outputLayout: 'channels-last', dtypes: INT8, choose: fixed('wgsl_conv_s8', checkConv), params: convParams,
  },
  QFullyConnected: {
    inputLayout: 'rows-contiguous', outputLayout: 'row-major', dtypes: INT8,
    choose: fixed('wgsl_fully_connected_s8', (q) => {
      if (q.node.op === 'QFullyConnected') checkLinear(q, q.node.attrs.shift);
    }),
    params: fcParams,
  },
  QMaxPool: {
    inputLayout: 'channels-last', outputLayout: 'channels-last', dtypes: INT8, choose: fixed('wgsl_max_pool_s8', checkWindowRank), params: poolParams,
  },
  QAveragePool: {
    inputLayout: 'channels-last', outputLayout: 'channels-last', dtypes: INT8,
    choose: fixed('wgsl_avg_pool_s8', (q) => {
      checkWindowRank(q);
      if (q.node.op === 'QAveragePool') checkPool(q, q.node.attrs);
    }),
    params: poolParams,
  },
  QAdd: {
    // Two arena tensors of one shape on the add shader; a constant or broadcast operand on binary.
    inputLayout: 'broadcast', outputLayout: 'as-first-input', passesLayout: true, inPlace: true, dtypes: INT8,
    choose: fixed('wgsl_add_s8', checkBroadcast), params: binaryParams,
  },
  QClamp: {
    inputLayout: 'as-first-input', outputLayout: 'as-first-input', passesLayout: true, inPlace: true, dtypes: INT8,
    choose: fixed('wgsl_clamp_s8', checkSameShapes), params: clampParams,
  },
  QSoftmax: {
    inputLayout: 'row-major', outputLayout: 'row-major', dtypes: INT8, choose: fixed('wgsl_softmax_s8'), params: softmaxParams,
  },
  QConcat: {
    inputLayout: 'channels-last', outputLayout: 'channels-last', passesLayout: true, dtypes: INT8, choose: fixed('wgsl_concat_s8'), params: concatParams,
  },
  Pad: {
    inputLayout: 'canonical', outputLayout: 'perm-of-first-input', passesLayout: true, dtypes: INT8, choose: fixed('wgsl_pad_s8', checkPad), params: padParams,
  },
  QSigmoid: LUT_KERNEL,
  QTanh: LUT_KERNEL,
  QHardSigmoid: LUT_KERNEL,
  QHardSwish: LUT_KERNEL,
  QLeakyRelu: LUT_KERNEL,
  QPRelu: {
    inputLayout: 'channels-last', outputLayout: 'channels-last', inPlace: true, dtypes: INT8,
    choose: fixed('wgsl_prelu_s8', (q) => {
      preluChannels(q);
    }),
    params: preluParams,
  },
  QMean: {
    inputLayout: 'row-major', outputLayout: 'row-major', dtypes: INT8,
    choose: fixed('wgsl_mean_s8', (q) => {
      reductionExtent(q);
    }),
    params: reduceParams,
  },
  QReduceMax: {
    inputLayout: 'row-major', outputLayout: 'row-major', dtypes: INT8,
    choose: fixed('wgsl_reduce_max_s8', (q) => {
      reductionExtent(q);
    }),
    params: reduceParams,
  },
  QMul: {
    inputLayout: 'broadcast', outputLayout: 'as-first-input', passesLayout: true, inPlace: true, dtypes: INT8,
    choose: fixed('wgsl_mul_s8', (q) => {
      checkBroadcast(q);
      if (q.node.op === 'QMul') checkShifts(q, [q.node.attrs.shift]);
    }),
    params: binaryParams,
  },
  QBatchMatMul: {
    inputLayout: 'row-major', outputLayout: 'row-major', dtypes: INT8, choose: fixed('wgsl_batch_matmul_s8', checkBatchMatMul), params: batchMatMulParams,
  },
  Slice: VIEW_KERNEL,
  DepthToSpace: VIEW_KERNEL,
  SpaceToDepth: VIEW_KERNEL,
  Resize: VIEW_KERNEL,
} as const satisfies Record<Int8Op, WebgpuKernel>;

/** The WebGPU backend has no float kernels: a node the quantizer kept in float cannot run there. */
export const WEBGPU_FLOAT_HINT = '--target webgpu needs int8 for this node: the WebGPU backend has no float kernels. Compile for a C target (which runs it in float), or quantize the model so that an int8 kernel takes it.';

export const WEBGPU_UNSUPPORTED_HINT = 'Quantize the model so that it uses only qgc\'s int8 ops (QConv, QFullyConnected, QBatchMatMul, QAdd, QMul, pooling, QSoftmax, QConcat, QClamp, the activations, QMean, QReduceMax) and Reshape/Transpose/Pad/Slice/DepthToSpace/SpaceToDepth/nearest Resize.';

/** The WGSL provider. */
export function webgpuProvider(): WebgpuProvider {
  return {
    name: 'webgpu', backend: 'the WebGPU backend', kernels: WEBGPU_KERNELS, unsupportedHint: WEBGPU_UNSUPPORTED_HINT, floatHint: WEBGPU_FLOAT_HINT,
    copyKernel: { kernel: 'wgsl_copy_s8', scratchBytes: 0 }, copyParams, storageAlign: 4,
  };
}
