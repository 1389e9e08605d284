/** Conv and pooling: kernels against a naive N-D reference written from the ONNX definition
 * (groups, depthwise, dilations, strides, asymmetric pads, ceil_mode, count_include_pad,
 * tiling of large convs), importer shape inference (auto_pad) and importer errors. */
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../src/errors.js';
import { toNumbers, type DType } from '../src/ir/dtype.js';
import type { Node } from '../src/ir/graph.js';
import type { ConvAttrs, PoolAttrs } from '../src/ir/ops.js';
import { kernels } from '../src/interp/kernels.js';
import { runGraph } from '../src/interp/run.js';
import type { Value } from '../src/interp/types.js';
import { loadModelBytes } from '../src/onnx/load.js';
import { onnx } from '../src/onnx/proto.js';
import { onnxCodeOf } from '../src/onnx/tensor.js';
import { errorOf } from './support/errors.js';

const A = onnx.AttributeProto.AttributeType;
const ints = (name: string, v: number[]) => ({ name, type: A.INTS, ints: v });
const int = (name: string, v: number) => ({ name, type: A.INT, i: v });
const str = (name: string, v: string) => ({ name, type: A.STRING, s: Buffer.from(v) });
const vi = (name: string, dtype: DType, shape?: number[]) => ({
  name,
  type: { tensorType: { elemType: onnxCodeOf(dtype), ...(shape ? { shape: { dim: shape.map((d) => ({ dimValue: d })) } } : {}) } },
});

/** A one-node model: graph inputs named by `inputs` with `shapes`, output 'y'. */
function model(op: string, inputs: string[], shapes: number[][], attrs: object[], opset = 13, outputs = ['y']): Uint8Array {
  return onnx.ModelProto.encode({
    irVersion: 8,
    opsetImport: [{ domain: '', version: opset }],
    graph: {
      name: 'g',
      node: [{ name: 'n0', opType: op, input: inputs, output: outputs, attribute: attrs }],
      input: inputs.filter((n) => n !== '').map((n, i) => vi(n, 'float32', shapes[i])),
      output: outputs.filter((n) => n !== '').map((n) => vi(n, 'float32')),
    },
  }).finish();
}


/** Deterministic pseudo-random float32 values in [-1, 1). */
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

const prod = (xs: readonly number[]) => xs.reduce((p, d) => p * d, 1);

/** All multi-indices of `dims`, row-major. */
function* grid(dims: readonly number[]): Generator<number[]> {
  const idx = dims.map(() => 0);
  for (let i = 0; i < prod(dims); i++) {
    yield [...idx];
    for (let d = dims.length - 1; d >= 0; d--) {
      if (++idx[d] < dims[d]) break;
      idx[d] = 0;
    }
  }
}

const flat = (idx: readonly number[], dims: readonly number[]) => idx.reduce((f, v, d) => f * dims[d] + v, 0);

/** Naive Conv straight from the definition. */
function refConv(x: Value, w: Value, b: Value | undefined, a: ConvAttrs, outSpatial: number[]): number[] {
  const [N, C] = x.shape;
  const M = w.shape[0];
  const Cg = C / a.group;
  const Mg = M / a.group;
  const sp = x.shape.slice(2);
  const nd = sp.length;
  const out: number[] = [];
  for (let n = 0; n < N; n++) {
    for (let m = 0; m < M; m++) {
      const g = Math.floor(m / Mg);
      for (const o of grid(outSpatial)) {
        let s = b ? b.data[m] as number : 0;
        for (let c = 0; c < Cg; c++) {
          for (const k of grid(a.kernel)) {
            const pos = o.map((od, d) => od * a.strides[d] - a.pads[d] + k[d] * a.dilations[d]);
            if (pos.some((p, d) => p < 0 || p >= sp[d])) continue;
            const xi = (n * C + g * Cg + c) * prod(sp) + flat(pos, sp);
            const wi = (m * Cg + c) * prod(a.kernel) + flat(k, a.kernel);
            s += (x.data[xi] as number) * (w.data[wi] as number);
          }
        }
        out.push(s);
      }
    }
  }
  void nd;
  return out;
}

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, tol = 1e-4): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (Math.abs(got[i] - want[i]) > tol * (1 + Math.abs(want[i]))) {
      throw new Error(`element ${i}: got ${got[i]}, want ${want[i]}`);
    }
  }
}

