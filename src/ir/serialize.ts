/**
 * The IR graph as JSON and back, exactly: tensors (dtype, shape, constant data, quantization),
 * nodes (op, inputs, outputs, typed attributes, fused clamp), inputs, outputs, opset and name.
 * `qgc compile` writes the quantized graph this way into `<name>_schedule.json`, and `qgc verify`
 * rebuilds from it the very graph the sources were generated from, so a backend may fuse what a
 * QDQ model cannot express.
 *
 * Typed arrays are `{ "type": "int32", "base64": ... }` (little-endian bytes); numbers JSON has no
 * literal for are strings (`"Infinity"`). The text depends only on the graph: keys come in a
 * fixed order (an op's attributes in the order the node holds them, which printGraph shows),
 * tensors in the graph's order. Reading checks everything and throws a CompileError
 * naming the file and the JSON path of the first problem.
 */
import { CompileError, ErrorCode } from '../errors.js';
import { storageCtor, type DType } from './dtype.js';
import { elementCount, type Graph, type Node, type QuantParams, type Tensor } from './graph.js';
import {
  arrayOf, arrayTypeOf, ARRAY_TYPES, count, float, has, int, malformed, optional, readArray, readObject, str, typedArrayCodec,
  type ArrayType, type Codec, type Json, type ReadContext,
} from './json-codec.js';
import type { OpAttrMap, OpName } from './ops.js';
import { ATTR_CODECS, dtypeCodec, opCodec, record } from './serialize-attrs.js';

/** A typed array in the JSON. */
export interface TypedArrayJson {
  type: ArrayType;
  base64: string;
}

export interface QuantJson {
  scale: TypedArrayJson;
  zeroPoint: TypedArrayJson;
  axis?: number;
  bits: number;
}

export interface TensorJson {
  name: string;
  dtype: DType;
  shape: number[];
  data?: TypedArrayJson;
  quant?: QuantJson;
}

export interface NodeJson {
  name: string;
  op: OpName;
  inputs: string[];
  outputs: string[];
  /** The op's attributes, each as its codec in src/ir/serialize-attrs.ts writes it. */
  attrs: { [key: string]: Json };
  /** Bounds as numbers, or `"Infinity"` / `"-Infinity"`. */
  clamp?: { min: number | string; max: number | string };
}

/** The JSON form of a Graph (see the file comment). */
export interface GraphJson {
  name: string;
  opset: number;
  inputs: string[];
  outputs: string[];
  tensors: TensorJson[];
  nodes: NodeJson[];
}

const anyArray = typedArrayCodec(ARRAY_TYPES);
const float32s = typedArrayCodec(['float32']);
const int32s = typedArrayCodec(['int32']);
const strings = arrayOf(str);
const clampCodec = record<{ min: number; max: number }>({ min: float, max: float });

function attrCodec<K extends OpName>(op: K): Codec<OpAttrMap[K]> {
  return ATTR_CODECS[op];
}

function writeAttrs(n: Node): { [key: string]: Json } {
  try {
    return attrCodec(n.op).write(n.attrs) as { [key: string]: Json };
  } catch (e) {
    throw new CompileError(ErrorCode.Internal, (e as Error).message, { node: n.name, op: n.op }, 'This is a qgc bug; please report it.');
  }
}

function typedJson(a: Parameters<typeof anyArray.write>[0]): TypedArrayJson {
  return anyArray.write(a) as unknown as TypedArrayJson;
}

