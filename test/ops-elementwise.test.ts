/** Elementwise family: integer semantics of Add/Sub/Mul/Div, broadcasting against a naive
 * reference, float16 rounding, and Cast's conversion rules; importer errors. */
import { describe, expect, it } from 'vitest';
import { CompileError, ErrorCode } from '../src/errors.js';
import { allocate, type DType, type TensorData } from '../src/ir/dtype.js';
import { elementCount, stridesOf, type NodeOf } from '../src/ir/graph.js';
import { binary, elementwiseKernels, planBroadcast } from '../src/interp/elementwise.js';
import { roundToFloat16 } from '../src/interp/util.js';
import { runGraph } from '../src/interp/run.js';
import type { Value } from '../src/interp/types.js';
import { loadModelBytes } from '../src/onnx/load.js';
import { onnx } from '../src/onnx/proto.js';
import { onnxCodeOf } from '../src/onnx/tensor.js';

function val(dtype: DType, shape: number[], values: readonly (number | bigint)[]): Value {
  const data = allocate(dtype, values.length) as TensorData;
  values.forEach((v, i) => ((data as unknown as { [i: number]: unknown })[i] = typeof data[0] === 'bigint' ? BigInt(v) : Number(v)));
  return { dtype, shape, data };
}

const list = (v: Value) => Array.from(v.data as ArrayLike<number | bigint>);

describe('binary ops: integer semantics', () => {
  it('integer Div truncates toward zero', () => {
    const a = val('int32', [4], [7, -7, 7, -7]);
    const b = val('int32', [4], [2, 2, -2, -2]);
    expect(list(binary('Div', a, b))).toEqual([3, -3, -3, 3]);
    const a64 = val('int64', [4], [7, -7, 7, -7]);
    const b64 = val('int64', [4], [2, 2, -2, -2]);
    expect(list(binary('Div', a64, b64))).toEqual([3n, -3n, -3n, 3n]);
  });

  it('integer results wrap to the dtype', () => {
    expect(list(binary('Add', val('int8', [2], [100, -100]), val('int8', [2], [100, -100])))).toEqual([-56, 56]);
    expect(list(binary('Sub', val('uint8', [1], [1]), val('uint8', [1], [2])))).toEqual([255]);
    // 2^31 - 1 squared: exact low 32 bits, not a rounded double.
    expect(list(binary('Mul', val('int32', [1], [2147483647]), val('int32', [1], [2147483647])))).toEqual([1]);
    expect(list(binary('Mul', val('uint32', [1], [4294967295]), val('uint32', [1], [4294967295])))).toEqual([1]);
    expect(list(binary('Div', val('int8', [1], [-128]), val('int8', [1], [-1])))).toEqual([-128]);
    const big = val('int64', [1], [2n ** 62n]);
    expect(list(binary('Mul', big, val('int64', [1], [4n])))).toEqual([0n]);
    expect(list(binary('Add', val('int64', [1], [2n ** 63n - 1n]), val('int64', [1], [1n])))).toEqual([-(2n ** 63n)]);
  });

  it('integer division by zero gives 0 instead of throwing', () => {
    expect(list(binary('Div', val('int32', [2], [5, 0]), val('int32', [2], [0, 0])))).toEqual([0, 0]);
    expect(list(binary('Div', val('int64', [1], [5n]), val('int64', [1], [0n])))).toEqual([0n]);
  });
});

