/**
 * What the generated code must produce: the integer interpreter run on the verify inputs.
 *
 * A float input goes through the graph's boundary Quantize (ONNX QuantizeLinear: round half to
 * even, saturate); those int8 bytes are what `<name>_run` gets, and the int8 tensor in front of
 * the boundary Dequantize is what it must return. `<name>_run_f32` gets the float input and
 * must return the interpreter's dequantized floats, bit for bit.
 */
import { CompileError, ErrorCode } from '../errors.js';
import type { Graph, Node } from '../ir/graph.js';
import { sampleAt, samplesIn } from '../interp/batch.js';
import { runGraph } from '../interp/run.js';
import type { Value } from '../interp/types.js';

/** The interpreter's inputs and outputs per sample. */
export interface Reference {
  count: number;
  /** int8 input bytes per sample (after the boundary Quantize). */
  in8: Int8Array[];
  /** int8 output bytes per sample (before the boundary Dequantize). */
  out8: Int8Array[];
  /** Float input and output per sample; absent when the model's input or output is int8 itself. */
  inF?: Float32Array[];
  outF?: Float32Array[];
  /** The int8 output tensor (logical, ONNX order), the node that produces it, and the float
   * model output dequantized from it (when there is one). */
  output: { name: string; shape: readonly number[]; node: Node | undefined; floatName?: string };
  /** The graph input's shape (one sample). */
  inputShape: readonly number[];
}

/** The boundary Quantize / Dequantize nodes and the int8 tensors at the API. */
export function boundary(graph: Graph): { quantize?: Node; dequantize?: Node; in8: string; out8: string } {
  if (graph.inputs.length !== 1 || graph.outputs.length !== 1) {
    throw new CompileError(ErrorCode.BadInput, `verify needs one input and one output; the graph has ${graph.inputs.length} and ${graph.outputs.length}`);
  }
  const quantize = graph.nodes.find((n) => n.op === 'Quantize' && n.inputs[0] === graph.inputs[0]);
  const dequantize = graph.nodes.find((n) => n.op === 'Dequantize' && n.outputs[0] === graph.outputs[0]);
  return { quantize, dequantize, in8: quantize ? quantize.outputs[0] : graph.inputs[0], out8: dequantize ? dequantize.inputs[0] : graph.outputs[0] };
}

/** Splits `x` ([N × model batch, ...] or the model's shape) into at most `limit` model-sized samples. */
export function samplesOf(graph: Graph, x: Value, limit = Infinity, file = 'the inputs'): Value[] {
  const t = graph.tensors.get(graph.inputs[0])!;
  const stacked = samplesIn(t.shape, x);
  if (stacked === undefined) {
    throw new CompileError(ErrorCode.BadInput, `the inputs have shape [${x.shape.join(', ')}], which is neither the model's input [${t.shape.join(', ')}] nor a batch of it`,
      { file }, 'Stack samples along the first axis.');
  }
  if (x.dtype !== t.dtype) {
    throw new CompileError(ErrorCode.BadInput, `the inputs are ${x.dtype}; the model's input '${t.name}' is ${t.dtype}`, { file }, `Save them as ${t.dtype}.`);
  }
  const n = Math.min(stacked, limit);
  if (n < 1) throw new CompileError(ErrorCode.BadInput, 'no samples to verify', { file }, 'Give at least one sample, and --limit 1 or more.');
  return Array.from({ length: n }, (_, k) => sampleAt(t.shape, x, k));
}

/** Runs the interpreter on every sample; `keepAll` keeps every tensor (for locating a layer). */
export function interpretSample(graph: Graph, sample: Value, keepAll = false): Map<string, Value> {
  return runGraph(graph, new Map([[graph.inputs[0], sample]]), { keepAll });
}

/** The reference for every sample. */
export function reference(graph: Graph, samples: readonly Value[]): Reference {
  const b = boundary(graph);
  const float = b.quantize !== undefined && b.dequantize !== undefined;
  const r: Reference = {
    count: samples.length, in8: [], out8: [], ...(float ? { inF: [], outF: [] } : {}),
    output: {
      name: b.out8, shape: graph.tensors.get(b.out8)!.shape, node: graph.nodes.find((n) => n.outputs.includes(b.out8)),
      ...(float ? { floatName: graph.outputs[0] } : {}),
    },
    inputShape: graph.tensors.get(graph.inputs[0])!.shape,
  };
  for (const s of samples) {
    const env = interpretSample(graph, s, true);
    r.in8.push(int8(env.get(b.in8)!, b.in8));
    r.out8.push(int8(env.get(b.out8)!, b.out8));
    if (float) {
      r.inF!.push(s.data as Float32Array);
      r.outF!.push(env.get(graph.outputs[0])!.data as Float32Array);
    }
  }
  return r;
}

function int8(v: Value, name: string): Int8Array {
  if (v.dtype !== 'int8') throw new CompileError(ErrorCode.BadInput, `tensor '${name}' at the API is ${v.dtype}, not int8`, { tensor: name });
  return v.data as Int8Array;
}
