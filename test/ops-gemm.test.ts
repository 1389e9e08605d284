/** Gemm and MatMul: kernels against a naive reference (both the few-rows path and the
 * blocked path, every transpose and C broadcast), numpy matmul shape rules (1-D operands,
 * batch broadcasting), Gemm-6's broadcast attribute and importer errors. */
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../src/errors.js';
import { toNumbers, type DType } from '../src/ir/dtype.js';
import type { Node } from '../src/ir/graph.js';
import type { GemmAttrs } from '../src/ir/ops.js';
import { kernels } from '../src/interp/kernels.js';
import { runGraph } from '../src/interp/run.js';
import type { Value } from '../src/interp/types.js';
import { loadModelBytes } from '../src/onnx/load.js';
import { onnx } from '../src/onnx/proto.js';
import { onnxCodeOf } from '../src/onnx/tensor.js';
import { errorOf } from './support/errors.js';

const A = onnx.AttributeProto.AttributeType;
const int = (name: string, v: number) => ({ name, type: A.INT, i: v });
const flt = (name: string, v: number) => ({ name, type: A.FLOAT, f: v });
const vi = (name: string, dtype: DType, shape?: number[]) => ({
  name,
  type: { tensorType: { elemType: onnxCodeOf(dtype), ...(shape ? { shape: { dim: shape.map((d) => ({ dimValue: d })) } } : {}) } },
});

function model(op: string, inputs: string[], shapes: number[][], attrs: object[], opset = 13): Uint8Array {
  return onnx.ModelProto.encode({
    irVersion: 8,
    opsetImport: [{ domain: '', version: opset }],
    graph: {
      name: 'g',
      node: [{ name: 'n0', opType: op, input: inputs, output: ['y'], attribute: attrs }],
      input: inputs.filter((n) => n !== '').map((n, i) => vi(n, 'float32', shapes[i])),
      output: [vi('y', 'float32')],
    },
  }).finish();
}


function rand(shape: number[], seed: number): Value {
  const n = shape.reduce((p, d) => p * d, 1);
  const data = new Float32Array(n);
  let s = seed * 2654435761 >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = s / 2 ** 31 - 1;
  }
  return { dtype: 'float32', shape, data };
}

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, tol = 1e-5): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (Math.abs(got[i] - want[i]) > tol * (1 + Math.abs(want[i]))) throw new Error(`element ${i}: got ${got[i]}, want ${want[i]}`);
  }
}

const gemmNode = (attrs: GemmAttrs) => ({ name: 'g', op: 'Gemm', inputs: [], outputs: [], attrs }) as Node & { op: 'Gemm' };
const matmulNode = { name: 'm', op: 'MatMul', inputs: [], outputs: [], attrs: {} } as Node & { op: 'MatMul' };

describe('Gemm kernel', () => {
  const K = 7;
  const N = 6;
  for (const M of [1, 3, 9]) {
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        for (const cShape of [undefined, [], [1], [N], [1, N], [M, 1], [M, N]]) {
          it(`M=${M} transA=${transA} transB=${transB} C=${cShape ? `[${cShape.join(',')}]` : 'none'}`, () => {
            const a = rand(transA ? [K, M] : [M, K], 1);
            const b = rand(transB ? [N, K] : [K, N], 2);
            const c = cShape ? rand(cShape, 3) : undefined;
            const attrs = { alpha: 0.7, beta: -1.3, transA, transB };
            const [y] = kernels.Gemm(gemmNode(attrs), [a, b, c]);
            expect(y.shape).toEqual([M, N]);
            const want: number[] = [];
            for (let i = 0; i < M; i++) {
              for (let j = 0; j < N; j++) {
                let s = 0;
                for (let k = 0; k < K; k++) s += (a.data[transA ? k * M + i : i * K + k] as number) * (b.data[transB ? j * K + k : k * N + j] as number);
                let cv = 0;
                if (c && cShape) {
                  const cm = cShape.length === 2 ? cShape[0] : 1;
                  const cn = cShape.length >= 1 ? cShape[cShape.length - 1] : 1;
                  cv = c.data[(cm === 1 ? 0 : i) * cn + (cn === 1 ? 0 : j)] as number;
                }
                want.push(0.7 * s + (c ? -1.3 * cv : 0));
              }
            }
            expectClose(y.data as Float32Array, want);
          });
        }
      }
    }
  }
});