describe('binary ops: broadcasting', () => {
  /** Naive numpy broadcast of a + 10*b, one output element at a time. */
  function naive(aShape: number[], a: Float64Array, bShape: number[], b: Float64Array): { shape: number[]; data: number[] } {
    const rank = Math.max(aShape.length, bShape.length);
    const pad = (s: number[]) => [...new Array<number>(rank - s.length).fill(1), ...s];
    const pa = pad(aShape);
    const pb = pad(bShape);
    const shape = pa.map((d, i) => Math.max(d, pb[i]));
    const sa = stridesOf(pa);
    const sb = stridesOf(pb);
    const os = stridesOf(shape);
    const data: number[] = [];
    for (let k = 0; k < elementCount(shape); k++) {
      let ia = 0;
      let ib = 0;
      for (let d = 0; d < rank; d++) {
        const c = Math.floor(k / os[d]) % shape[d];
        if (pa[d] !== 1) ia += c * sa[d];
        if (pb[d] !== 1) ib += c * sb[d];
      }
      data.push(a[ia] + 10 * b[ib]);
    }
    return { shape, data };
  }

  it('matches a naive reference on many shape pairs', () => {
    let seed = 1;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    for (let t = 0; t < 300; t++) {
      const rank = rnd(5);
      const full = Array.from({ length: rank }, () => 1 + rnd(4));
      const pick = () => full.slice(rnd(rank + 1)).map((d) => (rnd(3) === 0 ? 1 : d));
      const as = pick();
      const bs = pick();
      const a = Float64Array.from({ length: elementCount(as) }, (_, i) => i + 1);
      const b = Float64Array.from({ length: elementCount(bs) }, (_, i) => i + 1);
      const got = binary('Add', { dtype: 'float64', shape: as, data: a }, { dtype: 'float64', shape: bs, data: b.map((v) => 10 * v) });
      const want = naive(as, a, bs, b);
      expect(got.shape).toEqual(want.shape);
      expect(Array.from(got.data as Float64Array)).toEqual(want.data);
    }
  });

  it('merges contiguous dims into one long inner loop', () => {
    const p = planBroadcast([2, 3, 4, 5], [3, 1, 1]);
    expect(p.inner).toBe(20);
    expect(p.aStep).toBe(1);
    expect(p.bStep).toBe(0);
    expect(planBroadcast([2, 3], [2, 3]).inner).toBe(6);
  });
});

describe('float16', () => {
  it('rounds to nearest even, overflows to Infinity', () => {
    expect(roundToFloat16(1 + 2 ** -11)).toBe(1); // halfway: ties to even
    expect(roundToFloat16(1 + 3 * 2 ** -11)).toBe(1 + 2 ** -9);
    expect(roundToFloat16(65504)).toBe(65504);
    expect(roundToFloat16(65519)).toBe(65504);
    expect(roundToFloat16(65520)).toBe(Infinity);
    expect(roundToFloat16(2 ** -25)).toBe(0); // half the smallest subnormal: ties to even (0)
    expect(roundToFloat16(3 * 2 ** -26)).toBe(2 ** -24);
    expect(roundToFloat16(-0.1)).toBeCloseTo(-0.0999755859375, 12);
    expect(Number.isNaN(roundToFloat16(NaN))).toBe(true);
  });

  it('Add on float16 rounds the sum to half precision', () => {
    const a = { dtype: 'float16' as const, shape: [1], data: Float32Array.of(2048) };
    const b = { dtype: 'float16' as const, shape: [1], data: Float32Array.of(1) };
    // 2049 is not a float16; it ties to 2048 (even).
    expect(list(binary('Add', a, b))).toEqual([2048]);
  });
});

describe('Cast', () => {
  const castNode = (to: DType): NodeOf<'Cast'> => ({ name: 'c', op: 'Cast', inputs: ['x'], outputs: ['y'], attrs: { to } });
  const run = (x: Value, to: DType) => list(elementwiseKernels.Cast(castNode(to), [x])[0]);

  it('float to int truncates toward zero and saturates out of range', () => {
    const x = val('float32', [7], [1.9, -1.9, 300, -300, NaN, Infinity, -0.5]);
    expect(run(x, 'int8')).toEqual([1, -1, 127, -128, 0, 127, 0]);
    expect(run(x, 'uint8')).toEqual([1, 0, 255, 0, 0, 255, 0]);
    expect(run(val('float64', [3], [1e30, -1e30, -2.5]), 'int64')).toEqual([2n ** 63n - 1n, -(2n ** 63n), -2n]);
    expect(run(val('float32', [2], [9.7, -9.7]), 'int4')).toEqual([7, -8]);
  });

  it('int to int keeps the low bits', () => {
    expect(run(val('int16', [2], [200, -129]), 'int8')).toEqual([-56, 127]);
    expect(run(val('int64', [2], [2n ** 32n + 5n, -1n]), 'int32')).toEqual([5, -1]);
    expect(run(val('int64', [1], [-1n]), 'uint64')).toEqual([2n ** 64n - 1n]);
    expect(run(val('int32', [2], [9, -9]), 'int4')).toEqual([-7, 7]);
    expect(run(val('int32', [1], [17]), 'uint4')).toEqual([1]);
  });

  it('to and from bool', () => {
    expect(run(val('float32', [4], [0, -0, NaN, 0.1]), 'bool')).toEqual([0, 0, 1, 1]);
    expect(run(val('int64', [2], [0n, 5n]), 'bool')).toEqual([0, 1]);
    expect(run(val('bool', [2], [0, 1]), 'float32')).toEqual([0, 1]);
  });

  it('to float16 rounds to half precision', () => {
    expect(run(val('float64', [3], [0.1, 70000, 1 + 2 ** -11]), 'float16')).toEqual([roundToFloat16(0.1), Infinity, 1]);
    expect(run(val('int64', [1], [4097n]), 'float16')).toEqual([4096]);
  });
});

