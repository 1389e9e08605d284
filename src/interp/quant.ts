/** Float kernels for the quant family (to be written). */
import type { KernelTable } from './types.js';

export const quantKernels = {} satisfies Partial<KernelTable>;
