/** Importers for the conv family (to be written). */
import type { OpImporter } from './types.js';

export const convImporters: OpImporter[] = [];
