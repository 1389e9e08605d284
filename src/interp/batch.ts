/** Runs a graph over inputs whose leading (batch) dimension is a multiple of the
 * model's: sample by sample (or model-batch by model-batch), outputs concatenated. */
import { CompileError, ErrorCode } from '../errors.js';
import { allocate, type TensorData } from '../ir/dtype.js';
import { elementCount, type Graph } from '../ir/graph.js';
import { runGraph } from './run.js';
import type { Value } from './types.js';

/** How many model-shaped samples `v` stacks along axis 0 (1 when it has the model's shape), or
 * undefined when it is neither the model's shape nor a stack of it. */
export function samplesIn(modelShape: readonly number[], v: Value): number | undefined {
  if (modelShape.length === 0 || modelShape[0] < 1 || v.shape.length !== modelShape.length) return undefined;
  if (!v.shape.every((d, i) => i === 0 || d === modelShape[i])) return undefined;
  return v.shape[0] > 0 && v.shape[0] % modelShape[0] === 0 ? v.shape[0] / modelShape[0] : undefined;
}

/** Sample `k` of a stack of model-shaped samples (a view, no copy). */
export function sampleAt(modelShape: readonly number[], v: Value, k: number): Value {
  const per = elementCount(modelShape);
  return { dtype: v.dtype, shape: modelShape, data: v.data.subarray(k * per, (k + 1) * per) as TensorData };
}

/** How many model-sized chunks the feeds hold along axis 0 (1 when they match exactly). */
export function batchCount(graph: Graph, feeds: ReadonlyMap<string, Value>): number {
  let count: number | undefined;
  for (const name of graph.inputs) {
    const t = graph.tensors.get(name)!;
    const v = feeds.get(name);
    if (!v) throw new CompileError(ErrorCode.BadInput, `no value given for graph input '${name}'`, { tensor: name });
    const n = samplesIn(t.shape, v);
    if (n === undefined || (count !== undefined && n !== count)) {
      throw new CompileError(ErrorCode.BadInput,
        `input '${name}' has shape [${v.shape.join(', ')}], which is not the model's [${t.shape.join(', ')}] nor a batch of it`,
        { tensor: name }, 'Give the model shape, or stack samples along the first axis; or set the shape with --input-shape.');
    }
    count = n;
  }
  return count ?? 1;
}

/** Runs every chunk and concatenates each output along axis 0. */
export function runBatched(graph: Graph, feeds: ReadonlyMap<string, Value>): Map<string, Value> {
  const n = batchCount(graph, feeds);
  if (n === 1) return runGraph(graph, feeds);
  const parts: Map<string, Value>[] = [];
  for (let i = 0; i < n; i++) {
    const chunk = new Map<string, Value>();
    for (const name of graph.inputs) chunk.set(name, sampleAt(graph.tensors.get(name)!.shape, feeds.get(name)!, i));
    parts.push(runGraph(graph, chunk));
  }
  const out = new Map<string, Value>();
  for (const name of graph.outputs) {
    const first = parts[0].get(name)!;
    const per = first.data.length;
    const data = allocate(first.dtype, per * n);
    parts.forEach((p, i) => (data as Uint8Array).set(p.get(name)!.data as Uint8Array, i * per));
    const shape = first.shape.length > 0 ? [first.shape[0] * n, ...first.shape.slice(1)] : [n];
    out.set(name, { dtype: first.dtype, shape, data });
  }
  return out;
}
