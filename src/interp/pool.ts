/** Float kernels for the pool family (to be written). */
import type { KernelTable } from './types.js';

export const poolKernels = {} satisfies Partial<KernelTable>;
