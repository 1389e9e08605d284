/** The IR graph: typed tensors and nodes with typed attributes. Immutable by convention:
 * passes build new graphs (or copy) rather than editing one another's. */
import type { DType, TensorData } from './dtype.js';
import type { OpAttrMap, OpName } from './ops.js';

/** Affine quantization parameters: real = scale * (q - zeroPoint). One entry for
 * per-tensor, one per channel along `axis` for per-axis. */
/** How the integers of a quantized tensor stand for reals: real = scale * (q - zeroPoint), one
 * entry per tensor or per slice along `axis`. */
export interface QuantParams {
  scale: Float32Array;
  zeroPoint: Int32Array;
  axis?: number;
  /** Bit-width of the integer values (the one place the quantized IR records it): weights,
   * activations and biases each carry their own (QUANT_BITS in src/ir/qops.ts holds today's
   * 8 / 8 / 32). `dtype` is the storage type; a narrower width (int4 weights) is packed by the
   * backend. The integer interpreter refuses widths it has no kernel for. */
  bits: number;
}

export interface Tensor {
  name: string;
  dtype: DType;
  /** Static shape; every dim is a positive integer (or 0 for empty tensors). */
  shape: readonly number[];
  /** Constant data (initializers and folded values), row-major. */
  data?: TensorData;
  quant?: QuantParams;
}

export interface NodeOf<K extends OpName> {
  /** Unique, non-empty name (synthesized as `op_index` when the model has none). */
  name: string;
  op: K;
  /** Tensor names; '' marks an omitted optional input. */
  inputs: string[];
  outputs: string[];
  attrs: OpAttrMap[K];
  /** A fused activation: output 0 is clamped to [min, max] after the op (Relu is [0, Infinity],
   * Relu6 [0, 6]). Set by the activation-fusion pass on ops whose target kernels clamp. */
  clamp?: { min: number; max: number };
}

/** A node of any op, narrowed by `node.op`. */
export type Node = { [K in OpName]: NodeOf<K> }[OpName];

export interface Graph {
  name: string;
  /** Every tensor by name: graph inputs, initializers, intermediate and output tensors. */
  tensors: Map<string, Tensor>;
  /** Nodes in a valid topological order. */
  nodes: Node[];
  inputs: string[];
  outputs: string[];
  /** The default-domain opset the model was imported from. */
  opset: number;
}

export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function tensorOf(graph: Graph, name: string): Tensor {
  const t = graph.tensors.get(name);
  if (!t) throw new Error(`internal: tensor '${name}' is not in graph '${graph.name}'`);
  return t;
}

/** Row-major strides of a shape. */
export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}
