/** Seeded random float graphs over the ops of real small networks (the math, reduce, logic and
 * normalization families, GlobalMaxPool, MatMul of two computed inputs), as ONNX models built
 * with onnx-proto, for checking the interpreter against onnxruntime-node. Every tensor of the
 * main chain has the input's shape with some dims set to 1, so any two broadcast. */
import type { DType } from '../../src/ir/dtype.js';
import { attr, valueInfo } from '../../src/onnx/export-proto.js';
import { onnx } from '../../src/onnx/proto.js';
import { onnxCodeOf } from '../../src/onnx/tensor.js';
import { init } from './qdq-models.js';
import { uniform } from './random.js';

type Rand = () => number;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
const randInt = (r: Rand, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));

/** The ops the generators exercise (besides helpers such as Add and Tanh). */
export const RANDOM_GRAPH_OPS = [
  'Abs', 'Neg', 'Exp', 'Log', 'Sqrt', 'Pow', 'Reciprocal', 'Erf', 'Gelu', 'PRelu', 'Softplus', 'Max', 'Min',
  'ReduceMean', 'ReduceMax', 'ReduceMin', 'ReduceSum', 'ReduceL2', 'GlobalMaxPool', 'LayerNormalization', 'Where', 'Equal', 'Greater', 'MatMul',
];

/** A generated model: its bytes, graph inputs with data, and the op type of each node. */
export interface RandomModel {
  bytes: Uint8Array;
  inputs: { name: string; dtype: DType; shape: number[]; data: Float32Array | Int32Array }[];
  output: string;
  ops: string[];
  opset: number;
}

/** Builds nodes, initializers and fresh names. */
class Builder {
  nodes: object[] = [];
  inits: object[] = [];
  private n = 0;
  constructor(readonly r: Rand, readonly opset: number) {}
  fresh(base: string): string {
    return `${base}_${this.n++}`;
  }
  node(op: string, inputs: string[], attrs: object[] = [], outputs = 1): string[] {
    const outs = Array.from({ length: outputs }, () => this.fresh(op.toLowerCase()));
    this.nodes.push({ name: this.fresh(`n_${op}`), opType: op, input: inputs, output: outs, attribute: attrs });
    return outs;
  }
  /** The op types of the nodes so far, in order. */
  ops(): string[] {
    return this.nodes.map((n) => (n as { opType: string }).opType);
  }
  one(op: string, inputs: string[], attrs: object[] = []): string {
    return this.node(op, inputs, attrs)[0];
  }
  constF(shape: number[], lo: number, hi: number): string {
    const size = shape.reduce((a, b) => a * b, 1);
    const data = Float32Array.from({ length: size }, () => lo + (hi - lo) * this.r());
    const name = this.fresh('c');
    this.inits.push(init(name, 'float32', shape, data));
    return name;
  }
  constI64(values: number[]): string {
    const name = this.fresh('axes');
    this.inits.push(init(name, 'int64', [values.length], BigInt64Array.from(values.map(BigInt))));
    return name;
  }
}

/** The shape with a random subset of dims set to 1 (a shape that broadcasts to it). */
function subShape(r: Rand, shape: readonly number[]): number[] {
  return shape.map((d) => (r() < 0.5 ? 1 : d));
}

/** |t| + 0.5: a positive tensor for Log, Sqrt, Reciprocal and Pow's base. */
function positive(b: Builder, t: string, shape: number[]): string {
  return b.one('Add', [b.one('Abs', [t]), b.constF(subShape(b.r, shape).map(() => 1), 0.5, 0.5)]);
}

type Step = (b: Builder, t: string, shape: number[], pool: { name: string; shape: number[] }[]) => { name: string; shape: number[] };

const same = (name: string, shape: number[]) => ({ name, shape });
const broadcast = (a: readonly number[], c: readonly number[]) => a.map((d, i) => Math.max(d, c[i]));

