/**
 * Structure-aware mutations of ONNX models: each kind changes one thing the spec constrains
 * (an attribute, a shape, a type, a data field, the graph's structure, a name, external data, a
 * scale or zero point), so the fuzzer reaches the validator, the importers and the interpreter
 * instead of dying in the protobuf decoder. Plus the byte-level mutations of the loader test.
 * Deterministic: the same model, kind and generator give the same mutant.
 */
import { onnx, type ModelProto } from '../../src/onnx/proto.js';

export type Rand = () => number;

const int = (r: Rand, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];

/** Values that break arithmetic: zero, negatives, the int32 and float32 edges, huge. */
const HOSTILE_INTS = [0, -1, 1, 2, 3, 7, 1000, 65536, 2 ** 24, 16000000, 2 ** 31 - 1, 2 ** 31, -(2 ** 31), 2 ** 40, -(2 ** 53)];
const HOSTILE_FLOATS = [0, -0, -1, 1e-45, 1e38, 3.4e38, Infinity, -Infinity, NaN, 0.5];
/** Names with control characters, bidi overrides, quotes, comment markers, nothing, a lot. */
const HOSTILE_NAMES = ['', 'x\u0000y', 'esc\u001b[2Jhere', 'cr\rlf\n', 'rtl\u202eevil', '*/ /*', '"quoted\\"', 'é', 'a'.repeat(5000), '../../etc/passwd', 'con', '0digit'];
const ELEM_TYPES = [0, 1, 2, 3, 5, 6, 7, 9, 10, 11, 16, 17, 21, 22, 99];

type Graph = NonNullable<ModelProto['graph']>;
type Node = NonNullable<Graph['node']>[number];
type Tensor = NonNullable<Graph['initializer']>[number];
type ValueInfo = NonNullable<Graph['input']>[number];

/** One mutation kind: changes `m` in place; returns a one-line description, or undefined when
 * it does not apply to this model (the driver then picks another). */
export type Mutation = (m: ModelProto, r: Rand) => string | undefined;

const nodes = (m: ModelProto): Node[] => m.graph?.node ?? [];
const tensors = (m: ModelProto): Tensor[] => m.graph?.initializer ?? [];
const valueInfos = (m: ModelProto): ValueInfo[] => [...(m.graph?.input ?? []), ...(m.graph?.output ?? [])];

