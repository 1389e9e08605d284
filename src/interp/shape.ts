/** Float kernels for the shape family (to be written). */
import type { KernelTable } from './types.js';

export const shapeKernels = {} satisfies Partial<KernelTable>;