function reduceStep(op: string): Step {
  return (b, t, shape) => {
    const rank = shape.length;
    const axes = [...new Set(Array.from({ length: randInt(b.r, 1, 2) }, () => randInt(b.r, 0, rank - 1)))];
    const written = axes.map((a) => (b.r() < 0.5 ? a - rank : a));
    const asInput = b.opset >= (op === 'ReduceSum' ? 13 : 18);
    const inputs = asInput ? [t, b.constI64(written)] : [t];
    const attrs = asInput ? [attr.int('keepdims', 1)] : [attr.ints('axes', written), attr.int('keepdims', 1)];
    return same(b.one(op, inputs, attrs), shape.map((d, i) => (axes.includes(i) ? 1 : d)));
  };
}

const STEPS: Record<string, Step> = {
  Abs: (b, t, s) => same(b.one('Abs', [t]), s),
  Neg: (b, t, s) => same(b.one('Neg', [t]), s),
  // Tanh first keeps exp's output in [1/e, e].
  Exp: (b, t, s) => same(b.one('Exp', [b.one('Tanh', [t])]), s),
  Log: (b, t, s) => same(b.one('Log', [positive(b, t, s)]), s),
  Sqrt: (b, t, s) => same(b.one('Sqrt', [positive(b, t, s)]), s),
  Reciprocal: (b, t, s) => same(b.one('Reciprocal', [positive(b, t, s)]), s),
  Erf: (b, t, s) => same(b.one('Erf', [t]), s),
  Softplus: (b, t, s) => same(b.one('Softplus', [t]), s),
  Gelu: (b, t, s) => same(b.one('Gelu', [t], b.r() < 0.5 ? [attr.string('approximate', 'tanh')] : []), s),
  Pow: (b, t, s) => {
    const e = subShape(b.r, s);
    return same(b.one('Pow', [positive(b, t, s), b.constF(e, -2, 2)]), s);
  },
  PRelu: (b, t, s) => {
    // One slope per channel ([C, 1, 1]) or along the last axis.
    const slope = b.r() < 0.5 ? [s[1], 1, 1] : [s[s.length - 1]];
    return same(b.one('PRelu', [t, b.constF(slope, -0.5, 0.5)]), s);
  },
  Max: (b, t, s, pool) => {
    const other = pick(b.r, pool);
    const c = subShape(b.r, s);
    const inputs = b.r() < 0.5 ? [t, other.name] : [t, other.name, b.constF(c, -1, 1)];
    return same(b.one('Max', inputs), broadcast(broadcast(s, other.shape), c));
  },
  Min: (b, t, s, pool) => {
    const other = pick(b.r, pool);
    return same(b.one('Min', [other.name, t]), broadcast(s, other.shape));
  },
  ReduceMean: reduceStep('ReduceMean'),
  ReduceMax: reduceStep('ReduceMax'),
  ReduceMin: reduceStep('ReduceMin'),
  ReduceSum: reduceStep('ReduceSum'),
  ReduceL2: reduceStep('ReduceL2'),
  GlobalMaxPool: (b, t, s) => same(b.one('GlobalMaxPool', [t]), [s[0], s[1], ...s.slice(2).map(() => 1)]),
  LayerNormalization: (b, t, s) => {
    const axis = randInt(b.r, 1, s.length - 1);
    const norm = s.slice(axis);
    const inputs = [t, b.constF(norm, 0.5, 1.5)];
    if (b.r() < 0.5) inputs.push(b.constF(subShape(b.r, norm), -0.5, 0.5));
    return same(b.one('LayerNormalization', inputs, [attr.int('axis', b.r() < 0.5 ? axis - s.length : axis), attr.float('epsilon', 1e-3)]), s);
  },
  Where: (b, t, s, pool) => {
    const other = pick(b.r, pool);
    const cond = b.r() < 0.5
      ? b.one('Greater', [t, other.name])
      : b.one('Equal', [b.one('Greater', [t, b.constF(subShape(b.r, s), -0.5, 0.5)]), b.one('Greater', [other.name, b.constF([1], 0, 0)])]);
    const out = broadcast(s, other.shape);
    return same(b.one('Where', [cond, t, other.name]), out);
  },
};

/** Ops each opset may use (Gelu is opset 20, LayerNormalization 17). */
function stepsFor(opset: number): string[] {
  return Object.keys(STEPS).filter((op) => (op !== 'Gelu' || opset >= 20) && (op !== 'LayerNormalization' || opset >= 17));
}

