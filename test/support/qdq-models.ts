/** Small ONNX models built with onnx-proto for test/qdq.test.ts: random QLinearConv and
 * QLinearMatMul models (QOperator form) and a float model that exercises every int8 op the
 * quantizer emits (Conv, Relu, Clip, Add, Concat, MaxPool, Pad, AveragePool, Transpose,
 * Reshape, unfused Clip, Gemm, Softmax). Deterministic: everything comes from a seeded PRNG. */
import type { DType, TensorData } from '../../src/ir/dtype.js';
import type { Value } from '../../src/interp/types.js';
import { attr, rawBytes, valueInfo } from '../../src/onnx/export-proto.js';
import { onnx } from '../../src/onnx/proto.js';
import { onnxCodeOf } from '../../src/onnx/tensor.js';
import { uniform } from './random.js';

/** Floats in [0, 1) from the tests' seeded PRNG. */
export const prng = uniform;

type Rand = () => number;
const int = (r: Rand, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
const logUniform = (r: Rand, lo: number, hi: number) => Math.fround(lo * (hi / lo) ** r());

/** An initializer (raw little-endian data). */
export function init(name: string, dtype: DType, dims: readonly number[], data: TensorData) {
  return { name, dataType: onnxCodeOf(dtype), dims: [...dims], rawData: rawBytes(dtype, data) };
}

/** A model from nodes, initializers and graph inputs/outputs. */
export function encode(nodes: object[], inits: object[], inputs: object[], outputs: object[], opset = 13): Uint8Array {
  return onnx.ModelProto.encode({
    irVersion: 7,
    opsetImport: [{ domain: '', version: opset }],
    graph: { name: 'g', node: nodes, initializer: inits, input: inputs, output: outputs },
  }).finish();
}

/** Random 8-bit activation data of `dtype` (int8 or uint8). */
function act8(r: Rand, dtype: 'int8' | 'uint8', n: number): Int8Array | Uint8Array {
  return dtype === 'int8' ? Int8Array.from({ length: n }, () => int(r, -128, 127)) : Uint8Array.from({ length: n }, () => int(r, 0, 255));
}

/** A QOperator model with one op and its activation input. */
export interface QLinearCase {
  bytes: Uint8Array;
  x: Value;
  what: string;
}

/** Symmetric 8-bit weights: int8 with zero point 0, or uint8 with zero point 128. */
function weights(r: Rand, dtype: 'int8' | 'uint8', n: number): { data: Int8Array | Uint8Array; zp: number } {
  return dtype === 'int8'
    ? { data: Int8Array.from({ length: n }, () => int(r, -127, 127)), zp: 0 }
    : { data: Uint8Array.from({ length: n }, () => int(r, 1, 255)), zp: 128 };
}

/** A random QLinearConv (2-D, strides, padding, dilation, groups, per-channel or per-tensor
 * weights, optional int32 bias) over a uint8 or int8 input. */
export function randomQLinearConv(seed: number): QLinearCase {
  const r = prng(seed);
  const t = pick(r, ['uint8', 'int8'] as const);
  const group = pick(r, [1, 1, 2]);
  const cg = int(r, 1, 3);
  const c = cg * group;
  const m = group * int(r, 1, 3);
  const k = int(r, 1, 3);
  const [h, w] = [int(r, k + 2, 9), int(r, k + 2, 9)];
  const stride = int(r, 1, 2);
  const dil = k > 1 ? int(r, 1, 2) : 1;
  const pad = int(r, 0, k - 1);
  const perChannel = r() < 0.6;
  const wt = weights(r, t, m * cg * k * k);
  const xs = logUniform(r, 0.002, 0.05);
  const ws = Float32Array.from({ length: perChannel ? m : 1 }, () => logUniform(r, 0.001, 0.02));
  const ys = Math.fround(xs * ws[0] * 64 * Math.sqrt(cg * k * k));
  const [lo, hi] = t === 'int8' ? [-128, 127] : [0, 255];
  const x = { dtype: t, shape: [1, c, h, w], data: act8(r, t, c * h * w) } as Value;
  const wDims = perChannel ? [m] : [];
  const inits = [
    init('x_scale', 'float32', [], Float32Array.of(xs)), init('x_zero_point', t, [], Int32Array.of(int(r, lo, hi))),
    init('w', t, [m, cg, k, k], wt.data), init('w_scale', 'float32', wDims, ws), init('w_zero_point', t, wDims, Int32Array.from(ws, () => wt.zp)),
    init('y_scale', 'float32', [], Float32Array.of(ys)), init('y_zero_point', t, [], Int32Array.of(int(r, lo, hi))),
  ];
  const inputs = ['x', 'x_scale', 'x_zero_point', 'w', 'w_scale', 'w_zero_point', 'y_scale', 'y_zero_point'];
  if (r() < 0.7) {
    inits.push(init('B', 'int32', [m], Int32Array.from({ length: m }, () => int(r, -20000, 20000))));
    inputs.push('B');
  }
  const oh = Math.floor((h + 2 * pad - dil * (k - 1) - 1) / stride) + 1;
  const ow = Math.floor((w + 2 * pad - dil * (k - 1) - 1) / stride) + 1;
  const node = {
    name: 'qconv', opType: 'QLinearConv', input: inputs, output: ['y'],
    attribute: [attr.ints('kernel_shape', [k, k]), attr.ints('strides', [stride, stride]), attr.ints('pads', [pad, pad, pad, pad]),
      attr.ints('dilations', [dil, dil]), attr.int('group', group)],
  };
  const what = `${t} x[1,${c},${h},${w}] w[${m},${cg},${k},${k}] s${stride} p${pad} d${dil} g${group} ${perChannel ? 'per-channel' : 'per-tensor'}${inputs.length > 8 ? ' +bias' : ''}`;
  return { bytes: encode([node], inits, [valueInfo('x', t, x.shape)], [valueInfo('y', t, [1, m, oh, ow])]), x, what };
}

/** A random QLinearMatMul: a [M, K] activation times a constant b [K, N], per-tensor or
 * per-column b parameters. */
export function randomQLinearMatMul(seed: number): QLinearCase {
  const r = prng(seed);
  const t = pick(r, ['uint8', 'int8'] as const);
  const [m, k, n] = [int(r, 1, 4), int(r, 1, 40), int(r, 1, 12)];
  const perColumn = r() < 0.5;
  const bt = weights(r, t, k * n);
  const as = logUniform(r, 0.002, 0.05);
  const bs = Float32Array.from({ length: perColumn ? n : 1 }, () => logUniform(r, 0.001, 0.02));
  const ys = Math.fround(as * bs[0] * 64 * Math.sqrt(k));
  const [lo, hi] = t === 'int8' ? [-128, 127] : [0, 255];
  const x = { dtype: t, shape: [m, k], data: act8(r, t, m * k) } as Value;
  const bDims = perColumn ? [n] : [];
  const inits = [
    init('a_scale', 'float32', [], Float32Array.of(as)), init('a_zero_point', t, [], Int32Array.of(int(r, lo, hi))),
    init('b', t, [k, n], bt.data), init('b_scale', 'float32', bDims, bs), init('b_zero_point', t, bDims, Int32Array.from(bs, () => bt.zp)),
    init('y_scale', 'float32', [], Float32Array.of(ys)), init('y_zero_point', t, [], Int32Array.of(int(r, lo, hi))),
  ];
  const node = { name: 'qmatmul', opType: 'QLinearMatMul', input: ['a', 'a_scale', 'a_zero_point', 'b', 'b_scale', 'b_zero_point', 'y_scale', 'y_zero_point'], output: ['y'] };
  const what = `${t} a[${m},${k}] b[${k},${n}] ${perColumn ? 'per-column' : 'per-tensor'}`;
  return { bytes: encode([node], inits, [valueInfo('a', t, x.shape)], [valueInfo('y', t, [m, n])]), x, what };
}

/** Random float32 data, uniform in [lo, hi). */
export function randomFloats(seed: number, n: number, lo = -1, hi = 1): Float32Array {
  const r = prng(seed);
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * r());
}

