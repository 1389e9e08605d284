/** Importers for the quant family (to be written). */
import type { OpImporter } from './types.js';

export const quantImporters: OpImporter[] = [];