/** The JSON form of `graph`; `JSON.stringify` of it is the same text for the same graph. */
export function graphToJson(graph: Graph): GraphJson {
  const tensors = [...graph.tensors.values()].map((t): TensorJson => ({
    name: t.name,
    dtype: t.dtype,
    shape: [...t.shape],
    ...(t.data ? { data: typedJson(t.data) } : {}),
    ...(t.quant ? { quant: { scale: typedJson(t.quant.scale), zeroPoint: typedJson(t.quant.zeroPoint), ...(t.quant.axis !== undefined ? { axis: t.quant.axis } : {}), bits: t.quant.bits } } : {}),
  }));
  const nodes = graph.nodes.map((n): NodeJson => ({
    name: n.name,
    op: n.op,
    inputs: [...n.inputs],
    outputs: [...n.outputs],
    attrs: writeAttrs(n),
    ...(n.clamp ? { clamp: clampCodec.write(n.clamp) as NodeJson['clamp'] } : {}),
  }));
  return { name: graph.name, opset: graph.opset, inputs: [...graph.inputs], outputs: [...graph.outputs], tensors, nodes };
}

function readQuant(v: unknown, at: string, ctx: ReadContext, shape: readonly number[]): QuantParams {
  const o = readObject(v, at, ctx, ['scale', 'zeroPoint', 'bits'], ['axis']);
  const scale = float32s.read(o.scale, `${at}.scale`, ctx);
  const zeroPoint = int32s.read(o.zeroPoint, `${at}.zeroPoint`, ctx);
  const axis = optional(o, 'axis', int, at, ctx);
  const bits = int.read(o.bits, `${at}.bits`, ctx);
  if (bits < 1 || bits > 64) throw malformed(ctx, `${at}.bits`, `a bit-width of ${bits}`);
  if (scale.length === 0) throw malformed(ctx, `${at}.scale`, 'no scale');
  if (zeroPoint.length !== scale.length) throw malformed(ctx, `${at}.zeroPoint`, `${zeroPoint.length} zero points for ${scale.length} scales`);
  if (axis !== undefined && (axis < 0 || axis >= shape.length)) throw malformed(ctx, `${at}.axis`, `axis ${axis} is outside the tensor's ${shape.length} dimensions`);
  if (scale.length > 1 && (axis === undefined || shape[axis] !== scale.length)) {
    throw malformed(ctx, `${at}.scale`, `${scale.length} scales, but ${axis === undefined ? 'no axis' : `dimension ${axis} has ${shape[axis]} entries`}`);
  }
  return { scale, zeroPoint, ...(axis !== undefined ? { axis } : {}), bits };
}

function readTensor(v: unknown, at: string, ctx: ReadContext): Tensor {
  const o = readObject(v, at, ctx, ['name', 'dtype', 'shape'], ['data', 'quant']);
  const name = str.read(o.name, `${at}.name`, ctx);
  const dtype = dtypeCodec.read(o.dtype, `${at}.dtype`, ctx);
  const shape = arrayOf(count).read(o.shape, `${at}.shape`, ctx);
  const size = elementCount(shape);
  if (!Number.isSafeInteger(size)) throw malformed(ctx, `${at}.shape`, `[${shape.join(', ')}] has too many elements`);
  const data = optional(o, 'data', anyArray, at, ctx);
  if (data) {
    if (!(data instanceof storageCtor(dtype))) throw malformed(ctx, `${at}.data.type`, `${arrayTypeOf(data)} data, but a ${dtype} tensor is stored as ${arrayTypeOf(new (storageCtor(dtype))(0))}`);
    if (data.length !== size) throw malformed(ctx, `${at}.data`, `${data.length} elements, but the shape [${shape.join(', ')}] holds ${size}`);
  }
  const quant = has(o, 'quant') ? readQuant(o.quant, `${at}.quant`, ctx, shape) : undefined;
  return { name, dtype, shape, ...(data ? { data } : {}), ...(quant ? { quant } : {}) };
}