const convNode = (attrs: ConvAttrs) => ({ name: 'c', op: 'Conv', inputs: [], outputs: [], attrs }) as Node & { op: 'Conv' };
const poolNode = <K extends 'MaxPool' | 'AveragePool'>(op: K, attrs: PoolAttrs) => ({ name: 'p', op, inputs: [], outputs: [], attrs }) as Node & { op: K };

describe('Conv kernel', () => {
  const cases: { name: string; x: number[]; w: number[]; bias: boolean; a: Omit<ConvAttrs, 'kernel'> }[] = [
    { name: '2-D plain', x: [2, 3, 7, 8], w: [4, 3, 3, 3], bias: true, a: { group: 1, strides: [1, 1], dilations: [1, 1], pads: [0, 0, 0, 0] } },
    { name: '2-D groups, strides, dilations, asymmetric pads', x: [1, 6, 9, 9], w: [4, 3, 3, 2], bias: true, a: { group: 2, strides: [2, 1], dilations: [1, 2], pads: [1, 0, 2, 1] } },
    { name: 'depthwise', x: [2, 8, 10, 10], w: [8, 1, 3, 3], bias: true, a: { group: 8, strides: [1, 1], dilations: [1, 1], pads: [1, 1, 1, 1] } },
    { name: 'depthwise with multiplier 3, stride 2', x: [1, 4, 10, 11], w: [12, 1, 3, 3], bias: false, a: { group: 4, strides: [2, 2], dilations: [1, 1], pads: [0, 1, 1, 1] } },
    { name: '1x1', x: [2, 16, 5, 5], w: [8, 16, 1, 1], bias: true, a: { group: 1, strides: [1, 1], dilations: [1, 1], pads: [0, 0, 0, 0] } },
    { name: '1x1 grouped with stride', x: [1, 8, 6, 7], w: [6, 4, 1, 1], bias: false, a: { group: 2, strides: [2, 3], dilations: [1, 1], pads: [0, 0, 0, 0] } },
    { name: '1-D', x: [2, 3, 20], w: [5, 3, 4], bias: true, a: { group: 1, strides: [3], dilations: [2], pads: [2, 1] } },
    { name: '3-D grouped', x: [1, 4, 6, 7, 5], w: [6, 2, 3, 2, 2], bias: true, a: { group: 2, strides: [1, 2, 1], dilations: [1, 1, 2], pads: [1, 0, 1, 1, 1, 0] } },
    // Large enough that the column matrix is split into several row tiles.
    { name: 'tiled (many channels)', x: [1, 64, 25, 19], w: [7, 64, 3, 3], bias: true, a: { group: 1, strides: [1, 1], dilations: [1, 1], pads: [1, 1, 1, 1] } },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const x = rand(c.x, 1);
      const w = rand(c.w, 2);
      const b = c.bias ? rand([c.w[0]], 3) : undefined;
      const a: ConvAttrs = { ...c.a, kernel: c.w.slice(2) };
      const [y] = kernels.Conv(convNode(a), [x, w, b]);
      const nd = c.x.length - 2;
      const outSpatial = c.x.slice(2).map((d, i) => Math.floor((d + a.pads[i] + a.pads[i + nd] - ((a.kernel[i] - 1) * a.dilations[i] + 1)) / a.strides[i]) + 1);
      expect(y.shape).toEqual([c.x[0], c.w[0], ...outSpatial]);
      expect(y.dtype).toBe('float32');
      expectClose(y.data as Float32Array, refConv(x, w, b, a, outSpatial));
    });
  }

  it('does not modify its inputs', () => {
    const x = rand([1, 2, 5, 5], 4);
    const w = rand([3, 2, 3, 3], 5);
    const before = [Array.from(x.data as Float32Array), Array.from(w.data as Float32Array)];
    kernels.Conv(convNode({ group: 1, kernel: [3, 3], strides: [1, 1], dilations: [1, 1], pads: [1, 1, 1, 1] }), [x, w]);
    expect([Array.from(x.data as Float32Array), Array.from(w.data as Float32Array)]).toEqual(before);
  });

  it('propagates NaN and Inf like a plain sum of products', () => {
    const x: Value = { dtype: 'float32', shape: [1, 1, 1, 2], data: Float32Array.from([Infinity, 1]) };
    const w: Value = { dtype: 'float32', shape: [1, 1, 1, 1], data: Float32Array.from([0]) };
    const [y] = kernels.Conv(convNode({ group: 1, kernel: [1, 1], strides: [1, 1], dilations: [1, 1], pads: [0, 0, 0, 0] }), [x, w]);
    expect(Number.isNaN(y.data[0])).toBe(true); // 0 * Inf
    expect(y.data[1]).toBe(0);
  });
});