/**
 * A float model touching every int8 op: x[1,3,8,8] → Conv+Relu (a) → Conv 1x1+Clip(0,6) (b)
 * → Add(a, b)+Relu (c) → Concat(a, c) → MaxPool 2 → Pad(edge) → AveragePool 3 → Transpose
 * → Reshape [1,32] → Clip(-2, 2) (unfused) → Gemm 32→5 → Softmax.
 */
export function mixedFloatModel(seed = 7): Uint8Array {
  const f = (name: string, dims: number[], scale: number, s: number) => init(name, 'float32', dims, randomFloats(s, dims.reduce((p, d) => p * d, 1), -scale, scale));
  const inits = [
    f('w1', [4, 3, 3, 3], 0.5, seed), f('b1', [4], 0.2, seed + 1), f('w2', [4, 4, 1, 1], 0.6, seed + 2), f('b2', [4], 0.1, seed + 3),
    f('wf', [5, 32], 0.4, seed + 4), f('bf', [5], 0.1, seed + 5),
    init('pads', 'int64', [8], Float64Array.of(0, 0, 1, 1, 0, 0, 1, 1)), init('shape', 'int64', [2], Float64Array.of(1, 32)),
    init('lo', 'float32', [], Float32Array.of(-2)), init('hi', 'float32', [], Float32Array.of(2)),
    init('zero', 'float32', [], Float32Array.of(0)), init('six', 'float32', [], Float32Array.of(6)),
  ];
  const n = (opType: string, input: string[], output: string, attribute: object[] = []) => ({ name: output, opType, input, output: [output], attribute });
  const nodes = [
    n('Conv', ['x', 'w1', 'b1'], 'c1', [attr.ints('kernel_shape', [3, 3]), attr.ints('pads', [1, 1, 1, 1])]),
    n('Relu', ['c1'], 'a'),
    n('Conv', ['a', 'w2', 'b2'], 'c2', [attr.ints('kernel_shape', [1, 1])]),
    n('Clip', ['c2', 'zero', 'six'], 'b'),
    n('Add', ['a', 'b'], 'sum'),
    n('Relu', ['sum'], 'c'),
    n('Concat', ['a', 'c'], 'cat', [attr.int('axis', 1)]),
    n('MaxPool', ['cat'], 'mp', [attr.ints('kernel_shape', [2, 2]), attr.ints('strides', [2, 2])]),
    n('Pad', ['mp', 'pads'], 'padded', [attr.string('mode', 'edge')]),
    n('AveragePool', ['padded'], 'ap', [attr.ints('kernel_shape', [3, 3]), attr.ints('strides', [2, 2])]),
    n('Transpose', ['ap'], 'tr', [attr.ints('perm', [0, 1, 3, 2])]),
    n('Reshape', ['tr', 'shape'], 'flat'),
    n('Clip', ['flat', 'lo', 'hi'], 'clipped'),
    n('Gemm', ['clipped', 'wf', 'bf'], 'logits', [attr.int('transB', 1)]),
    n('Softmax', ['logits'], 'probs', [attr.int('axis', -1)]),
  ];
  return encode(nodes, inits, [valueInfo('x', 'float32', [1, 3, 8, 8])], [valueInfo('probs', 'float32', [1, 5])]);
}

