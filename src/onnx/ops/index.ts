/** Registry of per-op importers, keyed by ONNX op_type. Each family lives in its own file. */
import type { OpImporter } from './types.js';
import { activationImporters } from './activation.js';
import { convImporters } from './conv.js';
import { convTransposeImporters } from './conv-transpose.js';
import { elementwiseImporters } from './elementwise.js';
import { generateImporters } from './generate.js';
import { gemmImporters } from './gemm.js';
import { logicImporters } from './logic.js';
import { mathImporters } from './math.js';
import { normImporters } from './norm.js';
import { poolImporters } from './pool.js';
import { quantImporters } from './quant.js';
import { rearrangeImporters } from './rearrange.js';
import { reduceImporters } from './reduce.js';
import { resizeImporters } from './resize.js';
import { shapeImporters } from './shape.js';

const all: OpImporter[] = [
  ...activationImporters,
  ...convImporters,
  ...convTransposeImporters,
  ...elementwiseImporters,
  ...generateImporters,
  ...gemmImporters,
  ...logicImporters,
  ...mathImporters,
  ...normImporters,
  ...poolImporters,
  ...quantImporters,
  ...rearrangeImporters,
  ...reduceImporters,
  ...resizeImporters,
  ...shapeImporters,
];

export const importers: ReadonlyMap<string, OpImporter> = new Map(all.map((i) => [i.onnxOp, i]));

/** ONNX op types qgc imports, sorted (for docs and error messages). */
export const supportedOnnxOps: readonly string[] = [...importers.keys()].sort();
