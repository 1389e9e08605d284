/** Importers for the shape family (to be written). */
import type { OpImporter } from './types.js';

export const shapeImporters: OpImporter[] = [];
