/**
 * What the generated code must produce: the integer interpreter run on the verify inputs.
 *
 * A float input goes through the graph's boundary Quantize (ONNX QuantizeLinear: round half to
 * even, saturate); those int8 bytes are what `<name>_run` gets, and the int8 tensor in front of
 * each boundary Dequantize is what it must return. `<name>_run_f32` gets the float inputs and
 * must return the interpreter's dequantized floats, bit for bit. With several inputs or outputs,
 * a sample's bytes are the inputs (outputs) one after the other, in the graph's order.
 */
import { CompileError, ErrorCode } from '../errors.js';
import { elementCount, type Graph, type Node } from '../ir/graph.js';
import { sampleAt, samplesIn } from '../interp/batch.js';
import { runGraph } from '../interp/run.js';
import type { Value } from '../interp/types.js';

/** One API output: the int8 tensor (logical, ONNX order), the node that produces it, and the
 * float model output dequantized from it (when there is one). */
export interface ReferenceOutput {
  name: string;
  shape: readonly number[];
  node: Node | undefined;
  floatName?: string;
  /** Element offset of this output in a sample's concatenated outputs. */
  offset: number;
  size: number;
}

/** One API input: the graph input and the int8 tensor the C API takes. */
export interface ReferenceInput {
  name: string;
  int8Name: string;
  shape: readonly number[];
  size: number;
}

/** The interpreter's inputs and outputs per sample. */
export interface Reference {
  count: number;
  /** int8 input bytes per sample (after the boundary Quantize), every input in graph order. */
  in8: Int8Array[];
  /** int8 output bytes per sample (before the boundary Dequantize), every output in graph order. */
  out8: Int8Array[];
  /** Float inputs and outputs per sample; absent when an input or output is int8 itself. */
  inF?: Float32Array[];
  outF?: Float32Array[];
  inputs: ReferenceInput[];
  outputs: ReferenceOutput[];
}

/** A graph input or output at the API: the boundary Quantize/Dequantize and the int8 tensor. */
export interface ApiSide {
  name: string;
  node?: Node;
  int8: string;
}

/** The boundary Quantize / Dequantize nodes and the int8 tensors at the API. */
export function boundary(graph: Graph): { inputs: ApiSide[]; outputs: ApiSide[] } {
  const inputs = graph.inputs.map((name): ApiSide => {
    const q = graph.nodes.find((n) => n.op === 'Quantize' && n.inputs[0] === name);
    return { name, node: q, int8: q ? q.outputs[0] : name };
  });
  const outputs = graph.outputs.map((name): ApiSide => {
    const d = graph.nodes.find((n) => n.op === 'Dequantize' && n.outputs[0] === name);
    return { name, node: d, int8: d ? d.inputs[0] : name };
  });
  return { inputs, outputs };
}

/** Verify inputs: one value (a model with one input) or one per graph input. */
export type VerifyFeeds = Value | ReadonlyMap<string, Value>;

function feedsOf(graph: Graph, x: VerifyFeeds): ReadonlyMap<string, Value> {
  if (x instanceof Map) return x;
  if (graph.inputs.length !== 1) {
    throw new CompileError(ErrorCode.BadInput, `the model has ${graph.inputs.length} inputs; name each one`, {},
      `Use --inputs NAME=file.npy for each of: ${graph.inputs.join(', ')}.`);
  }
  return new Map([[graph.inputs[0], x as Value]]);
}

/** Splits the feeds ([N × model batch, ...] or the model's shape, per input) into at most `limit`
 * model-sized samples. `files` names each input's file for errors. */
