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

/** The shape and resampling ops the shape chains exercise. */
export const RANDOM_SHAPE_OPS = ['Slice', 'Split', 'Expand', 'Tile', 'DepthToSpace', 'SpaceToDepth', 'Resize', 'ConvTranspose', 'ConstantOfShape', 'Range', 'Size'];

type ShapeStep = (b: Builder, t: string, s: number[]) => { name: string; shape: number[] } | undefined;
const count = (s: readonly number[]) => s.reduce((p, d) => p * d, 1);
/** Largest tensor a shape chain makes (keeps onnxruntime and the interpreter quick). */
const SHAPE_CHAIN_LIMIT = 6000;

const SHAPE_STEPS: Record<string, ShapeStep> = {
  Slice: (b, t, s) => {
    const axes = [...new Set([randInt(b.r, 0, 3), randInt(b.r, 1, 3)])].filter((a) => s[a] > 1);
    if (axes.length === 0) return undefined;
    const starts: number[] = [];
    const ends: number[] = [];
    const steps: number[] = [];
    const out = [...s];
    for (const a of axes) {
      const d = s[a];
      const step = pick(b.r, [1, 1, 2, -1, -2]);
      const lo = randInt(b.r, 0, d - 2);
      const hi = randInt(b.r, lo + 1, d);
      // Written with negative indices and huge ends at times, as exporters do.
      if (step > 0) {
        starts.push(b.r() < 0.3 ? lo - d : lo);
        ends.push(hi === d && b.r() < 0.5 ? 2 ** 53 : hi);
        out[a] = Math.ceil((hi - lo) / step);
      } else {
        starts.push(hi - 1);
        ends.push(lo === 0 ? -(2 ** 53) : lo - 1);
        out[a] = Math.ceil((hi - lo) / -step);
      }
      steps.push(step);
    }
    return same(b.one('Slice', [t, b.constI64(starts), b.constI64(ends), b.constI64(axes), b.constI64(steps)]), out);
  },
  Split: (b, t, s) => {
    const axis = [1, 2, 3].find((a) => s[a] >= 2 && b.r() < 0.7);
    if (axis === undefined) return undefined;
    const first = randInt(b.r, 1, s[axis] - 1);
    const outs = b.node('Split', [t, b.constI64([first, s[axis] - first])], [attr.int('axis', axis)], 2);
    const which = b.r() < 0.5 ? 0 : 1;
    return same(outs[which], s.map((d, i) => (i === axis ? (which === 0 ? first : s[axis] - first) : d)));
  },
  Expand: (b, t, s) => {
    const target = s.map((d) => (d === 1 ? randInt(b.r, 1, 3) : b.r() < 0.3 ? 1 : d));
    const out = s.map((d, i) => Math.max(d, target[i]));
    return count(out) > SHAPE_CHAIN_LIMIT ? undefined : same(b.one('Expand', [t, b.constI64(target)]), out);
  },
  Tile: (b, t, s) => {
    const reps = s.map(() => randInt(b.r, 1, 2));
    const out = s.map((d, i) => d * reps[i]);
    return count(out) > SHAPE_CHAIN_LIMIT ? undefined : same(b.one('Tile', [t, b.constI64(reps)]), out);
  },
  DepthToSpace: (b, t, s) => (s[1] % 4 !== 0 ? undefined
    : same(b.one('DepthToSpace', [t], [attr.int('blocksize', 2), attr.string('mode', pick(b.r, ['DCR', 'CRD']))]), [s[0], s[1] / 4, s[2] * 2, s[3] * 2])),
  SpaceToDepth: (b, t, s) => (s[2] % 2 !== 0 || s[3] % 2 !== 0 ? undefined
    : same(b.one('SpaceToDepth', [t], [attr.int('blocksize', 2)]), [s[0], s[1] * 4, s[2] / 2, s[3] / 2])),
  Resize: (b, t, s) => {
    const linear = b.r() < 0.5;
    const coord = pick(b.r, ['half_pixel', 'asymmetric', 'align_corners', 'pytorch_half_pixel']);
    const attrs = [attr.string('mode', linear ? 'linear' : 'nearest'), attr.string('coordinate_transformation_mode', coord)];
    if (linear) {
      // Any sizes: linear interpolation is continuous in the source coordinate.
      const out = [s[0], s[1], randInt(b.r, 2, 9), randInt(b.r, 2, 9)];
      if (count(out) > SHAPE_CHAIN_LIMIT) return undefined;
      return same(b.one('Resize', [t, '', '', b.constI64(out)], attrs), out);
    }
    // Nearest at whole or half scales (ties exact in float32, as onnxruntime computes them).
    attrs.push(attr.string('nearest_mode', pick(b.r, ['floor', 'round_prefer_floor'])));
    const sc = [1, 1, pick(b.r, [2, 3, s[2] % 2 === 0 ? 0.5 : 2]), pick(b.r, [2, s[3] % 2 === 0 ? 0.5 : 3])];
    const out = s.map((d, i) => Math.floor(d * sc[i]));
    if (count(out) > SHAPE_CHAIN_LIMIT) return undefined;
    const scales = b.fresh('scales');
    b.inits.push(init(scales, 'float32', [4], Float32Array.from(sc)));
    return same(b.one('Resize', [t, '', scales], attrs), out);
  },
  ConvTranspose: (b, t, s) => {
    const C = s[1];
    const group = C % 2 === 0 && b.r() < 0.3 ? 2 : 1;
    const mPer = randInt(b.r, 1, 3);
    const k = [randInt(b.r, 1, 3), randInt(b.r, 1, 3)];
    const strides = [randInt(b.r, 1, 2), randInt(b.r, 1, 2)];
    const dil = [randInt(b.r, 1, 2), 1];
    const pads = [0, 1, 0, 0].map((p, i) => Math.min(p * randInt(b.r, 0, 1), k[i % 2] - 1));
    const op = strides.map((st) => randInt(b.r, 0, st - 1));
    const sp = [2, 3].map((d, i) => strides[i] * (s[d] - 1) + op[i] + (k[i] - 1) * dil[i] + 1 - pads[i] - pads[i + 2]);
    const out = [s[0], mPer * group, ...sp];
    if (count(out) > SHAPE_CHAIN_LIMIT || sp.some((d) => d < 1)) return undefined;
    const w = b.constF([C, mPer, ...k], -0.5, 0.5);
    const inputs = b.r() < 0.5 ? [t, w, b.constF([mPer * group], -0.5, 0.5)] : [t, w];
    return same(b.one('ConvTranspose', inputs, [attr.int('group', group), attr.ints('strides', strides), attr.ints('dilations', dil), attr.ints('pads', pads), attr.ints('output_padding', op)]), out);
  },
  ConstantOfShape: (b, t, s) => {
    // A constant made from a constant shape: folded by qgc, computed by onnxruntime.
    const shape = s.map((d) => (b.r() < 0.5 ? 1 : d));
    const value = { name: 'value', type: onnx.AttributeProto.AttributeType.TENSOR, t: init('v', 'float32', [1], Float32Array.of(0.5 + b.r())) };
    return same(b.one('Mul', [t, b.one('ConstantOfShape', [b.constI64(shape)], [value])]), s);
  },
  Range: (b, t, s) => {
    const scalar = (v: number) => {
      const name = b.fresh('r');
      b.inits.push(init(name, 'float32', [], Float32Array.of(v)));
      return name;
    };
    // Range over the last dim: start + i * delta, added along W.
    const delta = pick(b.r, [0.25, -0.5, 1]);
    return same(b.one('Add', [t, b.one('Range', [scalar(0), scalar(delta * s[3]), scalar(delta)])]), s);
  },
  Size: (b, t, s) => {
    const n = b.one('Cast', [b.one('Size', [t])], [attr.int('to', onnx.TensorProto.DataType.FLOAT)]);
    return same(b.one('Div', [t, n]), s);
  },
};

