/** Importers for the elementwise family (to be written). */
import type { OpImporter } from './types.js';

export const elementwiseImporters: OpImporter[] = [];
