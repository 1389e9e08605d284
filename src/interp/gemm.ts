/** Float kernels for the gemm family (to be written). */
import type { KernelTable } from './types.js';

export const gemmKernels = {} satisfies Partial<KernelTable>;
