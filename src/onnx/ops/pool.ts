/** Importers for the pool family (to be written). */
import type { OpImporter } from './types.js';

export const poolImporters: OpImporter[] = [];
