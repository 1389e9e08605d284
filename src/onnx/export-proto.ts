/** A small, deterministic ONNX graph builder on onnx-proto's message types: initializers
 * as little-endian raw data, typed attributes, unique names. Used by exportQdq. */
import { isBigInt, packInt4, type DType, type NumericData, type TensorData } from '../ir/dtype.js';
import type { onnx as OnnxNs } from 'onnx-proto';
import { onnx } from './proto.js';
import { onnxCodeOf } from './tensor.js';
import { FreshNames } from '../ir/names.js';

type Attr = OnnxNs.IAttributeProto;
const AT = onnx.AttributeProto.AttributeType;

/** Attribute constructors (protobufjs encodes fields in schema order, so output is stable). */
export const attr = {
  int: (name: string, i: number): Attr => ({ name, type: AT.INT, i }),
  ints: (name: string, ints: readonly number[]): Attr => ({ name, type: AT.INTS, ints: [...ints] }),
  float: (name: string, f: number): Attr => ({ name, type: AT.FLOAT, f }),
  string: (name: string, s: string): Attr => ({ name, type: AT.STRING, s: new TextEncoder().encode(s) }),
};

/** Whether typed arrays are little-endian here (every host Node runs on today; the DataView
 * path below keeps the output host-independent anyway). */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The bytes of a typed array (a copy, so the result owns its buffer). */
function bytesOf(a: Int8Array | Uint8Array | Float32Array | Int32Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength).slice();
}

/** Little-endian bytes of `data` stored as `dtype` (explicit byte order, host-independent).
 * Bulk copies: the typed-array conversions round (float32) and wrap (int8, int32) exactly as
 * DataView's setters and `v & 0xff` do. */
export function rawBytes(dtype: DType, data: TensorData): Uint8Array {
  const n = data.length;
  switch (dtype) {
    case 'int8':
    case 'uint8':
    case 'bool':
      if (data instanceof Int8Array || data instanceof Uint8Array) return bytesOf(data);
      return new Uint8Array(data as NumericData);
    case 'float32': {
      if (LITTLE_ENDIAN && !isBigInt64(data)) return bytesOf(data instanceof Float32Array ? data : new Float32Array(data));
      const out = new Uint8Array(4 * n);
      const dv = new DataView(out.buffer);
      for (let i = 0; i < n; i++) dv.setFloat32(4 * i, data[i] as number, true);
      return out;
    }
    case 'int32': {
      if (LITTLE_ENDIAN && !isBigInt64(data)) return bytesOf(data instanceof Int32Array ? data : new Int32Array(data));
      const out = new Uint8Array(4 * n);
      const dv = new DataView(out.buffer);
      for (let i = 0; i < n; i++) dv.setInt32(4 * i, data[i] as number, true);
      return out;
    }
    case 'int64': {
      const out = new Uint8Array(8 * n);
      const dv = new DataView(out.buffer);
      for (let i = 0; i < n; i++) {
        const v = data[i];
        dv.setBigInt64(8 * i, isBigInt(dtype) && typeof v === 'bigint' ? v : BigInt(v as number), true);
      }
      return out;
    }
    case 'int4':
      return packInt4(data as ArrayLike<number>);
    default:
      throw new Error(`internal: rawBytes does not write ${dtype}`);
  }
}

function isBigInt64(data: TensorData): data is BigInt64Array | BigUint64Array {
  return data instanceof BigInt64Array || data instanceof BigUint64Array;
}

/** Collects nodes and initializers; every tensor and node name it hands out is unique. */
export class GraphBuilder {
  readonly nodes: OnnxNs.INodeProto[] = [];
  readonly initializers: OnnxNs.ITensorProto[] = [];
  private readonly names = new Set<string>();
  private readonly nodeNames = new Set<string>();
  private readonly freshNames = new FreshNames((n) => this.names.has(n));
  private readonly freshNodes = new FreshNames((n) => this.nodeNames.has(n));

  /** `tensors`, `nodes`: names the output keeps from the source graph; generated names avoid them. */
  constructor(tensors: Iterable<string>, nodes: Iterable<string>) {
    for (const n of tensors) this.names.add(n);
    for (const n of nodes) this.nodeNames.add(n);
  }

  /** A new tensor name derived from `base`. */
  fresh(base: string): string {
    const name = this.freshNames.pick(base);
    this.names.add(name);
    return name;
  }

  /** Adds an initializer under exactly `name` (a reserved or fresh name). */
  init(name: string, dtype: DType, dims: readonly number[], data: TensorData): string {
    this.initializers.push({ name, dataType: onnxCodeOf(dtype), dims: [...dims], rawData: rawBytes(dtype, data) });
    return name;
  }

  /** Adds an initializer under a fresh name derived from `base`. */
  constant(base: string, dtype: DType, dims: readonly number[], data: TensorData): string {
    return this.init(this.fresh(base), dtype, dims, data);
  }

  /** Appends a node named exactly `name` (a source node's name, unique there). */
  node(opType: string, name: string, inputs: readonly string[], outputs: readonly string[], attribute: Attr[] = []): void {
    this.nodes.push({ name, opType, input: [...inputs], output: [...outputs], attribute });
  }

  /** Appends a helper node (Q, DQ, activation) under a new name derived from `base`. */
  helper(opType: string, base: string, inputs: readonly string[], outputs: readonly string[], attribute: Attr[] = []): void {
    const n = this.freshNodes.pick(base);
    this.nodeNames.add(n);
    this.node(opType, n, inputs, outputs, attribute);
  }
}

/** A graph input/output description. */
export function valueInfo(name: string, dtype: DType, shape: readonly number[]): OnnxNs.IValueInfoProto {
  return { name, type: { tensorType: { elemType: onnxCodeOf(dtype), shape: { dim: shape.map((d) => ({ dimValue: d })) } } } };
}
