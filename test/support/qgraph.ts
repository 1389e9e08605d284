/** Hand-made quantized IR graphs for backend tests: a builder that adds Q ops with random
 * (seeded) int8 weights and parameters computed by src/ir/intmath.ts, so every value is
 * one the quantizer could produce. */
import type { Graph, Node, Tensor } from '../../src/ir/graph.js';
import type { PadAttrs, ResizeAttrs } from '../../src/ir/ops.js';
import { QUANT_BITS } from '../../src/ir/qops.js';
import {
  LUT_FUNCTIONS, activationClamp, addParams, batchMatMulParams, concatOperand, convRequant, hardSwishParams, leakyReluParams, lookupTable, meanParams, mulParams, preluParams,
  softmaxParams, subParams,
} from '../../src/ir/intmath.js';

/** Deterministic pseudo-random numbers in [0, 1). */
export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

/** A quantized activation the builder made: its tensor name, shape and parameters. */
export interface Act {
  name: string;
  shape: number[];
  scale: number;
  zp: number;
}

export class QGraphBuilder {
  private readonly tensors = new Map<string, Tensor>();
  private readonly nodes: Node[] = [];
  private n = 0;
  readonly rand: () => number;
  private inputName = '';

  constructor(seed = 1, private readonly names: (kind: string, i: number) => string = (k, i) => `${k}${i}`) {
    this.rand = rng(seed);
  }

  private fresh(kind: string): string {
    return this.names(kind, this.n++);
  }

  private int(lo: number, hi: number): number {
    return lo + Math.floor(this.rand() * (hi - lo + 1));
  }

  private act(shape: number[], scale?: number, zp?: number): Act {
    const a: Act = { name: this.fresh('t'), shape, scale: scale ?? 0.02 + this.rand() * 0.08, zp: zp ?? this.int(-20, 20) };
    this.tensors.set(a.name, { name: a.name, dtype: 'int8', shape, quant: { scale: Float32Array.of(a.scale), zeroPoint: Int32Array.of(a.zp), bits: QUANT_BITS.activation } });
    return a;
  }

  private constant(dtype: 'int8' | 'int32', shape: number[], data: Int8Array | Int32Array): string {
    const name = this.fresh('c');
    this.tensors.set(name, { name, dtype, shape, data });
    return name;
  }