/** A chain of `length` random shape and resampling steps on x [1, 4, 4, 6] (opset 13 or 17),
 * Tanh between them so no two data movements meet. */
export function randomShapeModel(seed: number, length = 5): RandomModel {
  const r = uniform(seed);
  const opset = pick(r, [13, 17]);
  const b = new Builder(r, opset);
  const shape = [1, 4, 4, 6];
  const x = { name: 'x', dtype: 'float32' as const, shape, data: Float32Array.from({ length: count(shape) }, () => 4 * r() - 2) };
  let cur = { name: 'x', shape };
  for (let i = 0; i < length; i++) {
    let next: { name: string; shape: number[] } | undefined;
    for (let tries = 0; !next && tries < 10; tries++) next = SHAPE_STEPS[pick(r, RANDOM_SHAPE_OPS)](b, cur.name, cur.shape);
    if (next) cur = same(b.one('Tanh', [next.name]), next.shape);
  }
  return { bytes: encode(b, [vi('x', 'float32', shape)], cur.name, 'float32'), inputs: [x], output: cur.name, ops: b.ops(), opset };
}

/** Resize at opset 10 (only `mode`; scales as input 1) on x [1, 1, 4, 5]. */
export function resize10Model(mode: 'nearest' | 'linear', scales: readonly number[]): RandomModel {
  const b = new Builder(uniform(1), 10);
  b.inits.push(init('scales', 'float32', [4], Float32Array.from(scales)));
  const y = b.one('Resize', ['x', 'scales'], [attr.string('mode', mode)]);
  const shape = [1, 1, 4, 5];
  const x = { name: 'x', dtype: 'float32' as const, shape, data: Float32Array.from({ length: 20 }, (_, i) => (i * i) % 7) };
  return { bytes: encode(b, [vi('x', 'float32', shape)], y, 'float32'), inputs: [x], output: y, ops: ['Resize'], opset: 10 };
}
