/** Importers for the gemm family (to be written). */
import type { OpImporter } from './types.js';

export const gemmImporters: OpImporter[] = [];