export function samplesOf(graph: Graph, x: VerifyFeeds, limit = Infinity, files: string | ReadonlyMap<string, string> = 'the inputs'): Map<string, Value>[] {
  const feeds = feedsOf(graph, x);
  let count: number | undefined;
  let first = '';
  for (const name of graph.inputs) {
    const file = typeof files === 'string' ? files : files.get(name) ?? 'the inputs';
    const t = graph.tensors.get(name)!;
    const v = feeds.get(name);
    if (!v) throw new CompileError(ErrorCode.BadInput, `no inputs given for graph input '${name}'`, { tensor: name }, `Add --inputs ${name}=file.npy.`);
    const stacked = samplesIn(t.shape, v);
    if (stacked === undefined) {
      throw new CompileError(ErrorCode.BadInput, `the inputs have shape [${v.shape.join(', ')}], which is neither the model's input [${t.shape.join(', ')}] nor a batch of it`,
        { file }, 'Stack samples along the first axis.');
    }
    if (v.dtype !== t.dtype) {
      throw new CompileError(ErrorCode.BadInput, `the inputs are ${v.dtype}; the model's input '${t.name}' is ${t.dtype}`, { file }, `Save them as ${t.dtype}.`);
    }
    if (count !== undefined && stacked !== count) {
      throw new CompileError(ErrorCode.BadInput, `${stacked} samples for input '${name}' but ${count} for '${first}'`, { file }, 'Give every input the same number of samples.');
    }
    if (count === undefined) {
      count = stacked;
      first = name;
    }
  }
  const n = Math.min(count ?? 0, limit);
  if (n < 1) throw new CompileError(ErrorCode.BadInput, 'no samples to verify', { file: typeof files === 'string' ? files : [...files.values()].join(', ') }, 'Give at least one sample, and --limit 1 or more.');
  return Array.from({ length: n }, (_, k) => new Map(graph.inputs.map((name) => [name, sampleAt(graph.tensors.get(name)!.shape, feeds.get(name)!, k)])));
}

/** Runs the interpreter on one sample; `keepAll` keeps every tensor (for locating a layer). */
export function interpretSample(graph: Graph, sample: ReadonlyMap<string, Value>, keepAll = false): Map<string, Value> {
  return runGraph(graph, new Map(sample), { keepAll });
}

/** The reference for every sample. */
export function reference(graph: Graph, samples: readonly ReadonlyMap<string, Value>[]): Reference {
  const b = boundary(graph);
  const float = b.inputs.every((i) => i.node !== undefined) && b.outputs.every((o) => o.node !== undefined);
  let offset = 0;
  const outputs = b.outputs.map((o): ReferenceOutput => {
    const shape = graph.tensors.get(o.int8)!.shape;
    const r: ReferenceOutput = {
      name: o.int8, shape, node: graph.nodes.find((n) => n.outputs.includes(o.int8)), ...(float ? { floatName: o.name } : {}), offset, size: elementCount(shape),
    };
    offset += r.size;
    return r;
  });
  const inputs = b.inputs.map((i): ReferenceInput => {
    const shape = graph.tensors.get(i.int8)!.shape;
    return { name: i.name, int8Name: i.int8, shape, size: elementCount(shape) };
  });
  const r: Reference = { count: samples.length, in8: [], out8: [], ...(float ? { inF: [], outF: [] } : {}), inputs, outputs };
  for (const s of samples) {
    const env = interpretSample(graph, s, true);
    r.in8.push(concat(b.inputs.map((i) => int8(env.get(i.int8)!, i.int8)), (n) => new Int8Array(n)));
    r.out8.push(concat(b.outputs.map((o) => int8(env.get(o.int8)!, o.int8)), (n) => new Int8Array(n)));
    if (float) {
      r.inF!.push(concat(b.inputs.map((i) => s.get(i.name)!.data as Float32Array), (n) => new Float32Array(n)));
      r.outF!.push(concat(b.outputs.map((o) => env.get(o.name)!.data as Float32Array), (n) => new Float32Array(n)));
    }
  }
  return r;
}

/** The parts one after the other (the part itself when there is one). */
function concat<T extends Int8Array | Float32Array>(parts: T[], make: (n: number) => T): T {
  if (parts.length === 1) return parts[0];
  const out = make(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function int8(v: Value, name: string): Int8Array {
  if (v.dtype !== 'int8') throw new CompileError(ErrorCode.BadInput, `tensor '${name}' at the API is ${v.dtype}, not int8`, { tensor: name });
  return v.data as Int8Array;
}
