/** Importers for the norm family (to be written). */
import type { OpImporter } from './types.js';

export const normImporters: OpImporter[] = [];
