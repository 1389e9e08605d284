/**
 * The integer interpreter kernels of qgc's quantized IR (src/ir/qops.ts): bit-exact with
 * CMSIS-NN's default build (and so with TFLite Micro's reference kernels). The arithmetic
 * lives in src/ir/intmath.ts; test/int8-kernels.test.ts compares every kernel with the
 * real CMSIS-NN functions on random cases. Kernels by family live in src/interp/int8/.
 */
import type { KernelTable } from './types.js';
import { int8ActivationKernels } from './int8/activation.js';
import { int8ConvKernels } from './int8/conv.js';
import { int8ElementwiseKernels } from './int8/elementwise.js';
import { int8PoolKernels } from './int8/pool.js';
import { int8ReduceKernels } from './int8/reduce.js';
import { int8SoftmaxKernels } from './int8/softmax.js';

export const int8Kernels = {
  ...int8ConvKernels,
  ...int8PoolKernels,
  ...int8ElementwiseKernels,
  ...int8SoftmaxKernels,
  ...int8ActivationKernels,
  ...int8ReduceKernels,
} satisfies Partial<KernelTable>;
