/** Runs an IR graph node by node with the reference kernels. */
import { CompileError, ErrorCode } from '../errors.js';
import { elementCount, type Graph, type Node } from '../ir/graph.js';
import type { NumericData } from '../ir/dtype.js';
import type { OpName } from '../ir/ops.js';
import { checkGraphBitWidths } from './int8/bits.js';
import { kernels } from './kernels.js';
import type { Kernel, Value } from './types.js';

export interface RunOptions {
  /** Keep every intermediate value in the result (for per-layer comparisons). */
  keepAll?: boolean;
}

/** Runs `graph` on named inputs; returns the graph outputs (or every tensor with keepAll). */
export function runGraph(graph: Graph, feeds: ReadonlyMap<string, Value>, opts: RunOptions = {}): Map<string, Value> {
  checkGraphBitWidths(graph);
  const env = new Map<string, Value>();
  for (const name of graph.inputs) {
    const t = graph.tensors.get(name)!;
    const v = feeds.get(name);
    if (!v) throw new CompileError(ErrorCode.BadInput, `no value given for graph input '${name}'`, { tensor: name }, `Pass one input per graph input (${graph.inputs.join(', ')}).`);
    if (v.dtype !== t.dtype) {
      // lowerQdq turns a uint8 model's integer inputs into int8 ones (zero point − 128).
      const hint = v.dtype === 'uint8' && t.dtype === 'int8' && t.quant ? 'Subtract 128 from uint8 data (int8 = uint8 − 128): qgc\'s int8 graph shifts uint8 tensors by −128.' : 'Convert the input data to the expected type.';
      throw new CompileError(ErrorCode.BadInput, `input '${name}' is ${v.dtype}, the model expects ${t.dtype}`, { tensor: name }, hint);
    }
    if (v.shape.length !== t.shape.length || v.shape.some((d, i) => d !== t.shape[i])) {
      throw new CompileError(ErrorCode.BadInput, `input '${name}' has shape [${v.shape.join(', ')}], the model expects [${t.shape.join(', ')}]`, { tensor: name },
        'Reshape the input, or compile for its shape with --input-shape.');
    }
    if (v.data.length !== elementCount(v.shape)) throw new CompileError(ErrorCode.BadInput, `input '${name}' has ${v.data.length} elements for shape [${v.shape.join(', ')}]`, { tensor: name });
    env.set(name, v);
  }
  const lastUse = opts.keepAll ? undefined : lastUses(graph);
  graph.nodes.forEach((node, step) => {
    const outs = runNode(node, node.inputs.map((n) => (n === '' ? undefined : valueOf(graph, env, n, node))));
    node.outputs.forEach((name, i) => {
      if (name !== '') env.set(name, outs[i]);
    });
    if (lastUse) for (const n of node.inputs) if (lastUse.get(n) === step && !graph.outputs.includes(n)) env.delete(n);
  });
  if (opts.keepAll) return env;
  const result = new Map<string, Value>();
  for (const o of graph.outputs) result.set(o, valueOf(graph, env, o));
  return result;
}

/** Runs one node: its kernel, then its fused activation clamp. The one way any code (the
 * interpreter, constant folding, import-time shape folding) evaluates a node. */
export function runNode(node: Node, inputs: readonly (Value | undefined)[]): Value[] {
  const outs = (kernels[node.op] as Kernel<OpName>)(node as never, inputs);
  if (node.clamp) outs[0] = clampValue(outs[0], node.clamp.min, node.clamp.max);
  return outs;
}

/** Applies a fused activation clamp (the kernel's output is fresh, so it is clamped in place). */
function clampValue(v: Value, min: number, max: number): Value {
  const d = v.data as NumericData;
  for (let i = 0; i < d.length; i++) d[i] = d[i] < min ? min : d[i] > max ? max : d[i];
  return v;
}

function valueOf(graph: Graph, env: Map<string, Value>, name: string, node?: Node): Value {
  const v = env.get(name);
  if (v) return v;
  const t = graph.tensors.get(name);
  if (t?.data) return { dtype: t.dtype, shape: t.shape, data: t.data };
  throw new CompileError(ErrorCode.Internal, `tensor '${name}' has no value when it is needed`, node ? { node: node.name, op: node.op } : { tensor: name },
    'This is a qgc bug: the graph is not in topological order.');
}

/** Step index of the last node reading each tensor, so dead values can be dropped. */
function lastUses(graph: Graph): Map<string, number> {
  const last = new Map<string, number>();
  graph.nodes.forEach((n, i) => n.inputs.forEach((name) => last.set(name, i)));
  return last;
}
