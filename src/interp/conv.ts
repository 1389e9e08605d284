/** Float kernels for the conv family (to be written). */
import type { KernelTable } from './types.js';

export const convKernels = {} satisfies Partial<KernelTable>;