const vi = (name: string, dtype: DType, shape?: number[]) =>
  shape ? valueInfo(name, dtype, shape) : { name, type: { tensorType: { elemType: onnxCodeOf(dtype) } } };

function encode(b: Builder, inputs: object[], output: string, dtype: DType): Uint8Array {
  return onnx.ModelProto.encode({
    irVersion: b.opset >= 21 ? 10 : 8,
    opsetImport: [{ domain: '', version: b.opset }],
    graph: { name: 'random', node: b.nodes, initializer: b.inits, input: inputs, output: [vi(output, dtype)] },
  }).finish();
}

/** A chain of `length` random steps on x [2, 3, 4, 5]; seed decides everything, opset included. */
export function randomFloatModel(seed: number, length = 6): RandomModel {
  const r = uniform(seed);
  const opset = pick(r, [13, 17, 21]);
  const b = new Builder(r, opset);
  const shape = [2, 3, 4, 5];
  const x = { name: 'x', dtype: 'float32' as const, shape, data: Float32Array.from({ length: 120 }, () => 4 * r() - 2) };
  const pool = [{ name: 'x', shape }];
  let cur = pool[0];
  const ops = stepsFor(opset);
  for (let i = 0; i < length; i++) {
    cur = STEPS[pick(r, ops)](b, cur.name, cur.shape, pool);
    pool.push(cur);
  }
  return { bytes: encode(b, [vi('x', 'float32', shape)], cur.name, 'float32'), inputs: [x], output: cur.name, ops: b.ops(), opset };
}

/** MatMul of two graph inputs with random numpy shapes (batch broadcast, 1-D operands), then
 * Softplus: the product of two computed tensors. */
export function randomMatMulModel(seed: number): RandomModel {
  const r = uniform(seed);
  const b = new Builder(r, 17);
  const [M, K, N] = [randInt(r, 1, 6), randInt(r, 1, 7), randInt(r, 1, 6)];
  const kind = randInt(r, 0, 3);
  const batch = [randInt(r, 1, 3), randInt(r, 1, 3)];
  const aShape = kind === 0 ? [K] : kind === 1 ? [M, K] : [...batch, M, K];
  const bShape = kind === 3 ? [K] : kind === 2 ? [batch[1], K, N] : [K, N];
  const data = (s: number[]) => Float32Array.from({ length: s.reduce((p, d) => p * d, 1) }, () => 2 * r() - 1);
  const y = b.one('Softplus', [b.one('MatMul', ['a', 'b'])]);
  return {
    bytes: encode(b, [vi('a', 'float32', aShape), vi('b', 'float32', bShape)], y, 'float32'),
    inputs: [{ name: 'a', dtype: 'float32', shape: aShape, data: data(aShape) }, { name: 'b', dtype: 'float32', shape: bShape, data: data(bShape) }],
    output: y,
    ops: ['MatMul', 'Softplus'],
    opset: 17,
  };
}

/** int32 inputs through Max, Min, Abs, Neg, Greater, Equal and Where (the integer forms
 * exporters' shape subgraphs use). */
export function randomIntModel(seed: number): RandomModel {
  const r = uniform(seed);
  const b = new Builder(r, 13);
  const shape = [3, 4];
  const data = () => Int32Array.from({ length: 12 }, () => randInt(r, -5, 5));
  const mx = b.one('Max', ['p', 'q']);
  const mn = b.one('Min', ['p', b.one('Neg', ['q'])]);
  const cond = b.one('Equal', [b.one('Greater', [mx, 'q']), b.one('Greater', [b.one('Abs', [mn]), 'p'])]);
  const y = b.one('Where', [cond, mx, mn]);
  return {
    bytes: encode(b, [vi('p', 'int32', shape), vi('q', 'int32', shape)], y, 'int32'),
    inputs: [{ name: 'p', dtype: 'int32', shape, data: data() }, { name: 'q', dtype: 'int32', shape, data: data() }],
    output: y,
    ops: ['Max', 'Min', 'Neg', 'Abs', 'Greater', 'Equal', 'Where'],
    opset: 13,
  };
}