/**
 * A QDQ model around `middle`: x f32[1,2,4,4] → Q/DQ (scale 0.1, int8 zero point 0) → 'xd' →
 * middle nodes → 'y' → Q (scale `ys`, zero point `yz`) → DQ → 'out' (shape `outShape`).
 * `quantizeY: false` leaves 'y' unquantized as the graph output.
 */
export function qdqAround(middle: object[], extraInits: object[], opts: { ys?: number; yz?: number; outShape?: number[]; quantizeY?: boolean } = {}): Uint8Array {
  const inits = [
    init('xs', 'float32', [], Float32Array.of(0.1)), init('xz', 'int8', [], Int8Array.of(0)),
    init('ys', 'float32', [], Float32Array.of(opts.ys ?? 0.1)), init('yz', 'int8', [], Int8Array.of(opts.yz ?? 0)), ...extraInits,
  ];
  const nodes = [
    { name: 'qx', opType: 'QuantizeLinear', input: ['x', 'xs', 'xz'], output: ['xq'] },
    { name: 'dqx', opType: 'DequantizeLinear', input: ['xq', 'xs', 'xz'], output: ['xd'] },
    ...middle,
  ];
  const quantizeY = opts.quantizeY ?? true;
  if (quantizeY) {
    nodes.push({ name: 'qy', opType: 'QuantizeLinear', input: ['y', 'ys', 'yz'], output: ['yq'] }, { name: 'dqy', opType: 'DequantizeLinear', input: ['yq', 'ys', 'yz'], output: ['out'] });
  }
  return encode(nodes, inits, [valueInfo('x', 'float32', [1, 2, 4, 4])], [valueInfo(quantizeY ? 'out' : 'y', 'float32', opts.outShape ?? [1, 2, 4, 4])]);
}

/**
 * A QOperator model (uint8 activations, int8 weights): x f32[1,2,8,8] → QuantizeLinear →
 * QLinearConv 3x3 (4 channels, per-channel weights, bias) → MaxPool 2x2 on uint8 → QLinearConv
 * 1x1 (3 channels) → Reshape [1,48] on uint8 → QLinearMatMul (b [48,5]) → DequantizeLinear → out.
 */
