/** The contract between the graph importer and the per-op importers. */
import type { CompileError, ErrorCodeValue } from '../../errors.js';
import type { DType } from '../../ir/dtype.js';
import type { Tensor } from '../../ir/graph.js';
import type { OpAttrMap, OpName } from '../../ir/ops.js';
import type { AttrReader } from '../attrs.js';

export interface ImportContext {
  /** Node name (synthesized if the model has none). */
  name: string;
  /** The ONNX op_type. */
  opType: string;
  /** The model's opset for the default domain. */
  opset: number;
  attrs: AttrReader;
  /** Input tensors as known so far (shape, dtype, and data when constant); undefined
   * for omitted optional inputs. */
  inputs: (Tensor | undefined)[];
  /** Number of outputs the node declares. */
  outputCount: number;
  /** Builds an error naming this node and op. */
  error(code: ErrorCodeValue, message: string, hint?: string): CompileError;
}

/** What an importer turns an ONNX node into. */
export type Imported =
  | {
      kind: 'node';
      op: OpName;
      attrs: OpAttrMap[OpName];
      /** Output dtypes and shapes, one per ONNX output that this op produces. */
      outputs: { dtype: DType; shape: number[] }[];
      /** Which ONNX inputs the IR node keeps (by index); default: all. Inputs folded into
       * attributes (e.g. Reshape's shape) are dropped. */
      keepInputs?: number[];
    }
  /** The node's single output is a constant (Constant). */
  | { kind: 'constant'; tensor: Omit<Tensor, 'name'> };

export interface OpImporter {
  /** ONNX op_type in the default domain (or `domain:op` for others, e.g. `com.microsoft:...`). */
  onnxOp: string;
  /** Input indices whose values must be known when importing (initializers or folded). */
  constInputs?: number[];
  import(ctx: ImportContext): Imported;
}

/** Helper for importers: `node(op, attrs, outputs)` with the attrs type checked against op. */
export function node<K extends OpName>(
  op: K,
  attrs: OpAttrMap[K],
  outputs: { dtype: DType; shape: number[] }[],
  keepInputs?: number[],
): Imported {
  return keepInputs ? { kind: 'node', op, attrs, outputs, keepInputs } : { kind: 'node', op, attrs, outputs };
}