  /** Weight values of `bits` bits (symmetric: [-127, 127] or [-7, 7]). */
  private weightValues(shape: number[], bits: 4 | 8): Int8Array {
    const max = bits === 4 ? 7 : 127;
    return Int8Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => this.int(-max, max));
  }

  /** 4-bit weights record their width and scales (QuantParams.bits): what backends read to pick
   * an _s4 kernel. 8-bit weights stay as the builder always made them (no parameters). */
  private recordWidth(name: string, bits: 4 | 8, scales: readonly number[]): void {
    if (bits === 8) return;
    const quant = { scale: Float32Array.from(scales), zeroPoint: new Int32Array(scales.length), bits, ...(scales.length > 1 ? { axis: 0 } : {}) };
    this.tensors.set(name, { ...this.tensors.get(name)!, quant });
  }

  private node(op: Node['op'], inputs: string[], out: Act, attrs: object): Act {
    this.nodes.push({ name: this.fresh(op.toLowerCase() + '_'), op, inputs, outputs: [out.name], attrs } as Node);
    return out;
  }

  /** A float input and its Quantize. */
  input(shape: number[], scale = 1 / 64, zp = -3): Act {
    const name = this.fresh('input');
    this.inputName = name;
    this.tensors.set(name, { name, dtype: 'float32', shape });
    const out = this.act(shape, scale, zp);
    this.nodes.push({ name: this.fresh('quantize_'), op: 'Quantize', inputs: [name], outputs: [out.name], attrs: { scale, zeroPoint: zp } } as Node);
    return out;
  }

  /** A QConv. `clip` fuses a Clip(lo, hi) in real units (ReLU6: [0, 6]) and wins over `relu`;
   * `outScale` / `outZp` fix the output parameters (default: drawn at random). */
  conv(x: Act, o: { outC: number; k: number[]; stride?: number[]; pads?: number[]; group?: number; dilation?: number[]; relu?: boolean; clip?: [number, number]; bias?: boolean; perTensor?: boolean; outScale?: number; outZp?: number; weightBits?: 4 | 8 }): Act {
    const sp = o.k.length;
    const group = o.group ?? 1;
    const cg = x.shape[1] / group;
    const stride = o.stride ?? new Array(sp).fill(1);
    const dil = o.dilation ?? new Array(sp).fill(1);
    const pads = o.pads ?? new Array(2 * sp).fill(0);
    const outSpatial = x.shape.slice(2).map((d, i) => Math.floor((d + pads[i] + pads[i + sp] - dil[i] * (o.k[i] - 1) - 1) / stride[i]) + 1);
    const wShape = [o.outC, cg, ...o.k];
    const bits = o.weightBits ?? 8;
    const wide = bits === 4 ? 127 / 7 : 1; // 4-bit weights: coarser scales, the same real range
    const w = this.weightValues(wShape, bits);
    const wScales = Array.from({ length: o.perTensor ? 1 : o.outC }, () => (0.002 + this.rand() * 0.01) * wide);
    const out = this.act([x.shape[0], o.outC, ...outSpatial], o.outScale, o.outZp);
    const rq = convRequant(x.scale, wScales, out.scale);
    const inputs = [x.name, this.constant('int8', wShape, w)];
    this.recordWidth(inputs[1], bits, wScales);
    if (o.bias !== false) inputs.push(this.constant('int32', [o.outC], Int32Array.from({ length: o.outC }, () => this.int(-3000, 3000))));
    const clamp = o.clip ? activationClamp(out.scale, out.zp, o.clip[0], o.clip[1]) : activationClamp(out.scale, out.zp, o.relu ? 0 : -Infinity);
    return this.node('QConv', inputs, out, {
      kernel: o.k, strides: stride, dilations: dil, pads, group, ...rq, ...clamp, inputZeroPoint: x.zp, outputZeroPoint: out.zp,
    });
  }

  /** A QFullyConnected over the last axis; `o` as for conv (clip in real units, output parameters). */
  fc(x: Act, outF: number, relu = false, o: { clip?: [number, number]; outScale?: number; outZp?: number; weightBits?: 4 | 8; perTensor?: boolean } = {}): Act {
    const k = x.shape[x.shape.length - 1];
    const bits = o.weightBits ?? 8;
    const w = this.weightValues([outF, k], bits);
    const out = this.act([...x.shape.slice(0, -1), outF], o.outScale, o.outZp);
    const wide = bits === 4 ? 127 / 7 : 1;
    const wScales = Array.from({ length: o.perTensor ? 1 : outF }, () => (0.001 + this.rand() * 0.004) * wide);
    const rq = convRequant(x.scale, wScales, out.scale);
    const inputs = [x.name, this.constant('int8', [outF, k], w), this.constant('int32', [outF], Int32Array.from({ length: outF }, () => this.int(-5000, 5000)))];
    this.recordWidth(inputs[1], bits, wScales);
    const clamp = o.clip ? activationClamp(out.scale, out.zp, o.clip[0], o.clip[1]) : activationClamp(out.scale, out.zp, relu ? 0 : -Infinity);
    return this.node('QFullyConnected', inputs, out, { ...rq, ...clamp, inputZeroPoint: x.zp, outputZeroPoint: out.zp });
  }

  /** A pooling node (average pooling divides by the valid elements: count_include_pad off). */
  pool(op: 'QMaxPool' | 'QAveragePool', x: Act, k: number[], stride: number[], pads?: number[], ceilMode = false, dilation?: number[]): Act {
    const sp = k.length;
    const p = pads ?? new Array(2 * sp).fill(0);
    const dil = dilation ?? new Array(sp).fill(1);
    const outSpatial = x.shape.slice(2).map((d, i) => {
      const v = (d + p[i] + p[i + sp] - dil[i] * (k[i] - 1) - 1) / stride[i];
      return (ceilMode ? Math.ceil(v) : Math.floor(v)) + 1;
    });
    const out = this.act([x.shape[0], x.shape[1], ...outSpatial], x.scale, x.zp);
    return this.node(op, [x.name], out, {
      kernel: k, strides: stride, dilations: dil, pads: p, ceilMode, countIncludePad: false, actMin: -128, actMax: 127,
    });
  }

  /** A QAdd of two same-shaped activations; `outScale` / `outZp` fix the output parameters. */
  add(a: Act, b: Act, relu = false, outScale?: number, outZp?: number): Act {
    const out = this.act(a.shape, outScale, outZp);
    return this.node('QAdd', [a.name, b.name], out, { ...addParams(a.scale, a.zp, b.scale, b.zp, out.scale, out.zp), ...activationClamp(out.scale, out.zp, relu ? 0 : -Infinity) });
  }

  /** The numpy broadcast shape of two operands. */
  private broadcast(a: readonly number[], b: readonly number[]): number[] {
    const r = Math.max(a.length, b.length);
    return Array.from({ length: r }, (_, i) => {
      const da = a[a.length - r + i] ?? 1;
      return da === 1 ? (b[b.length - r + i] ?? 1) : da;
    });
  }

  /** A QAdd whose operands may broadcast (b, or a constant b of `shape`); `sub` makes it a - b. */
  addBroadcast(a: Act, b: Act, o: { sub?: boolean; relu?: boolean; outScale?: number; outZp?: number } = {}): Act {
    const out = this.act(this.broadcast(a.shape, b.shape), o.outScale, o.outZp);
    const params = (o.sub ? subParams : addParams)(a.scale, a.zp, b.scale, b.zp, out.scale, out.zp);
    return this.node('QAdd', [a.name, b.name], out, { ...params, ...activationClamp(out.scale, out.zp, o.relu ? 0 : -Infinity) });
  }

  /** A QMul (operands may broadcast). */
  mul(a: Act, b: Act, o: { relu?: boolean; outScale?: number; outZp?: number } = {}): Act {
    const out = this.act(this.broadcast(a.shape, b.shape), o.outScale ?? a.scale * b.scale * (20 + this.rand() * 60), o.outZp);
    return this.node('QMul', [a.name, b.name], out, { ...mulParams(a.scale, a.zp, b.scale, b.zp, out.scale, out.zp), ...activationClamp(out.scale, out.zp, o.relu ? 0 : -Infinity) });
  }

  /** A QBatchMatMul of two activations [..., M, K] x [..., K, N] (batch dims broadcast). */
  batchMatMul(a: Act, b: Act, o: { outScale?: number; outZp?: number } = {}): Act {
    const batch = this.broadcast(a.shape.slice(0, -2), b.shape.slice(0, -2));
    const k = a.shape[a.shape.length - 1];
    const out = this.act([...batch, a.shape[a.shape.length - 2], b.shape[b.shape.length - 1]], o.outScale ?? a.scale * b.scale * Math.sqrt(k) * 40, o.outZp);
    return this.node('QBatchMatMul', [a.name, b.name], out, { ...batchMatMulParams(a.scale, a.zp, b.scale, b.zp, out.scale, out.zp), actMin: -128, actMax: 127 });
  }

  /** An int8 Slice from `starts` by `steps` (negative: backwards) over `shape`. */
  slice(x: Act, starts: number[], steps: number[], shape: number[]): Act {
    return this.node('Slice', [x.name], this.act(shape, x.scale, x.zp), { starts, steps, shape });
  }

  /** An int8 DepthToSpace / SpaceToDepth. */
  block(op: 'DepthToSpace' | 'SpaceToDepth', x: Act, blocksize: number, mode: 'DCR' | 'CRD'): Act {
    const [n, c, h, w] = x.shape;
    const shape = op === 'DepthToSpace' ? [n, c / (blocksize * blocksize), h * blocksize, w * blocksize] : [n, c * blocksize * blocksize, h / blocksize, w / blocksize];
    return this.node(op, [x.name], this.act(shape, x.scale, x.zp), { blocksize, mode });
  }

  /** An int8 Resize to `shape` (scales out / in unless given). */
  resize(x: Act, shape: number[], a: Omit<ResizeAttrs, 'scales' | 'shape'> & { scales?: number[] }): Act {
    const scales = a.scales ?? shape.map((d, i) => d / x.shape[i]);
    return this.node('Resize', [x.name], this.act(shape, x.scale, x.zp), { ...a, scales, shape });
  }

  /** A constant int8 operand (random values) with per-tensor parameters. */
  constOperand(shape: number[]): Act {
    const n = shape.reduce((p, d) => p * d, 1);
    const name = this.fresh('k');
    const scale = 0.01 + this.rand() * 0.05;
    const zp = this.int(-10, 10);
    const data = Int8Array.from({ length: n }, () => this.int(-128, 127));
    this.tensors.set(name, { name, dtype: 'int8', shape, data, quant: { scale: Float32Array.of(scale), zeroPoint: Int32Array.of(zp), bits: QUANT_BITS.activation } });
    return { name, shape, scale, zp };
  }

  clamp(x: Act, lo: number, hi: number): Act {
    const out = this.act(x.shape, x.scale, x.zp);
    return this.node('QClamp', [x.name], out, { actMin: lo, actMax: hi });
  }

  softmax(x: Act): Act {
    const out = this.act(x.shape, 1 / 256, -128);
    return this.node('QSoftmax', [x.name], out, softmaxParams(x.scale));
  }

  concat(xs: Act[], axis: number): Act {
    const shape = [...xs[0].shape];
    shape[axis] = xs.reduce((s, x) => s + x.shape[axis], 0);
    const out = this.act(shape, xs[0].scale * 1.3, xs[0].zp);
    return this.node('QConcat', xs.map((x) => x.name), out, { axis, inputs: xs.map((x) => concatOperand(x.scale, x.zp, out.scale)), outputZeroPoint: out.zp });
  }

  /** A concat whose inputs already share the output's parameters (a plain copy). */
  concatSame(xs: Act[], axis: number): Act {
    const shape = [...xs[0].shape];
    shape[axis] = xs.reduce((s, x) => s + x.shape[axis], 0);
    const out = this.act(shape, xs[0].scale, xs[0].zp);
    return this.node('QConcat', xs.map((x) => x.name), out, { axis, inputs: xs.map((x) => concatOperand(x.scale, x.zp, out.scale)), outputZeroPoint: out.zp });
  }

  reshape(x: Act, shape: number[]): Act {
    const out = this.act(shape, x.scale, x.zp);
    return this.node('Reshape', [x.name], out, { shape });
  }

  transpose(x: Act, perm: number[]): Act {
    const out = this.act(perm.map((p) => x.shape[p]), x.scale, x.zp);
    return this.node('Transpose', [x.name], out, { perm });
  }

  pad(x: Act, pads: number[], mode: PadAttrs['mode'] = 'constant'): Act {
    const r = x.shape.length;
    const out = this.act(x.shape.map((d, i) => d + pads[i] + pads[i + r]), x.scale, x.zp);
    return this.node('Pad', [x.name], out, { mode, pads, value: x.zp });
  }

  /** QSigmoid / QTanh with TFLite's table (output 1/256, -128 and 1/128, 0 unless given). */
  sigmoidTanh(op: 'QSigmoid' | 'QTanh', x: Act, outScale?: number, outZp?: number): Act {
    const sig = op === 'QSigmoid';
    const out = this.act(x.shape, outScale ?? (sig ? 1 / 256 : 1 / 128), outZp ?? (sig ? -128 : 0));
    return this.node(op, [x.name], out, { table: lookupTable(sig ? LUT_FUNCTIONS.sigmoid : LUT_FUNCTIONS.tanh, x.scale, x.zp, out.scale, out.zp) });
  }

  hardSigmoid(x: Act, alpha = 1 / 6, beta = 0.5): Act {
    const out = this.act(x.shape, 1 / 255 + this.rand() / 500, this.int(-128, -100));
    return this.node('QHardSigmoid', [x.name], out, { alpha, beta, table: lookupTable(LUT_FUNCTIONS.hardSigmoid(alpha, beta), x.scale, x.zp, out.scale, out.zp) });
  }

  hardSwish(x: Act): Act {
    const out = this.act(x.shape, x.scale * (0.6 + this.rand()));
    return this.node('QHardSwish', [x.name], out, hardSwishParams(x.scale, x.zp, out.scale, out.zp));
  }

  leakyRelu(x: Act, alpha: number): Act {
    const out = this.act(x.shape, x.scale * (0.6 + this.rand()));
    return this.node('QLeakyRelu', [x.name], out, { alpha, inputZeroPoint: x.zp, outputZeroPoint: out.zp, ...leakyReluParams(x.scale, out.scale, alpha) });
  }

  /** QPRelu with one random int8 slope per channel (axis 1), or one for all. */
  prelu(x: Act, perChannel: boolean): Act {
    const c = perChannel ? x.shape[1] : 1;
    const slopeScale = 0.002 + this.rand() * 0.004;
    const slopeZp = this.int(-10, 10);
    const slope = this.constant('int8', perChannel ? [c, ...x.shape.slice(2).map(() => 1)] : [1], Int8Array.from({ length: c }, () => this.int(-128, 127)));
    const t = this.tensors.get(slope)!;
    t.quant = { scale: Float32Array.of(slopeScale), zeroPoint: Int32Array.of(slopeZp), bits: QUANT_BITS.activation };
    const out = this.act(x.shape, x.scale * (0.6 + this.rand()));
    return this.node('QPRelu', [x.name, slope], out, {
      inputZeroPoint: x.zp, slopeZeroPoint: slopeZp, outputZeroPoint: out.zp, ...preluParams(x.scale, slopeScale, out.scale),
    });
  }

  /** QMean (own output parameters) or QReduceMax (the input's) over `axes`. */
  reduce(op: 'QMean' | 'QReduceMax', x: Act, axes: number[], keepdims: boolean): Act {
    const shape = x.shape.flatMap((d, i) => (axes.includes(i) ? (keepdims ? [1] : []) : [d]));
    if (op === 'QReduceMax') return this.node(op, [x.name], this.act(shape, x.scale, x.zp), { axes, keepdims });
    const out = this.act(shape, x.scale * (0.3 + this.rand()));
    const count = axes.reduce((p, a) => p * x.shape[a], 1);
    return this.node(op, [x.name], out, { axes, keepdims, inputZeroPoint: x.zp, outputZeroPoint: out.zp, ...meanParams(x.scale, out.scale, count) });
  }

  /** Dequantize the output and build the graph. */
  build(y: Act, dequantize = true): Graph {
    let outName = y.name;
    if (dequantize) {
      outName = this.fresh('output');
      this.tensors.set(outName, { name: outName, dtype: 'float32', shape: y.shape });
      this.nodes.push({ name: this.fresh('dequantize_'), op: 'Dequantize', inputs: [y.name], outputs: [outName], attrs: { scale: y.scale, zeroPoint: y.zp } } as Node);
    }
    return { name: 'handmade', tensors: this.tensors, nodes: this.nodes, inputs: [this.inputName], outputs: [outName], opset: 13 };
  }
}
