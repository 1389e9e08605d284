/** Runs a graph over inputs whose leading (batch) dimension is a multiple of the
 * model's: sample by sample (or model-batch by model-batch), outputs concatenated. */
import { CompileError, ErrorCode } from '../errors.js';
import { allocate, type TensorData } from '../ir/dtype.js';
import { elementCount, type Graph } from '../ir/graph.js';
import { runGraph } from './run.js';
import type { Value } from './types.js';

/** How many model-sized chunks the feeds hold along axis 0 (1 when they match exactly). */
export function batchCount(graph: Graph, feeds: ReadonlyMap<string, Value>): number {
  let count: number | undefined;
  for (const name of graph.inputs) {
    const t = graph.tensors.get(name)!;
    const v = feeds.get(name);
    if (!v) throw new CompileError(ErrorCode.BadInput, `no value given for graph input '${name}'`, { tensor: name });
    const sameTail = v.shape.length === t.shape.length && v.shape.every((d, i) => i === 0 || d === t.shape[i]);
    const n = t.shape.length > 0 && t.shape[0] > 0 && sameTail && v.shape[0] % t.shape[0] === 0 ? v.shape[0] / t.shape[0] : undefined;
    if (n === undefined || n < 1 || (count !== undefined && n !== count)) {
      throw new CompileError(ErrorCode.BadInput,
        `input '${name}' has shape [${v.shape.join(', ')}], which is not the model's [${t.shape.join(', ')}] nor a batch of it`,
        { tensor: name }, 'Give the model shape, or stack samples along the first axis; or set the shape with --input-shape.');
    }
    count = n;
  }
  return count ?? 1;
}

function slice(v: Value, index: number, rows: number): Value {
  const per = elementCount(v.shape) / v.shape[0];
  const data = v.data.subarray(index * rows * per, (index + 1) * rows * per) as TensorData;
  return { dtype: v.dtype, shape: [rows, ...v.shape.slice(1)], data };
}

/** Runs every chunk and concatenates each output along axis 0. */
export function runBatched(graph: Graph, feeds: ReadonlyMap<string, Value>): Map<string, Value> {
  const n = batchCount(graph, feeds);
  if (n === 1) return runGraph(graph, feeds);
  const parts: Map<string, Value>[] = [];
  for (let i = 0; i < n; i++) {
    const chunk = new Map<string, Value>();
    for (const name of graph.inputs) chunk.set(name, slice(feeds.get(name)!, i, graph.tensors.get(name)!.shape[0]));
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
