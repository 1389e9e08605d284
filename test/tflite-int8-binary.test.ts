/** qgc's int8 binary ops against TensorFlow Lite's reference kernels (issue 16, item 3), through
 * the single-op harness (test/support/tflite.ts, scripts/tflite-ops.py): random single-op QDQ
 * models of Add, Sub and Mul — equal shapes and numpy broadcasts, activations and constants —
 * Div by a constant, MatMul of two activations (BATCH_MATMUL), and the data movement qgc already
 * had in int8 (Concat of one scale, Transpose) and int8 Slice (STRIDED_SLICE), lowered by lowerQdq and run by qgc's interpreter on random int8 inputs;
 * the same op as a .tflite with the lowered graph's exact parameters (ADD, SUB, MUL; Div by a
 * constant is MUL by the reciprocal constant qgc chose, since that is what qgc computes) run by
 * tf.lite.Interpreter with BUILTIN_REF.
 *
 * As in test/tflite-int8-ops.test.ts: where TFLite's Mul requantizes with
 * MultiplyByQuantizedMultiplier this build rounds once (TFLITE_SINGLE_ROUNDING), while qgc follows
 * CMSIS-NN's default double rounding; such an element may differ by exactly one step, and only
 * where the product requantized with single rounding gives TFLite's value (Mul, BatchMatMul). Add and Sub must be
 * equal everywhere. */
import { describe, expect, it } from 'vitest';
import type { Graph, Node } from '../src/ir/graph.js';
import type { Value } from '../src/interp/types.js';
import { runGraph } from '../src/interp/run.js';
import { broadcastIndex, broadcastShape } from '../src/interp/util.js';
import { lowerSingleOp, onnxAttr as attr, type SingleOpSpec } from './support/qdq-single.js';
import { uniform } from './support/random.js';
import { runTflite, tfliteTensor, type TfliteCase } from './support/tflite.js';
import { TFLITE, needs } from './support/tools.js';

