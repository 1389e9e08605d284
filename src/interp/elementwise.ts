/** Float kernels for the elementwise family (to be written). */
import type { KernelTable } from './types.js';

export const elementwiseKernels = {} satisfies Partial<KernelTable>;