export const MUTATIONS: Record<string, Mutation> = {
  /** An int or ints attribute gets a hostile value. */
  attributeValue(m, r) {
    const attrs = nodes(m).flatMap((n) => (n.attribute ?? []).map((a) => ({ n, a })));
    if (attrs.length === 0) return undefined;
    const { n, a } = pick(r, attrs);
    if (a.ints && a.ints.length > 0) {
      const i = int(r, 0, a.ints.length - 1);
      a.ints[i] = pick(r, HOSTILE_INTS);
      return `${n.opType}.${a.name}[${i}] = ${String(a.ints[i])}`;
    }
    if (a.type === onnx.AttributeProto.AttributeType.FLOAT) {
      a.f = pick(r, HOSTILE_FLOATS);
      return `${n.opType}.${a.name} = ${a.f}`;
    }
    a.i = pick(r, HOSTILE_INTS);
    return `${n.opType}.${a.name} = ${String(a.i)}`;
  },
  /** An attribute's declared type changes (UNDEFINED, or another kind). */
  attributeType(m, r) {
    const attrs = nodes(m).flatMap((n) => n.attribute ?? []);
    if (attrs.length === 0) return undefined;
    const a = pick(r, attrs);
    a.type = pick(r, [0, 1, 2, 3, 4, 6, 7, 8]);
    return `${a.name} type = ${a.type}`;
  },
  /** An attribute is dropped, duplicated, or an unknown one added. */
  attributeSet(m, r) {
    const ns = nodes(m);
    if (ns.length === 0) return undefined;
    const n = pick(r, ns);
    const attrs = n.attribute ?? (n.attribute = []);
    const what = int(r, 0, 2);
    if (what === 0 && attrs.length > 0) {
      const [gone] = attrs.splice(int(r, 0, attrs.length - 1), 1);
      return `${n.opType}: drop ${gone.name}`;
    }
    if (what === 1 && attrs.length > 0) {
      const a = pick(r, attrs);
      attrs.push({ ...a });
      return `${n.opType}: duplicate ${a.name}`;
    }
    attrs.push({ name: pick(r, ['auto_pad', 'pads', 'axis', 'group', 'bogus', 'perm', 'to']), type: 7, ints: [pick(r, HOSTILE_INTS)] });
    return `${n.opType}: add ${attrs[attrs.length - 1].name}`;
  },
  /** A graph input's or output's declared shape changes. */
  shape(m, r) {
    const vis = valueInfos(m).filter((v) => v.type?.tensorType?.shape?.dim);
    if (vis.length === 0) return undefined;
    const v = pick(r, vis);
    const dims = v.type!.tensorType!.shape!.dim!;
    const what = int(r, 0, 3);
    if (what === 0 && dims.length > 0) {
      const d = dims[int(r, 0, dims.length - 1)];
      d.dimValue = pick(r, HOSTILE_INTS);
      return `${v.name} dim = ${String(d.dimValue)}`;
    }
    if (what === 1 && dims.length > 0) {
      dims.splice(int(r, 0, dims.length - 1), 1);
      return `${v.name} loses a dim`;
    }
    if (what === 2) {
      dims.push({ dimValue: int(r, 1, 3) });
      return `${v.name} gains a dim`;
    }
    const d = dims[0];
    if (!d) return undefined;
    d.dimParam = pick(r, ['batch', 'N', '']);
    d.dimValue = undefined;
    return `${v.name} dim 0 symbolic`;
  },
  /** An element type changes: of a graph input/output or an initializer. */
  elemType(m, r) {
    if (r() < 0.5) {
      const vis = valueInfos(m).filter((v) => v.type?.tensorType);
      if (vis.length === 0) return undefined;
      const v = pick(r, vis);
      v.type!.tensorType!.elemType = pick(r, ELEM_TYPES);
      return `${v.name} elem type = ${v.type!.tensorType!.elemType}`;
    }
    const ts = tensors(m);
    if (ts.length === 0) return undefined;
    const t = pick(r, ts);
    t.dataType = pick(r, ELEM_TYPES);
    return `initializer ${t.name} type = ${t.dataType}`;
  },
  /** An initializer's data: truncated, doubled into a second field, moved, or its dims changed. */
  dataField(m, r) {
    const ts = tensors(m);
    if (ts.length === 0) return undefined;
    const t = pick(r, ts);
    const what = int(r, 0, 3);
    if (what === 0 && t.rawData && t.rawData.length > 0) {
      t.rawData = t.rawData.slice(0, int(r, 0, t.rawData.length - 1));
      return `${t.name} raw data truncated`;
    }
    if (what === 1) {
      t.floatData = [1, 2, 3];
      return `${t.name} gains float_data`;
    }
    if (what === 2) {
      t.int32Data = Array.from({ length: int(r, 0, 4) }, () => pick(r, HOSTILE_INTS) | 0);
      t.rawData = new Uint8Array(0);
      return `${t.name} data moved to int32_data`;
    }
    const dims = t.dims ?? (t.dims = []);
    if (dims.length === 0) dims.push(1);
    dims[int(r, 0, dims.length - 1)] = pick(r, HOSTILE_INTS);
    return `${t.name} dims changed`;
  },
  /** The graph's structure: a node dropped, duplicated, an input renamed to nothing or dangling,
   * an output listed twice, nodes swapped (order), a cycle. */
  structure(m, r) {
    const g = m.graph;
    const ns = nodes(m);
    if (!g || ns.length === 0) return undefined;
    const what = int(r, 0, 5);
    if (what === 0) {
      ns.splice(int(r, 0, ns.length - 1), 1);
      return 'drop a node';
    }
    if (what === 1) {
      const n = pick(r, ns);
      ns.push({ ...n, name: `${n.name ?? ''}_copy` });
      return `duplicate ${n.opType}`;
    }
    if (what === 2) {
      const n = pick(r, ns);
      if (!n.input || n.input.length === 0) return undefined;
      n.input[int(r, 0, n.input.length - 1)] = pick(r, ['', 'dangling', n.output?.[0] ?? 'self']);
      return `${n.opType} input rewired`;
    }
    if (what === 3 && g.output && g.output.length > 0) {
      g.output.push({ ...g.output[0] });
      return 'an output listed twice';
    }
    if (what === 4 && ns.length > 1) {
      const i = int(r, 0, ns.length - 2);
      [ns[i], ns[i + 1]] = [ns[i + 1], ns[i]];
      return 'two nodes swapped';
    }
    const n = pick(r, ns);
    n.opType = pick(r, ['Erf', 'Unknown', '', 'conv', 'LSTM', 'If', 'Loop']);
    return `op type = ${n.opType}`;
  },
  /** A node, tensor or graph input gets a hostile name. */
  name(m, r) {
    const name = pick(r, HOSTILE_NAMES);
    const what = int(r, 0, 2);
    if (what === 0 && nodes(m).length > 0) {
      pick(r, nodes(m)).name = name;
      return 'node name';
    }
    const g = m.graph;
    if (what === 1 && g?.input && g.input.length > 0) {
      const v = pick(r, g.input);
      const old = v.name ?? '';
      v.name = name;
      for (const n of nodes(m)) n.input = (n.input ?? []).map((i) => (i === old ? name : i));
      return 'graph input renamed';
    }
    const ts = tensors(m);
    if (ts.length === 0) return undefined;
    const t = pick(r, ts);
    const old = t.name ?? '';
    t.name = name;
    for (const n of nodes(m)) n.input = (n.input ?? []).map((i) => (i === old ? name : i));
    return 'initializer renamed';
  },
  /** An initializer claims external data at a hostile location. */
  externalData(m, r) {
    const ts = tensors(m);
    if (ts.length === 0) return undefined;
    const t = pick(r, ts);
    t.dataLocation = 1;
    t.externalData = [
      { key: 'location', value: pick(r, ['../outside.bin', '/etc/passwd', 'missing.bin', 'a\u0000b', 'C:\\x.bin', '']) },
      { key: 'offset', value: pick(r, ['0', '-1', '99999999999', 'x']) },
    ];
    return `${t.name} external`;
  },
  /** A scale or zero point of a quantized op becomes hostile. */
  quantParams(m, r) {
    const quant = nodes(m).filter((n) => ['QuantizeLinear', 'DequantizeLinear', 'QLinearConv', 'QLinearMatMul'].includes(n.opType ?? ''));
    if (quant.length === 0) return undefined;
    const n = pick(r, quant);
    const names = new Set(n.input ?? []);
    const ts = tensors(m).filter((t) => names.has(t.name ?? '') && (t.dataType === 1 || t.dataType === 2 || t.dataType === 3 || t.dataType === 6));
    if (ts.length === 0) return undefined;
    const t = pick(r, ts);
    if (t.dataType === 1) {
      const v = pick(r, HOSTILE_FLOATS);
      t.rawData = new Uint8Array(new Float32Array([v]).buffer);
      t.dims = [];
      t.floatData = [];
      return `${t.name} scale = ${v}`;
    }
    t.int32Data = [pick(r, [300, 256, -129, 128, 2 ** 31 - 1, -1])];
    t.rawData = new Uint8Array(0);
    t.dims = [];
    return `${t.name} zero point = ${t.int32Data[0]}`;
  },
  /** The model's header: ir_version or the opset. */
  header(m, r) {
    if (r() < 0.5) {
      m.irVersion = pick(r, [0, -1, 1, 2, 3, 10, 14, 15, 10000]);
      return `ir_version = ${String(m.irVersion)}`;
    }
    const op = m.opsetImport?.find((o) => !o.domain);
    if (!op) return undefined;
    op.version = pick(r, [0, 1, 6, 7, 10, 21, 22, 28, 29, 1000]);
    return `opset = ${String(op.version)}`;
  },
};

/** Byte-level mutations (truncation, bit flips), as the loader test does. */
export function byteMutant(bytes: Uint8Array, r: Rand): { bytes: Uint8Array; desc: string } {
  if (r() < 0.4) {
    const n = Math.floor(r() * bytes.length);
    return { bytes: bytes.slice(0, n), desc: `truncated to ${n}` };
  }
  const m = bytes.slice();
  const flips = 1 + Math.floor(r() * 6);
  for (let f = 0; f < flips; f++) m[Math.floor(r() * Math.min(m.length, r() < 0.7 ? 4096 : m.length))] ^= 1 << Math.floor(r() * 8);
  return { bytes: m, desc: `${flips} bit flips` };
}

/** A deep copy of a model (decode of its encoding). */
export function copyModel(bytes: Uint8Array): ModelProto {
  return onnx.ModelProto.decode(bytes);
}