describe('importers', () => {
  const T = onnx.AttributeProto.AttributeType;
  const vi = (name: string, dtype: DType, shape: number[]) => ({
    name,
    type: { tensorType: { elemType: onnxCodeOf(dtype), shape: { dim: shape.map((d) => ({ dimValue: d })) } } },
  });
  function model(node: object, inputs: object[], outputs: object[], opset = 17): Uint8Array {
    return onnx.ModelProto.encode({
      irVersion: 8,
      opsetImport: [{ domain: '', version: opset }],
      graph: { name: 'g', node: [node], input: inputs, output: outputs },
    }).finish();
  }

  it('rejects mismatched dtypes, naming the node and op', () => {
    const bytes = model({ name: 'add1', opType: 'Add', input: ['a', 'b'], output: ['c'] },
      [vi('a', 'float32', [2]), vi('b', 'int32', [2])], [vi('c', 'float32', [2])]);
    try {
      loadModelBytes(bytes);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(CompileError);
      const err = e as CompileError;
      expect(err.code).toBe(ErrorCode.UnsupportedDType);
      expect(err.where).toMatchObject({ node: 'add1', op: 'Add' });
    }
  });

  it('rejects shapes that do not broadcast', () => {
    const bytes = model({ name: 'm', opType: 'Mul', input: ['a', 'b'], output: ['c'] },
      [vi('a', 'float32', [2, 3]), vi('b', 'float32', [2])], [vi('c', 'float32', [2, 3])]);
    expect(() => loadModelBytes(bytes)).toThrow(/do not broadcast/);
  });

  it('infers the broadcast shape', () => {
    const bytes = model({ name: 's', opType: 'Sub', input: ['a', 'b'], output: ['c'] },
      [vi('a', 'int32', [4, 1, 3]), vi('b', 'int32', [5, 1])], [vi('c', 'int32', [4, 5, 3])]);
    const g = loadModelBytes(bytes).graph;
    expect(g.tensors.get('c')!.shape).toEqual([4, 5, 3]);
  });

  it('Cast to the type its input already has imports as Identity (torch.onnx writes one between QuantizeLinear and DequantizeLinear)', () => {
    const same = model({ name: 'cst', opType: 'Cast', input: ['a'], output: ['c'], attribute: [{ name: 'to', type: T.INT, i: 2 }] },
      [vi('a', 'uint8', [3])], [vi('c', 'uint8', [3])]);
    const g = loadModelBytes(same).graph;
    expect(g.nodes.map((n) => [n.op, n.name])).toEqual([['Identity', 'cst']]);
    expect(g.tensors.get('c')!.dtype).toBe('uint8');
    const y = runGraph(g, new Map([['a', val('uint8', [3], [0, 7, 255])]])).get('c')!;
    expect([y.dtype, ...list(y)]).toEqual(['uint8', 0, 7, 255]);
    // A Cast that converts stays a Cast.
    const other = model({ name: 'cst', opType: 'Cast', input: ['a'], output: ['c'], attribute: [{ name: 'to', type: T.INT, i: 1 }] },
      [vi('a', 'uint8', [3])], [vi('c', 'float32', [3])]);
    expect(loadModelBytes(other).graph.nodes.map((n) => n.op)).toEqual(['Cast']);
  });

  it('Cast to an unsupported type names the node', () => {
    const bytes = model({ name: 'cst', opType: 'Cast', input: ['a'], output: ['c'], attribute: [{ name: 'to', type: T.INT, i: 16 }] },
      [vi('a', 'float32', [2])], [vi('c', 'float32', [2])]);
    let formatted = '';
    try {
      loadModelBytes(bytes);
    } catch (e) {
      formatted = (e as CompileError).format();
    }
    expect(formatted).toMatch(/^error QGC1105: node 'cst' \(Cast\): cannot cast to element type BFLOAT16/);
  });
});