describe('Conv importer', () => {
  const conv = (attrs: object[], x = [1, 2, 8, 9], w = [3, 2, 4, 4], opset = 13) =>
    loadModelBytes(model('Conv', ['x', 'w'], [x, w], attrs, opset)).graph;

  it('resolves auto_pad to explicit pads and infers the output shape', () => {
    const lower = conv([str('auto_pad', 'SAME_LOWER'), ints('strides', [3, 2])]);
    expect(lower.tensors.get('y')!.shape).toEqual([1, 3, 3, 5]);
    // H: out 3, total pad (3-1)*3+4-8 = 2 -> [1, 1]; W: out 5, total (5-1)*2+4-9 = 3 -> lower puts 2 first.
    expect(lower.nodes[0].attrs).toMatchObject({ kernel: [4, 4], pads: [1, 2, 1, 1], group: 1 });
    const upper = conv([str('auto_pad', 'SAME_UPPER'), ints('strides', [3, 2])]);
    expect(upper.nodes[0].attrs).toMatchObject({ pads: [1, 1, 1, 2] });
    const valid = conv([str('auto_pad', 'VALID'), ints('strides', [3, 2])]);
    expect(valid.tensors.get('y')!.shape).toEqual([1, 3, 2, 3]);
  });

  it('runs end to end with the weight as a graph input', () => {
    const g = conv([ints('pads', [1, 1, 1, 1])], [1, 1, 3, 3], [1, 1, 3, 3]);
    const x: Value = { dtype: 'float32', shape: [1, 1, 3, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]) };
    const w: Value = { dtype: 'float32', shape: [1, 1, 3, 3], data: new Float32Array(9).fill(1) };
    const y = runGraph(g, new Map([['x', x], ['w', w]])).get('y')!;
    expect(toNumbers(y.data)).toEqual([12, 21, 16, 27, 45, 33, 24, 39, 28]);
  });

  it('rejects a weight whose channels do not match the input, naming the node', () => {
    const e = errorOf(() => conv([], [1, 3, 8, 8], [4, 2, 3, 3]));
    expect(e.code).toBe(ErrorCode.ShapeMismatch);
    expect(e.where).toMatchObject({ node: 'n0', op: 'Conv' });
    expect(e.message).toMatch(/channels/);
  });

  it('rejects a group that does not divide the channels', () => {
    const e = errorOf(() => conv([int('group', 3)], [1, 4, 8, 8], [4, 2, 3, 3]));
    expect(e.code).toBe(ErrorCode.BadAttribute);
    expect(e.message).toMatch(/group/);
  });

  it('rejects kernel_shape that disagrees with the weight', () => {
    const e = errorOf(() => conv([ints('kernel_shape', [3, 3])]));
    expect(e.code).toBe(ErrorCode.BadAttribute);
    expect(e.message).toMatch(/kernel_shape/);
  });

  it('rejects a window larger than the padded input', () => {
    const e = errorOf(() => conv([], [1, 2, 3, 3], [3, 2, 4, 4]));
    expect(e.code).toBe(ErrorCode.ShapeMismatch);
  });
});