describe('MatMul', () => {
  const naive = (a: Value, b: Value, batchA: number[], batchB: number[], M: number, K: number, N: number, batch: number[]) => {
    const out: number[] = [];
    const nb = batch.reduce((p, d) => p * d, 1);
    for (let t = 0; t < nb; t++) {
      // Batch index of each operand (broadcast).
      let ta = 0;
      let tb = 0;
      let rest = t;
      const idx: number[] = [];
      for (let d = batch.length - 1; d >= 0; d--) {
        idx[d] = rest % batch[d];
        rest = Math.floor(rest / batch[d]);
      }
      for (let d = 0; d < batch.length; d++) {
        const da = batchA[d - (batch.length - batchA.length)] ?? 1;
        const db = batchB[d - (batch.length - batchB.length)] ?? 1;
        if (d >= batch.length - batchA.length) ta = ta * da + (da === 1 ? 0 : idx[d]);
        if (d >= batch.length - batchB.length) tb = tb * db + (db === 1 ? 0 : idx[d]);
      }
      for (let i = 0; i < M; i++) {
        for (let j = 0; j < N; j++) {
          let s = 0;
          for (let k = 0; k < K; k++) s += (a.data[(ta * M + i) * K + k] as number) * (b.data[(tb * K + k) * N + j] as number);
          out.push(s);
        }
      }
    }
    return out;
  };

  const cases: [number[], number[], number[]][] = [
    [[4], [4], []],
    [[4], [2, 4, 3], [2, 3]],
    [[2, 3, 4], [4], [2, 3]],
    [[4], [4, 3], [3]],
    [[3, 4], [4], [3]],
    [[2, 1, 3, 4], [5, 4, 6], [2, 5, 3, 6]],
    [[1, 6, 5], [3, 5, 2], [3, 6, 2]],
    [[9, 5], [5, 7], [9, 7]],
    [[2, 9, 5], [1, 5, 7], [2, 9, 7]],
  ];
  for (const [sa, sb, want] of cases) {
    it(`[${sa}] x [${sb}] -> [${want}]`, () => {
      const a = rand(sa, 4);
      const b = rand(sb, 5);
      const [y] = kernels.MatMul(matmulNode, [a, b]);
      expect(y.shape).toEqual(want);
      const a2 = sa.length === 1 ? [1, sa[0]] : sa;
      const b2 = sb.length === 1 ? [sb[0], 1] : sb;
      const M = a2[a2.length - 2];
      const K = a2[a2.length - 1];
      const N = b2[b2.length - 1];
      const batchA = a2.slice(0, -2);
      const batchB = b2.slice(0, -2);
      const rank = Math.max(batchA.length, batchB.length);
      const batch = Array.from({ length: rank }, (_, i) => Math.max(batchA[i - (rank - batchA.length)] ?? 1, batchB[i - (rank - batchB.length)] ?? 1));
      expectClose(y.data as Float32Array, naive(a, b, batchA, batchB, M, K, N, batch));
      // The importer infers the same shape.
      const g = loadModelBytes(model('MatMul', ['a', 'b'], [sa, sb], [])).graph;
      expect(g.tensors.get('y')!.shape).toEqual(want);
    });
  }

  it('rejects shapes that do not multiply, naming the node', () => {
    const e = errorOf(() => loadModelBytes(model('MatMul', ['a', 'b'], [[2, 3], [4, 5]], [])));
    expect(e.code).toBe(ErrorCode.ShapeMismatch);
    expect(e.where).toMatchObject({ node: 'n0', op: 'MatMul' });
    const e2 = errorOf(() => loadModelBytes(model('MatMul', ['a', 'b'], [[7, 1, 4], [3, 4, 2]], [])));
    expect(e2.code).toBe(ErrorCode.ShapeMismatch);
  });
});

describe('Gemm importer', () => {
  it('infers the shape with transposes and runs', () => {
    const g = loadModelBytes(model('Gemm', ['a', 'b', 'c'], [[3, 2], [4, 3], [4]], [int('transA', 1), int('transB', 1), flt('alpha', 2)])).graph;
    expect(g.tensors.get('y')!.shape).toEqual([2, 4]);
    const a: Value = { dtype: 'float32', shape: [3, 2], data: Float32Array.from([1, 2, 3, 4, 5, 6]) };
    const b: Value = { dtype: 'float32', shape: [4, 3], data: Float32Array.from([1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1]) };
    const c: Value = { dtype: 'float32', shape: [4], data: Float32Array.from([0, 0, 0, 100]) };
    const y = runGraph(g, new Map([['a', a], ['b', b], ['c', c]])).get('y')!;
    // A' = [[1,3,5],[2,4,6]]; A'B' = [[1,3,5,9],[2,4,6,12]]
    expect(toNumbers(y.data)).toEqual([2, 6, 10, 118, 4, 8, 12, 124]);
  });

  it('rejects a C that does not broadcast to [M, N]', () => {
    const e = errorOf(() => loadModelBytes(model('Gemm', ['a', 'b', 'c'], [[2, 3], [3, 4], [3]], [])));
    expect(e.code).toBe(ErrorCode.ShapeMismatch);
    expect(e.where).toMatchObject({ node: 'n0', op: 'Gemm' });
  });

  it('Gemm-6 broadcasts C only with broadcast=1', () => {
    const spec = (attrs: object[]) => model('Gemm', ['a', 'b', 'c'], [[2, 3], [3, 4], [4]], attrs, 6);
    expect(loadModelBytes(spec([int('broadcast', 1)])).graph.tensors.get('y')!.shape).toEqual([2, 4]);
    expect(errorOf(() => loadModelBytes(spec([]))).code).toBe(ErrorCode.ShapeMismatch);
    // broadcast is not an attribute of Gemm-7 and later.
    expect(errorOf(() => loadModelBytes(model('Gemm', ['a', 'b', 'c'], [[2, 3], [3, 4], [4]], [int('broadcast', 1)], 7))).message).toMatch(/broadcast/);
  });

  it('C is optional from opset 11 only', () => {
    expect(loadModelBytes(model('Gemm', ['a', 'b'], [[2, 3], [3, 4]], [], 11)).graph.tensors.get('y')!.shape).toEqual([2, 4]);
    expect(errorOf(() => loadModelBytes(model('Gemm', ['a', 'b'], [[2, 3], [3, 4]], [], 9))).code).toBe(ErrorCode.BadGraph);
  });

  it('rejects non-matrix operands', () => {
    const e = errorOf(() => loadModelBytes(model('Gemm', ['a', 'b'], [[2, 3, 1], [3, 4]], [])));
    expect(e.code).toBe(ErrorCode.ShapeMismatch);
    expect(e.message).toMatch(/matrix/);
  });
});