function readNode(v: unknown, at: string, file: string): Node {
  const ctx0: ReadContext = { file };
  const o = readObject(v, at, ctx0, ['name', 'op', 'inputs', 'outputs', 'attrs'], ['clamp']);
  const name = str.read(o.name, `${at}.name`, ctx0);
  if (name === '') throw malformed(ctx0, `${at}.name`, 'a node needs a name');
  const op = opCodec.read(o.op, `${at}.op`, { file, node: name });
  const ctx: ReadContext = { file, node: name, op };
  const node = {
    name, op,
    inputs: strings.read(o.inputs, `${at}.inputs`, ctx),
    outputs: strings.read(o.outputs, `${at}.outputs`, ctx),
    attrs: attrCodec(op).read(o.attrs, `${at}.attrs`, ctx),
    ...(has(o, 'clamp') ? { clamp: clampCodec.read(o.clamp, `${at}.clamp`, ctx) } : {}),
  };
  return node as Node;
}

/** Checks what the Graph type promises: unique names, every name a tensor, nodes in an order
 * where each input is a graph input, a constant, or written by an earlier node (once). */
function checkGraph(g: Graph, at: string, file: string): void {
  const ready = new Set<string>();
  const tensorAt = (name: string, where: string, ctx: ReadContext) => {
    if (!g.tensors.has(name)) throw malformed(ctx, where, `'${name}' names no tensor`);
  };
  g.inputs.forEach((n, i) => {
    tensorAt(n, `${at}.inputs[${i}]`, { file });
    if (ready.has(n)) throw malformed({ file }, `${at}.inputs[${i}]`, `'${n}' is listed twice`);
    ready.add(n);
  });
  for (const t of g.tensors.values()) if (t.data) ready.add(t.name);
  const names = new Set<string>();
  g.nodes.forEach((node, k) => {
    const ctx: ReadContext = { file, node: node.name, op: node.op };
    if (names.has(node.name)) throw malformed(ctx, `${at}.nodes[${k}].name`, `a second node named '${node.name}'`);
    names.add(node.name);
    node.inputs.forEach((n, i) => {
      if (n === '') return;
      tensorAt(n, `${at}.nodes[${k}].inputs[${i}]`, ctx);
      if (!ready.has(n)) throw malformed(ctx, `${at}.nodes[${k}].inputs[${i}]`, `'${n}' is read before any node writes it`);
    });
    node.outputs.forEach((n, i) => {
      if (n === '') return;
      tensorAt(n, `${at}.nodes[${k}].outputs[${i}]`, ctx);
      if (ready.has(n)) throw malformed(ctx, `${at}.nodes[${k}].outputs[${i}]`, `'${n}' is already a graph input, a constant or another node's output`);
      ready.add(n);
    });
  });
  g.outputs.forEach((n, i) => {
    tensorAt(n, `${at}.outputs[${i}]`, { file });
    if (!ready.has(n)) throw malformed({ file }, `${at}.outputs[${i}]`, `no node writes the graph output '${n}'`);
  });
}

/** Reads a graph written by graphToJson (parsed JSON) from `file`, at the JSON path `at`.
 * Throws a CompileError (BadInput) naming the file, the path and what is wrong. */
export function graphFromJson(value: unknown, file: string, at = 'graph'): Graph {
  const ctx: ReadContext = { file };
  const o = readObject(value, at, ctx, ['name', 'opset', 'inputs', 'outputs', 'tensors', 'nodes']);
  const tensors = new Map<string, Tensor>();
  readArray(o.tensors, `${at}.tensors`, ctx, (v, a) => {
    const t = readTensor(v, a, ctx);
    if (tensors.has(t.name)) throw malformed(ctx, `${a}.name`, `a second tensor named '${t.name}'`);
    tensors.set(t.name, t);
  });
  const graph: Graph = {
    name: str.read(o.name, `${at}.name`, ctx),
    tensors,
    nodes: readArray(o.nodes, `${at}.nodes`, ctx, (v, a) => readNode(v, a, file)),
    inputs: strings.read(o.inputs, `${at}.inputs`, ctx),
    outputs: strings.read(o.outputs, `${at}.outputs`, ctx),
    opset: count.read(o.opset, `${at}.opset`, ctx),
  };
  checkGraph(graph, at, file);
  return graph;
}