/** Naive pooling from the definition: `mode` max or avg; `cip` count_include_pad. */
function refPool(x: Value, a: PoolAttrs, mode: 'max' | 'avg', outSpatial: number[]): number[] {
  const [N, C] = x.shape;
  const sp = x.shape.slice(2);
  const nd = sp.length;
  const out: number[] = [];
  for (let nc = 0; nc < N * C; nc++) {
    for (const o of grid(outSpatial)) {
      let m = -Infinity;
      let s = 0;
      let cnt = 0;
      let cntPad = 0;
      for (const k of grid(a.kernel)) {
        const pos = o.map((od, d) => od * a.strides[d] - a.pads[d] + k[d] * a.dilations[d]);
        if (pos.every((p, d) => p >= -a.pads[d] && p < sp[d] + a.pads[d + nd])) cntPad++;
        if (pos.some((p, d) => p < 0 || p >= sp[d])) continue;
        const v = x.data[nc * prod(sp) + flat(pos, sp)] as number;
        m = Math.max(m, v);
        s += v;
        cnt++;
      }
      out.push(mode === 'max' ? m : s / (a.countIncludePad ? cntPad : cnt));
    }
  }
  return out;
}

describe('pooling kernels', () => {
  const base = { dilations: [1, 1], pads: [0, 0, 0, 0], strides: [1, 1], ceilMode: false, countIncludePad: false };
  const cases: { name: string; x: number[]; a: PoolAttrs; out: number[] }[] = [
    { name: 'plain 3x3 stride 2', x: [2, 3, 11, 10], a: { ...base, kernel: [3, 3], strides: [2, 2] }, out: [5, 4] },
    { name: 'ceil_mode', x: [1, 2, 11, 10], a: { ...base, kernel: [3, 3], strides: [2, 2], ceilMode: true }, out: [5, 5] },
    { name: 'ceil_mode with pads (last window dropped)', x: [1, 2, 11, 10], a: { ...base, kernel: [3, 2], strides: [3, 3], pads: [1, 1, 1, 0], ceilMode: true }, out: [4, 4] },
    { name: 'asymmetric pads', x: [1, 2, 11, 10], a: { ...base, kernel: [3, 3], strides: [2, 2], pads: [1, 2, 1, 0] }, out: [6, 5] },
    { name: 'dilations', x: [1, 2, 11, 10], a: { ...base, kernel: [3, 2], strides: [2, 1], dilations: [2, 3], pads: [2, 1, 1, 1] }, out: [5, 9] },
    { name: '1-D', x: [1, 2, 13], a: { ...base, kernel: [4], strides: [3], dilations: [1], pads: [1, 2] }, out: [5] },
    { name: '3-D with ceil_mode', x: [1, 2, 5, 6, 7], a: { ...base, kernel: [2, 3, 2], strides: [2, 2, 2], dilations: [1, 1, 1], pads: [1, 1, 0, 0, 1, 1], ceilMode: true }, out: [3, 4, 4] },
  ];
  for (const c of cases) {
    for (const cip of [false, true]) {
      it(`${c.name}${cip ? ' (count_include_pad)' : ''}`, () => {
        const x = rand(c.x, 7);
        const a = { ...c.a, countIncludePad: cip };
        const [avg] = kernels.AveragePool(poolNode('AveragePool', a), [x]);
        expect(avg.shape).toEqual([c.x[0], c.x[1], ...c.out]);
        expectClose(avg.data as Float32Array, refPool(x, a, 'avg', c.out));
        if (!cip) {
          const [mx] = kernels.MaxPool(poolNode('MaxPool', a), [x]);
          expect(mx.shape).toEqual(avg.shape);
          expectClose(mx.data as Float32Array, refPool(x, a, 'max', c.out), 0);
        }
      });
    }
  }

  it('count_include_pad counts explicit pads but never the ceil_mode overhang', () => {
    const x: Value = { dtype: 'float32', shape: [1, 1, 5], data: Float32Array.from([1, 2, 3, 4, 5]) };
    const avg = (a: Partial<PoolAttrs>) =>
      Array.from(kernels.AveragePool(poolNode('AveragePool', { kernel: [3], strides: [2], dilations: [1], pads: [1, 1], ceilMode: true, countIncludePad: true, ...a }), [x])[0].data as Float32Array);
    expect(avg({})).toEqual([1, 3, 3]); // windows (pad,1,2) (2,3,4) (4,5,pad)
    expect(avg({ countIncludePad: false })).toEqual([1.5, 3, 4.5]);
    // k=2, s=2, no pads, ceil: the third window (5, overhang) averages one element either way.
    expect(avg({ kernel: [2], pads: [0, 0] })).toEqual([1.5, 3.5, 5]);
    expect(avg({ kernel: [2], pads: [0, 0], countIncludePad: false })).toEqual([1.5, 3.5, 5]);
  });

  it('MaxPool keeps integer dtypes', () => {
    const x: Value = { dtype: 'uint8', shape: [1, 1, 2, 3], data: Uint8Array.from([1, 200, 3, 40, 5, 255]) };
    const [y] = kernels.MaxPool(poolNode('MaxPool', { ...base, kernel: [2, 2] }), [x]);
    expect(y.dtype).toBe('uint8');
    expect(y.data).toBeInstanceOf(Uint8Array);
    expect(Array.from(y.data as Uint8Array)).toEqual([200, 255]);
  });

  it('GlobalAveragePool averages every spatial dim', () => {
    const x = rand([2, 3, 4, 5, 6], 9);
    const [y] = kernels.GlobalAveragePool({ name: 'g', op: 'GlobalAveragePool', inputs: [], outputs: [], attrs: {} }, [x]);
    expect(y.shape).toEqual([2, 3, 1, 1, 1]);
    const want = Array.from({ length: 6 }, (_, c) => Array.from((x.data as Float32Array).subarray(c * 120, (c + 1) * 120)).reduce((s, v) => s + v, 0) / 120);
    expectClose(y.data as Float32Array, want);
  });
});

