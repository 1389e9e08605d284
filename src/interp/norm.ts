/** Float kernels for the norm family (to be written). */
import type { KernelTable } from './types.js';

export const normKernels = {} satisfies Partial<KernelTable>;