export function qoperatorChain(seed = 3): Uint8Array {
  const r = prng(seed);
  const i8 = (n: number) => Int8Array.from({ length: n }, () => int(r, -127, 127));
  const f32 = (...v: number[]) => Float32Array.from(v);
  const u8 = (v: number) => Uint8Array.of(v);
  const inits = [
    init('xs', 'float32', [], f32(0.01)), init('xz', 'uint8', [], u8(120)),
    init('w1', 'int8', [4, 2, 3, 3], i8(72)), init('w1s', 'float32', [4], f32(0.004, 0.006, 0.003, 0.005)), init('w1z', 'int8', [4], new Int8Array(4)),
    init('b1', 'int32', [4], Int32Array.of(1500, -800, 300, 0)), init('y1s', 'float32', [], f32(0.03)), init('y1z', 'uint8', [], u8(90)),
    init('w2', 'int8', [3, 4, 1, 1], i8(12)), init('w2s', 'float32', [3], f32(0.01, 0.02, 0.015)), init('w2z', 'int8', [3], new Int8Array(3)),
    init('y2s', 'float32', [], f32(0.05)), init('y2z', 'uint8', [], u8(128)), init('shape', 'int64', [2], Float64Array.of(1, 48)),
    init('b3', 'int8', [48, 5], i8(240)), init('b3s', 'float32', [], f32(0.008)), init('b3z', 'int8', [], Int8Array.of(0)),
    init('y3s', 'float32', [], f32(0.1)), init('y3z', 'uint8', [], u8(130)),
  ];
  const k = (...ints: [string, number[]][]) => ints.map(([a, v]) => attr.ints(a, v));
  const nodes = [
    { name: 'q', opType: 'QuantizeLinear', input: ['x', 'xs', 'xz'], output: ['xq'] },
    { name: 'conv1', opType: 'QLinearConv', input: ['xq', 'xs', 'xz', 'w1', 'w1s', 'w1z', 'y1s', 'y1z', 'b1'], output: ['c1'], attribute: k(['kernel_shape', [3, 3]], ['pads', [1, 1, 1, 1]]) },
    { name: 'pool', opType: 'MaxPool', input: ['c1'], output: ['p'], attribute: k(['kernel_shape', [2, 2]], ['strides', [2, 2]]) },
    { name: 'conv2', opType: 'QLinearConv', input: ['p', 'y1s', 'y1z', 'w2', 'w2s', 'w2z', 'y2s', 'y2z'], output: ['c2'], attribute: k(['kernel_shape', [1, 1]]) },
    { name: 'flat', opType: 'Reshape', input: ['c2', 'shape'], output: ['f'] },
    { name: 'fc', opType: 'QLinearMatMul', input: ['f', 'y2s', 'y2z', 'b3', 'b3s', 'b3z', 'y3s', 'y3z'], output: ['y'] },
    { name: 'dq', opType: 'DequantizeLinear', input: ['y', 'y3s', 'y3z'], output: ['out'] },
  ];
  return encode(nodes, inits, [valueInfo('x', 'float32', [1, 2, 8, 8])], [valueInfo('out', 'float32', [1, 5])]);
}

/** QDQ with fake-quant weights: Conv's float weights go through QuantizeLinear → DequantizeLinear. */
export function fakeQuantWeights(seed = 5): Uint8Array {
  return qdqAround([
    { name: 'qw', opType: 'QuantizeLinear', input: ['wf', 'ws', 'wz'], output: ['wq'], attribute: [attr.int('axis', 0)] },
    { name: 'dqw', opType: 'DequantizeLinear', input: ['wq', 'ws', 'wz'], output: ['wd'], attribute: [attr.int('axis', 0)] },
    { name: 'conv', opType: 'Conv', input: ['xd', 'wd'], output: ['c'], attribute: [attr.ints('kernel_shape', [3, 3]), attr.ints('pads', [1, 1, 1, 1])] },
    { name: 'relu', opType: 'Relu', input: ['c'], output: ['y'] },
  ], [init('wf', 'float32', [2, 2, 3, 3], randomFloats(seed, 36)), init('ws', 'float32', [2], Float32Array.of(0.008, 0.006)), init('wz', 'int8', [2], new Int8Array(2))],
  { ys: 0.05, yz: -20 });
}
