/** Small one-op (or few-op) ONNX models for the importer tests, built with onnx-proto: graph inputs
 * with shapes, outputs declared with their element type (float32 unless given), as ONNX requires. */
import { expect } from 'vitest';
import type { DType } from '../../src/ir/dtype.js';
import type { Graph } from '../../src/ir/graph.js';
import { CompileError } from '../../src/errors.js';
import { valueInfo } from '../../src/onnx/export-proto.js';
import { loadModelBytes } from '../../src/onnx/load.js';
import { onnx } from '../../src/onnx/proto.js';
import { onnxCodeOf } from '../../src/onnx/tensor.js';
import { init } from './qdq-models.js';

export type OpNode = { opType: string; input: string[]; output: string[]; attribute?: object[] };

const outputInfo = (o: string | [string, DType]) =>
  typeof o === 'string' ? { name: o, type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT } } } : { name: o[0], type: { tensorType: { elemType: onnxCodeOf(o[1]) } } };

/** A model of `nodes` at `opset`. */
export function model(nodes: OpNode[], inputs: [string, DType, number[]][], outputs: (string | [string, DType])[], opset: number, inits: object[] = []): Uint8Array {
  return onnx.ModelProto.encode({
    irVersion: opset >= 21 ? 10 : 8,
    opsetImport: [{ domain: '', version: opset }],
    graph: {
      name: 'g',
      node: nodes.map((n, i) => ({ name: `${n.opType}_${i}`, ...n })),
      initializer: inits,
      input: inputs.map(([n, d, s]) => valueInfo(n, d, s)),
      output: outputs.map(outputInfo),
    },
  }).finish();
}

/** The imported graph. */
export const load = (bytes: Uint8Array): Graph => loadModelBytes(bytes).graph;

/** The CompileError the import throws. */
export function importError(bytes: Uint8Array): CompileError {
  try {
    loadModelBytes(bytes);
  } catch (e) {
    expect(e).toBeInstanceOf(CompileError);
    return e as CompileError;
  }
  throw new Error('the import did not fail');
}

/** int64 and float32 initializers. */
export const i64 = (name: string, values: number[]) => init(name, 'int64', [values.length], BigInt64Array.from(values.map(BigInt)));
export const f32 = (name: string, shape: number[], values: number[]) => init(name, 'float32', shape, Float32Array.from(values));
