/**
 * The WGSL kernel provider: what each int8 op's shader declares to the schedule (NHWC for
 * windows and concat, rows for FC and softmax, in place for elementwise ops), and the step's
 * parameters. The checks are the C and Wasm backends' (one definition each). Tensors start on
 * 4-byte boundaries (`storageAlign`): the shaders write whole u32 words.
 */
import { CompileError, ErrorCode } from '../../errors.js';
import type { Int8Op, KernelQuery } from '../../schedule/provider.js';
import type { KernelChoice, StorageDType } from '../../schedule/types.js';
import { checkPool } from '../c/kernel-call.js';
import { checkLinear, checkSameShapes, checkWindowRank } from '../c/kernels-portable.js';
import type { WebgpuKernel, WebgpuProvider } from './kernel.js';
import { addParams, clampParams, softmaxParams } from './kernels/elementwise.js';
import { concatParams, copyParams, padParams } from './kernels/gather.js';
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

/** A row for an int8 op that has no WGSL kernel yet: compiling a network with it for webgpu
 * stops with an error naming the node (the C and Wasm backends run it). */
const NO_WGSL_KERNEL: WebgpuKernel = {
  inputLayout: 'row-major', outputLayout: 'row-major', dtypes: INT8,
  choose: (q) => {
    throw new CompileError(ErrorCode.UnsupportedOp, `${q.node.op} has no WGSL kernel yet`, { node: q.node.name, op: q.node.op },
      'Compile this network for a C or wasm target, which run it, or keep this op out of the model.');
  },
  params: (step) => {
    throw new CompileError(ErrorCode.UnsupportedOp, `${step.node.op} has no WGSL kernel yet`, { node: step.node.name, op: step.node.op });
  },
};

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
    inputLayout: 'as-first-input', outputLayout: 'as-first-input', passesLayout: true, inPlace: true, dtypes: INT8,
    choose: fixed('wgsl_add_s8', (q) => {
      // The WGSL add reads two arena tensors of one shape: no constant operand, no broadcasting.
      if (q.inputs.length !== 2) throw new CompileError(ErrorCode.UnsupportedOp, 'an add of a constant has no WGSL kernel yet', { node: q.node.name, op: q.node.op }, 'Compile this network for a C or wasm target, which run it.');
      checkSameShapes(q);
    }), params: addParams,
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
  QSigmoid: NO_WGSL_KERNEL,
  QTanh: NO_WGSL_KERNEL,
  QHardSigmoid: NO_WGSL_KERNEL,
  QHardSwish: NO_WGSL_KERNEL,
  QLeakyRelu: NO_WGSL_KERNEL,
  QPRelu: NO_WGSL_KERNEL,
  QMean: NO_WGSL_KERNEL,
  QReduceMax: NO_WGSL_KERNEL,
  QMul: NO_WGSL_KERNEL,
  QBatchMatMul: NO_WGSL_KERNEL,
  Slice: NO_WGSL_KERNEL,
  DepthToSpace: NO_WGSL_KERNEL,
  SpaceToDepth: NO_WGSL_KERNEL,
  Resize: NO_WGSL_KERNEL,
} as const satisfies Record<Int8Op, WebgpuKernel>;

/** The WebGPU backend has no float kernels: a node the quantizer kept in float cannot run there. */
export const WEBGPU_FLOAT_HINT = '--target webgpu needs int8 for this node: the WebGPU backend has no float kernels. Compile for a C target (which runs it in float), or quantize the model so that an int8 kernel takes it.';

export const WEBGPU_UNSUPPORTED_HINT = 'Quantize the model so that it uses only qgc\'s int8 ops (QConv, QFullyConnected, QAdd, pooling, QSoftmax, QConcat, QClamp) and Reshape/Transpose/Pad.';

/** The WGSL provider. */
export function webgpuProvider(): WebgpuProvider {
  return {
    name: 'webgpu', backend: 'the WebGPU backend', kernels: WEBGPU_KERNELS, unsupportedHint: WEBGPU_UNSUPPORTED_HINT, floatHint: WEBGPU_FLOAT_HINT,
    copyKernel: { kernel: 'wgsl_copy_s8', scratchBytes: 0 }, copyParams, storageAlign: 4,
  };
}
