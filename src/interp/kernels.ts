/** The interpreter's kernel table: one entry per IR op, checked complete by the type. */
import type { KernelTable } from './types.js';
import { activationKernels } from './activation.js';
import { convKernels } from './conv.js';
import { convTransposeKernels } from './conv-transpose.js';
import { elementwiseKernels } from './elementwise.js';
import { generateKernels } from './generate.js';
import { gemmKernels } from './gemm.js';
import { int8Kernels } from './int8.js';
import { logicKernels } from './logic.js';
import { mathKernels } from './math.js';
import { normKernels } from './norm.js';
import { poolKernels } from './pool.js';
import { quantKernels } from './quant.js';
import { rearrangeKernels } from './rearrange.js';
import { reduceKernels } from './reduce.js';
import { resizeKernels } from './resize.js';
import { shapeKernels } from './shape.js';

export const kernels: KernelTable = {
  ...activationKernels,
  ...convKernels,
  ...convTransposeKernels,
  ...elementwiseKernels,
  ...generateKernels,
  ...gemmKernels,
  ...int8Kernels,
  ...logicKernels,
  ...mathKernels,
  ...normKernels,
  ...poolKernels,
  ...quantKernels,
  ...rearrangeKernels,
  ...reduceKernels,
  ...resizeKernels,
  ...shapeKernels,
};