describe('pooling importers', () => {
  const pool = (op: string, attrs: object[], x = [1, 2, 11, 10], opset = 12, outputs = ['y']) =>
    loadModelBytes(model(op, ['x'], [x], attrs, opset, outputs)).graph;

  it('infers ceil_mode and SAME shapes', () => {
    expect(pool('MaxPool', [ints('kernel_shape', [3, 3]), ints('strides', [2, 2]), int('ceil_mode', 1)]).tensors.get('y')!.shape).toEqual([1, 2, 5, 5]);
    expect(pool('AveragePool', [ints('kernel_shape', [3, 3]), ints('strides', [2, 3]), str('auto_pad', 'SAME_UPPER')]).tensors.get('y')!.shape).toEqual([1, 2, 6, 4]);
    expect(pool('GlobalAveragePool', []).tensors.get('y')!.shape).toEqual([1, 2, 1, 1]);
  });

  it('accepts storage_order (it only affects the Indices output)', () => {
    const g = pool('MaxPool', [ints('kernel_shape', [2, 2]), int('storage_order', 0)]);
    expect(g.nodes[0].op).toBe('MaxPool');
  });

  it('rejects a requested Indices output clearly', () => {
    const e = errorOf(() => pool('MaxPool', [ints('kernel_shape', [2, 2])], undefined, 12, ['y', 'idx']));
    expect(e.where).toMatchObject({ node: 'n0', op: 'MaxPool' });
    expect(e.message).toMatch(/output 1/);
  });

  it('refuses attributes before the opset that defines them', () => {
    const avg = (opset: number) => pool('AveragePool', [ints('kernel_shape', [2, 2]), ints('dilations', [2, 2])], undefined, opset);
    expect(avg(19).tensors.get('y')!.shape).toEqual([1, 2, 9, 8]);
    const e = errorOf(() => avg(11));
    expect(e.code).toBe(ErrorCode.BadAttribute);
    expect(e.message).toMatch(/dilations.*opset 19/);
    expect(errorOf(() => pool('MaxPool', [ints('kernel_shape', [2, 2]), int('ceil_mode', 1)], undefined, 8)).message).toMatch(/ceil_mode/);
    expect(errorOf(() => pool('MaxPool', [ints('kernel_shape', [2, 2]), int('storage_order', 0)], undefined, 7)).message).toMatch(/storage_order/);
    expect(errorOf(() => pool('AveragePool', [ints('kernel_shape', [2, 2]), int('count_include_pad', 1)], undefined, 6)).message).toMatch(/count_include_pad/);
  });

  it('requires kernel_shape', () => {
    const e = errorOf(() => pool('AveragePool', []));
    expect(e.code).toBe(ErrorCode.BadAttribute);
    expect(e.message).toMatch(/kernel_shape/);
  });

  it('rejects a kernel_shape of the wrong rank', () => {
    const e = errorOf(() => pool('MaxPool', [ints('kernel_shape', [2])]));
    expect(e.code).toBe(ErrorCode.BadAttribute);
  });
});
