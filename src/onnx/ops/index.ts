/** Registry of per-op importers, keyed by ONNX op_type. Each family lives in its own file. */
import type { OpImporter } from './types.js';
import { activationImporters } from './activation.js';
import { convImporters } from './conv.js';
import { elementwiseImporters } from './elementwise.js';
import { gemmImporters } from './gemm.js';
import { normImporters } from './norm.js';
import { poolImporters } from './pool.js';
import { quantImporters } from './quant.js';
import { shapeImporters } from './shape.js';

const all: OpImporter[] = [
  ...activationImporters,
  ...convImporters,
  ...elementwiseImporters,
  ...gemmImporters,
  ...normImporters,
  ...poolImporters,
  ...quantImporters,
  ...shapeImporters,
];

export const importers: ReadonlyMap<string, OpImporter> = new Map(all.map((i) => [i.onnxOp, i]));

/** ONNX op types qgc imports, sorted (for docs and error messages). */
export const supportedOnnxOps: readonly string[] = [...importers.keys()].sort();