type Rand = () => number;
const int = (r: Rand, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
const scaleIn = (r: Rand, lo: number, hi: number) => Math.fround(lo * (hi / lo) ** r());
const q = (r: Rand, lo: number, hi: number) => ({ scale: scaleIn(r, lo, hi), zeroPoint: int(r, -20, 20) });

/** TFLite's MultiplyByQuantizedMultiplier with single rounding: (x * m + 2^(30 - s)) >> (31 - s), saturated. */
function singleRounding(x: number, m: number, s: number): number {
  const total = BigInt(31 - s);
  const v = (BigInt(x) * BigInt(m) + (1n << (total - 1n))) >> total;
  return Number(v > 2147483647n ? 2147483647n : v < -2147483648n ? -2147483648n : v);
}

/** The lowered QMul recomputed with single rounding (the TFLite build's arithmetic). */
function mulSingle(g: Graph, node: Node, values: Map<string, Value>): Int8Array {
  if (node.op !== 'QMul') throw new Error('not a QMul');
  const a = node.attrs;
  const [x1, x2] = node.inputs.map((n) => values.get(n) ?? { dtype: 'int8', shape: g.tensors.get(n)!.shape, data: g.tensors.get(n)!.data! } as Value);
  const shape = broadcastShape(x1.shape, x2.shape);
  const i1 = broadcastIndex(x1.shape, shape);
  const i2 = broadcastIndex(x2.shape, shape);
  const n = shape.reduce((p, d) => p * d, 1);
  return Int8Array.from({ length: n }, (_, k) => {
    const p = (Number(x1.data[i1 ? i1[k] : k]) - a.input1ZeroPoint) * (Number(x2.data[i2 ? i2[k] : k]) - a.input2ZeroPoint);
    return Math.min(a.actMax, Math.max(a.actMin, singleRounding(p, a.multiplier, a.shift) + a.outputZeroPoint));
  });
}

/** The lowered QBatchMatMul recomputed with single rounding. */
function matMulSingle(g: Graph, node: Node, values: Map<string, Value>): Int8Array {
  if (node.op !== 'QBatchMatMul') throw new Error('not a QBatchMatMul');
  const a = node.attrs;
  const [x, y] = node.inputs.map((n) => values.get(n)!);
  const [M, K] = x.shape.slice(-2);
  const N = y.shape[y.shape.length - 1];
  const batch = broadcastShape(x.shape.slice(0, -2), y.shape.slice(0, -2));
  const ix = broadcastIndex(x.shape.slice(0, -2), batch);
  const iy = broadcastIndex(y.shape.slice(0, -2), batch);
  const B = batch.reduce((p, d) => p * d, 1);
  const out = new Int8Array(B * M * N);
  for (let t = 0; t < B; t++) {
    for (let m = 0; m < M; m++) {
      for (let n = 0; n < N; n++) {
        let acc = 0;
        for (let k = 0; k < K; k++) acc += (Number(x.data[(ix ? ix[t] : t) * M * K + m * K + k]) - a.lhsZeroPoint) * (Number(y.data[(iy ? iy[t] : t) * K * N + k * N + n]) - a.rhsZeroPoint);
        out[(t * M + m) * N + n] = Math.min(a.actMax, Math.max(a.actMin, singleRounding(acc, a.multiplier, a.shift) + a.outputZeroPoint));
      }
    }
  }
  return out;
}

interface Row {
  name: string;
  op: 'ADD' | 'SUB' | 'MUL' | 'BATCH_MATMUL' | 'CONCATENATION' | 'TRANSPOSE' | 'STRIDED_SLICE';
  spec(r: Rand): SingleOpSpec;
  /** Builtin options beyond the table's type (Concatenation's axis). */
  options?: Record<string, unknown>;
  /** Constant int32 inputs TFLite takes where qgc has attributes (Transpose's perm). */
  extra?: (node: Node) => TfliteCase['inputs'];
}

const OPTIONS = {
  ADD: 'AddOptions', SUB: 'SubOptions', MUL: 'MulOptions', BATCH_MATMUL: 'BatchMatMulOptions', CONCATENATION: 'ConcatenationOptions', TRANSPOSE: 'TransposeOptions',
  STRIDED_SLICE: 'StridedSliceOptions',
} as const;
const QOP = { ADD: 'QAdd', SUB: 'QAdd', MUL: 'QMul', BATCH_MATMUL: 'QBatchMatMul', CONCATENATION: 'QConcat', TRANSPOSE: 'Transpose', STRIDED_SLICE: 'Slice' } as const;

const binary = (opType: string, a: number[], b: number[], out: number[], constant = false) => (r: Rand): SingleOpSpec => {
  const cq = q(r, 0.005, 0.05);
  return {
    opType,
    inputs: [{ shape: a, q: q(r, 0.01, 0.1) }, ...(constant ? [] : [{ shape: b, q: q(r, 0.01, 0.1) }])],
    constants: constant ? [{ dtype: 'float32', shape: b, data: Float32Array.from({ length: b.reduce((p, d) => p * d, 1) }, () => (r() * 255 - 128 - cq.zeroPoint) * cq.scale), q: cq }] : [],
    outShape: out,
    output: opType === 'Mul' ? q(r, 0.005, 0.1) : q(r, 0.02, 0.2),
  };
};

const ROWS: Row[] = [
  { name: 'Add, broadcast per channel', op: 'ADD', spec: binary('Add', [1, 3, 4, 5], [1, 3, 1, 1], [1, 3, 4, 5]) },
  { name: 'Add, broadcast first operand', op: 'ADD', spec: binary('Add', [1, 1, 5], [2, 4, 5], [2, 4, 5]) },
  { name: 'Add, constant', op: 'ADD', spec: binary('Add', [1, 6, 3], [6, 1], [1, 6, 3], true) },
  { name: 'Sub, same shapes', op: 'SUB', spec: binary('Sub', [2, 3, 4], [2, 3, 4], [2, 3, 4]) },
  { name: 'Sub, broadcast either side', op: 'SUB', spec: binary('Sub', [3, 1], [1, 3, 4], [1, 3, 4]) },
  { name: 'Sub, constant', op: 'SUB', spec: binary('Sub', [1, 4, 5], [5], [1, 4, 5], true) },
  { name: 'Mul, same shapes', op: 'MUL', spec: binary('Mul', [1, 3, 4, 5], [1, 3, 4, 5], [1, 3, 4, 5]) },
  { name: 'Mul, squeeze-excite broadcast', op: 'MUL', spec: binary('Mul', [1, 8, 3, 3], [1, 8, 1, 1], [1, 8, 3, 3]) },
  { name: 'Mul, broadcast both', op: 'MUL', spec: binary('Mul', [4, 1], [1, 5], [4, 5]) },
  { name: 'Mul, constant', op: 'MUL', spec: binary('Mul', [1, 4, 6], [4, 1], [1, 4, 6], true) },
  {
    name: 'Div by a scalar constant (MUL by the reciprocal)', op: 'MUL',
    spec: (r) => ({
      opType: 'Div', inputs: [{ shape: [2, 10], q: q(r, 0.01, 0.1) }], constants: [{ dtype: 'float32', shape: [], data: Float32Array.of((r() < 0.5 ? -1 : 1) * (0.3 + 5 * r())) }],
      outShape: [2, 10], output: q(r, 0.005, 0.05),
    }),
  },
  {
    name: 'Div by a per-channel constant (MUL by the reciprocal)', op: 'MUL',
    spec: (r) => ({
      opType: 'Div', inputs: [{ shape: [1, 4, 3] , q: q(r, 0.01, 0.1) }], constants: [{ dtype: 'float32', shape: [4, 1], data: Float32Array.from({ length: 4 }, () => 0.5 + 4 * r()) }],
      outShape: [1, 4, 3], output: q(r, 0.005, 0.05),
    }),
  },
];

const matmul = (a: number[], b: number[], out: number[]) => (r: Rand): SingleOpSpec => ({
  opType: 'MatMul', inputs: [{ shape: a, q: q(r, 0.01, 0.1) }, { shape: b, q: q(r, 0.01, 0.1) }], outShape: out, output: q(r, 0.05, 0.5),
});
ROWS.push(
  { name: 'MatMul of two activations [3, 4] x [4, 5]', op: 'BATCH_MATMUL', spec: matmul([3, 4], [4, 5], [3, 5]) },
  { name: 'MatMul, batches [2, 3, 8] x [2, 8, 4]', op: 'BATCH_MATMUL', spec: matmul([2, 3, 8], [2, 8, 4], [2, 3, 4]) },
  { name: 'MatMul, broadcast batches [2, 1, 3, 4] x [3, 4, 2]', op: 'BATCH_MATMUL', spec: matmul([2, 1, 3, 4], [3, 4, 2], [2, 3, 3, 2]) },
);

const concat = (shapes: number[][], axis: number, out: number[]) => (r: Rand): SingleOpSpec => {
  const p = q(r, 0.01, 0.1);
  return { opType: 'Concat', attributes: [attr.int('axis', axis)], inputs: shapes.map((shape) => ({ shape, q: p })), outShape: out, output: p };
};
ROWS.push(
  { name: 'Concat, one scale (a copy)', op: 'CONCATENATION', spec: concat([[1, 2, 3], [1, 4, 3]], 1, [1, 6, 3]), options: { axis: 1 } },
  // TFLite's int8 CONCATENATION requires every input at the output's scale and zero point (its
  // Prepare refuses others); qgc's requantizing concat of differing scales has no TFLite twin.
  { name: 'Concat along the last axis, one scale', op: 'CONCATENATION', spec: concat([[2, 3, 2], [2, 3, 1], [2, 3, 3]], 2, [2, 3, 6]), options: { axis: 2 } },
  {
    name: 'Transpose [2, 3, 4] by 2, 0, 1', op: 'TRANSPOSE',
    spec: (r) => {
      const p = q(r, 0.01, 0.1);
      return { opType: 'Transpose', attributes: [attr.ints('perm', [2, 0, 1])], inputs: [{ shape: [2, 3, 4], q: p }], outShape: [4, 2, 3], output: p };
    },
    extra: (node) => [{ shape: [3], dtype: 'int32', data: node.op === 'Transpose' ? node.attrs.perm : [], const: true }],
  },
  {
    name: 'Slice [2, 5, 6] with steps 1, -2, 3', op: 'STRIDED_SLICE',
    spec: (r) => {
      const p = q(r, 0.01, 0.1);
      const c = (data: number[]) => ({ dtype: 'int64' as const, shape: [3], data: Float64Array.from(data) });
      return {
        opType: 'Slice', inputs: [{ shape: [2, 5, 6], q: p }], constants: [c([0, 4, 1]), c([2, -100, 6]), c([0, 1, 2]), c([1, -2, 3])], outShape: [2, 3, 2], output: p,
      };
    },
    // TFLite's begin / end / strides: ends one step past the last element read (exclusive); a
    // walk down to index 0 ends far below -dim (TFLite clamps it to -1).
    extra: (node) => {
      if (node.op !== 'Slice') return [];
      const a = node.attrs;
      const ends = a.starts.map((s, i) => s + a.steps[i] * (a.shape[i] - 1) + Math.sign(a.steps[i])).map((e) => (e < 0 ? -1000 : e));
      return [a.starts, ends, a.steps].map((data) => ({ shape: [3], dtype: 'int32' as const, data, const: true }));
    },
  },
);

const CASES_PER_ROW = 5;

/** The lowered node's operands in the model's order: x<i> (activations) then c<i> (constants). */
function modelOrder(node: Node): string[] {
  const key = (n: string) => (n.startsWith('x') ? 0 : 100) + Number(/\d+/.exec(n)?.[0] ?? 0);
  return [...node.inputs].sort((a, b) => key(a) - key(b));
}

describe('int8 Add, Sub, Mul, Div, MatMul against tf.lite.Interpreter (reference kernels)', () => {
  it('every row: equal bytes on random single-op models', (ctx) => {
    needs(ctx, TFLITE);
    const runs: { row: Row; seed: number; graph: Graph; node: Node; values: Map<string, Value>; ours: Int8Array }[] = [];
    const cases: TfliteCase[] = [];
    ROWS.forEach((row, ri) => {
      for (let k = 0; k < CASES_PER_ROW; k++) {
        const seed = 7000 + 100 * ri + k;
        const r = uniform(seed);
        const spec = row.spec(r);
        const { graph, node } = lowerSingleOp(spec);
        expect(node.op, row.name).toBe(QOP[row.op]);
        const computed = node.inputs.filter((n) => !graph.tensors.get(n)!.data);
        const values = new Map<string, Value>(computed.map((n) => {
          const t = graph.tensors.get(n)!;
          return [n, { dtype: 'int8', shape: t.shape, data: Int8Array.from({ length: t.shape.reduce((a, b) => a * b, 1) }, () => int(r, -128, 127)) }];
        }));
        const sub: Graph = { ...graph, nodes: [node], inputs: computed, outputs: [node.outputs[0]] };
        const ours = runGraph(sub, values).get(node.outputs[0])!.data as Int8Array;
        runs.push({ row, seed, graph, node, values, ours });
        cases.push({
          op: row.op,
          options: { type: OPTIONS[row.op], ...row.options },
          // Broadcasting int8 Sub and int8 BatchMatMul need newer operator versions.
          version: row.op === 'SUB' ? 3 : 2,
          inputs: [...modelOrder(node).map((n) => (values.has(n) ? tfliteTensor(graph, n, values.get(n)) : tfliteTensor(graph, n, undefined, true))), ...(row.extra?.(node) ?? [])],
          outputs: [tfliteTensor(graph, node.outputs[0])],
        });
      }
    });
    const results = runTflite(cases);
    const tally = new Map<string, [number, number]>();
    runs.forEach((run, i) => {
      const res = results[i];
      if ('error' in res) throw new Error(`${run.row.name} (seed ${run.seed}): TFLite refused the model: ${res.error}`);
      const theirs = res.ref[0];
      expect(theirs.length, `${run.row.name} seed ${run.seed}`).toBe(run.ours.length);
      const single = run.row.op === 'MUL' ? mulSingle(run.graph, run.node, run.values) : run.row.op === 'BATCH_MATMUL' ? matMulSingle(run.graph, run.node, run.values) : undefined;
      let explained = 0;
      for (let j = 0; j < theirs.length; j++) {
        if (theirs[j] === run.ours[j]) continue;
        const why = `${run.row.name} (seed ${run.seed}) element ${j}: qgc ${run.ours[j]}, TFLite ${theirs[j]}`;
        expect(single, why).toBeDefined();
        expect([Math.abs(theirs[j] - run.ours[j]), single![j]], `${why}, single rounding ${single![j]}`).toEqual([1, theirs[j]]);
        explained++;
      }
      const [n, e] = tally.get(run.row.name) ?? [0, 0];
      tally.set(run.row.name, [n + theirs.length, e + explained]);
    });
    for (const [name, [n, explained]] of tally) expect(explained, name).toBeLessThanOrEqual(Math.ceil(n / 50));
    console.log([...tally].map(([name, [n, e]]) => `${name}: ${n - e}/${n} equal${e ? `, ${e} differ by one step where TFLite rounds once` : ''}`).join('\n'));
  }, 120_000);
});
