/** Random int8 kernel cases for test/int8-kernels.test.ts: each builds a qgc node and inputs
 * (NCHW / OIHW), and the same case for CMSIS-NN (NHWC / OHWI) in a CaseWriter; `fromCmsis`
 * turns CMSIS-NN's output back into qgc's layout. */
import type { NodeOf } from '../../src/ir/graph.js';
import type { OpName } from '../../src/ir/ops.js';
import type { QuantizedOpAttrMap } from '../../src/ir/qops.js';
import type { Value } from '../../src/interp/types.js';
import { addParams, convRequant, mulParams, softmaxParams, subParams } from '../../src/ir/intmath.js';
import { windowOutSize } from '../../src/ir/geometry.js';
import { DriverOp, type CaseWriter } from './cmsis.js';
import { mulberry32 } from './random.js';

export type QOp = keyof QuantizedOpAttrMap;

export interface Int8Case {
  label: string;
  node: NodeOf<OpName>;
  inputs: (Value | undefined)[];
  /** Index of the case in the driver's file. */
  index: number;
  /** The CMSIS-NN function the wrapper picks, where it picks one. */
  path?: string;
  fromCmsis: (out: Int8Array) => Int8Array;
}

export class Rng {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  u32(): number {
    return this.next();
  }
  /** Uniform float in [0, 1). */
  float(): number {
    return this.u32() / 2 ** 32;
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.float() * (hi - lo + 1));
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(0, xs.length - 1)];
  }
  chance(p: number): boolean {
    return this.float() < p;
  }
  /** exp-uniform in [lo, hi]. */
  logUniform(lo: number, hi: number): number {
    return Math.exp(Math.log(lo) + this.float() * (Math.log(hi) - Math.log(lo)));
  }
  int8s(n: number, lo = -128, hi = 127): Int8Array {
    return Int8Array.from({ length: n }, () => this.int(lo, hi));
  }
  int32s(n: number, lo: number, hi: number): Int32Array {
    return Int32Array.from({ length: n }, () => this.int(lo, hi));
  }
}

export function mkNode<K extends QOp>(op: K, attrs: QuantizedOpAttrMap[K], nInputs: number): NodeOf<OpName> {
  const inputs = Array.from({ length: nInputs }, (_, i) => `in${i}`);
  return { name: `${op.toLowerCase()}_test`, op, inputs, outputs: ['out'], attrs } as unknown as NodeOf<OpName>;
}

const int8 = (shape: number[], data: Int8Array): Value => ({ dtype: 'int8', shape, data });
const int32 = (shape: number[], data: Int32Array): Value => ({ dtype: 'int32', shape, data });

/** [A][B][S] → [A][S][B] (NCHW → NHWC with A = N, B = C, S = H*W; OIHW → OHWI likewise). */
export function moveAxisLast(data: Int8Array, A: number, B: number, S: number): Int8Array {
  const out = new Int8Array(data.length);
  for (let a = 0; a < A; a++) for (let b = 0; b < B; b++) for (let s = 0; s < S; s++) out[(a * S + s) * B + b] = data[(a * B + b) * S + s];
  return out;
}

/** [A][S][B] → [A][B][S]. */
export function moveAxisBack(data: Int8Array, A: number, B: number, S: number): Int8Array {
  const out = new Int8Array(data.length);
  for (let a = 0; a < A; a++) for (let b = 0; b < B; b++) for (let s = 0; s < S; s++) out[(a * B + b) * S + s] = data[(a * S + s) * B + b];
  return out;
}

function randomClamp(r: Rng, zp: number): { actMin: number; actMax: number } {
  const kind = r.int(0, 3);
  if (kind === 0) return { actMin: -128, actMax: 127 };
  if (kind === 1) return { actMin: zp, actMax: 127 }; // Relu
  const lo = r.int(-128, 100);
  return { actMin: lo, actMax: r.int(lo, 127) };
}

/** Per-channel (or per-tensor) requantization from random real scales. */
function randomRequant(r: Rng, M: number, perTensor: boolean, lo: number, hi: number) {
  const weightScales = Array.from({ length: perTensor ? 1 : M }, () => r.logUniform(lo, hi));
  return convRequant(1, weightScales, 1);
}

function expand(a: Int32Array, M: number): Int32Array {
  return a.length === M ? a : new Int32Array(M).fill(a[0]);
}

/** Conv flavours; `1x1` and `dw3x3` aim at CMSIS-NN's specialised paths. */
export type ConvKind = 'conv' | '1x1' | 'conv1d' | 'grouped' | 'depthwise' | 'dw3x3';

/** Which function CMSIS-NN's wrapper dispatches to (host build, no DSP/MVE), from the
 * conditions in arm_convolve_wrapper_s8.c / arm_depthwise_conv_wrapper_s8.c; null for a case
 * outside the function's preconditions.
 *
 * arm_depthwise_conv_3x3_s8 always reads the middle column of the last window: it assumes the
 * windows reach at most one column past the right edge, as TFLite's SAME padding guarantees
 * for 3x3 kernels. ONNX pads can end further out (e.g. W = 4, pads left 1 / right 2, stride 1);
 * there the function reads the next row or past the buffer. qgc's C backend must not let the
 * wrapper pick it for such layers. */
function cmsisConvPath(depthwise: boolean, p: number[], G: number): string | null {
  const [N, H, W, C, M, kH, kW, sH, sW, pt, pl, dH, dW, , Wo] = p;
  if (depthwise) {
    if (M === C && N === 1 && dH === 1 && dW === 1) {
      if (kH !== 3 || kW !== 3 || pt > 1 || pl > 1) return 'arm_depthwise_conv_s8_opt';
      const overhang = (Wo - 1) * sW - pl + 3 - W;
      return overhang <= 1 ? 'arm_depthwise_conv_3x3_s8' : null;
    }
    return 'arm_depthwise_conv_s8';
  }
  if (pt === 0 && pl === 0 && kH === 1 && kW === 1 && dH === 1 && dW === 1 && G === 1) return sH === 1 && sW === 1 ? 'arm_convolve_1x1_s8_fast' : 'arm_convolve_1x1_s8';
  if (H === 1 && dW === 1 && kH === 1 && (sW * C) % 4 === 0 && G === 1) return 'arm_convolve_1_x_n_s8';
  return 'arm_convolve_s8';
}

export function convCase(r: Rng, w: CaseWriter, kind: ConvKind, label: string): Int8Case {
  const depthwise = kind === 'depthwise' || kind === 'dw3x3';
  const N = kind === 'dw3x3' ? 1 : r.int(1, 2);
  let C: number, M: number, G: number;
  if (depthwise) {
    C = r.int(1, 8);
    G = C;
    M = kind === 'dw3x3' ? C : C * r.pick([1, 1, 2, 3, 4]);
  } else if (kind === 'grouped') {
    G = r.int(2, 3);
    C = G * r.int(1, 3);
    M = G * r.int(1, 3);
  } else {
    C = r.int(1, 8);
    M = r.int(1, 8);
    G = 1;
  }
  const oneD = kind === 'conv1d';
  const unit = kind === '1x1';
  for (;;) {
    const kH = kind === 'dw3x3' ? 3 : oneD || unit ? 1 : r.int(1, 4);
    const kW = kind === 'dw3x3' ? 3 : unit ? 1 : r.int(1, 4);
    const H = oneD ? 1 : r.int(1, 10);
    const W = r.int(1, 10);
    const sH = oneD ? 1 : r.int(1, 3);
    const sW = r.int(1, 3);
    const noDilation = kind === 'dw3x3' || (unit && r.chance(0.8));
    const dH = !oneD && !noDilation && r.chance(0.25) ? 2 : 1;
    const dW = !noDilation && r.chance(0.25) ? 2 : 1;
    const zeroPad = unit && r.chance(0.7);
    const pad = (k: number) => (zeroPad ? 0 : r.int(0, k - 1));
    const [pt, pl, pb, pr] = [oneD ? 0 : pad(kH), pad(kW), oneD ? 0 : pad(kH), pad(kW)];
    const Ho = windowOutSize(H, kH, sH, dH, pt, pb, false);
    const Wo = windowOutSize(W, kW, sW, dW, pl, pr, false);
    if (Ho < 1 || Wo < 1) continue;
    const inZp = r.int(-128, 127);
    const outZp = r.int(-128, 127);
    const Cg = C / G;
    const K = kH * kW;
    const x = r.int8s(N * C * H * W);
    const wt = r.int8s(M * Cg * K, -127, 127);
    const withBias = r.chance(0.8);
    const bias = withBias ? r.int32s(M, -20000, 20000) : new Int32Array(M);
    const perTensor = r.chance(0.3);
    const big = r.chance(0.05); // real multipliers above one (left shifts)
    const rq = big ? randomRequant(r, M, perTensor, 1, 3) : randomRequant(r, M, perTensor, 2 ** -14, 2 ** -4);
    const clampRange = randomClamp(r, outZp);
    const attrs: QuantizedOpAttrMap['QConv'] = {
      kernel: oneD ? [kW] : [kH, kW],
      strides: oneD ? [sW] : [sH, sW],
      dilations: oneD ? [dW] : [dH, dW],
      pads: oneD ? [pl, pr] : [pt, pl, pb, pr],
      group: G,
      inputZeroPoint: inZp,
      outputZeroPoint: outZp,
      ...clampRange,
      ...rq,
    };
    const xShape = oneD ? [N, C, W] : [N, C, H, W];
    const wShape = oneD ? [M, Cg, kW] : [M, Cg, kH, kW];
    const inputs = [int8(xShape, x), int8(wShape, wt), withBias ? int32([M], bias) : undefined];
    const params = [N, H, W, C, M, kH, kW, sH, sW, pt, pl, dH, dW, Ho, Wo, -inZp, outZp, clampRange.actMin, clampRange.actMax, M / C];
    const path = cmsisConvPath(depthwise, params, G);
    if (path === null) continue;
    const wCmsis = depthwise ? moveAxisLast(wt, 1, M, K) : moveAxisLast(wt, M, Cg, K);
    const index = w.add(depthwise ? DriverOp.DepthwiseConv : DriverOp.Conv, params, [
      moveAxisLast(x, N, C, H * W),
      wCmsis,
      bias,
      expand(rq.multiplier, M),
      expand(rq.shift, M),
    ]);
    const desc = `${label} (${path}): x [${xShape}] w [${wShape}] g${G} s${attrs.strides} d${attrs.dilations} p${attrs.pads}`;
    return { label: desc, path, node: mkNode('QConv', attrs, 3), inputs, index, fromCmsis: (o) => moveAxisBack(o, N, M, Ho * Wo) };
  }
}

export function fullyConnectedCase(r: Rng, w: CaseWriter, label: string): Int8Case {
  const N = r.int(1, 3);
  const K = r.int(1, 80);
  const M = r.int(1, 20);
  const inZp = r.int(-128, 127);
  const outZp = r.int(-128, 127);
  const x = r.int8s(N * K);
  const wt = r.int8s(M * K, -127, 127);
  const withBias = r.chance(0.8);
  const bias = withBias ? r.int32s(M, -50000, 50000) : new Int32Array(M);
  const perTensor = r.chance(0.4);
  const rq = randomRequant(r, M, perTensor, 2 ** -15, 2 ** -5);
  const clampRange = randomClamp(r, outZp);
  const attrs: QuantizedOpAttrMap['QFullyConnected'] = { inputZeroPoint: inZp, outputZeroPoint: outZp, ...clampRange, ...rq };
  const inputs = [int8([N, K], x), int8([M, K], wt), withBias ? int32([M], bias) : undefined];
  const params = [N, K, M, -inZp, outZp, clampRange.actMin, clampRange.actMax, perTensor ? 0 : 1];
  const index = w.add(DriverOp.FullyConnected, params, [x, wt, bias, expand(rq.multiplier, M), expand(rq.shift, M)]);
  return { label: `${label}: [${N}, ${K}] x [${M}, ${K}]${perTensor ? ' per-tensor' : ''}`, node: mkNode('QFullyConnected', attrs, 3), inputs, index, fromCmsis: (o) => o };
}

/** A QAdd case; `sub`: input 2's multiplier negated (the lowering's Sub). */
export function addCase(r: Rng, w: CaseWriter, label: string, sub = false): Int8Case {
  const shape = [1, r.int(1, 6), r.int(1, 6), r.int(1, 6)];
  const n = shape.reduce((a, b) => a * b, 1);
  const scale = () => r.logUniform(0.002, 2);
  const [s1, s2, so] = r.chance(0.1) ? [0.05, 0.05, 0.05] : [scale(), scale(), scale() * 2];
  const [z1, z2, zo] = [r.int(-128, 127), r.int(-128, 127), r.int(-128, 127)];
  const p = (sub ? subParams : addParams)(s1, z1, s2, z2, so, zo);
  const clampRange = randomClamp(r, zo);
  const x1 = r.int8s(n);
  const x2 = r.int8s(n);
  const attrs: QuantizedOpAttrMap['QAdd'] = { ...p, ...clampRange };
  const params = [
    n,
    -z1,
    p.input1.multiplier,
    p.input1.shift,
    -z2,
    p.input2.multiplier,
    p.input2.shift,
    p.leftShift,
    zo,
    p.output.multiplier,
    p.output.shift,
    clampRange.actMin,
    clampRange.actMax,
  ];
  const index = w.add(DriverOp.Add, params, [x1, x2]);
  const desc = `${label}: [${shape}] scales ${[s1, s2, so].map((s) => s.toPrecision(3))}`;
  return { label: desc, node: mkNode('QAdd', attrs, 2), inputs: [int8(shape, x1), int8(shape, x2)], index, fromCmsis: (o) => o };
}

/** A QMul case over one shape (arm_elementwise_mul_s8), sizes that reach its vector loops' tails. */
export function mulCase(r: Rng, w: CaseWriter, label: string): Int8Case {
  const shape = [1, r.int(1, 9), r.int(1, 9), r.int(1, 9)];
  const n = shape.reduce((a, b) => a * b, 1);
  const [s1, s2] = [r.logUniform(0.002, 2), r.logUniform(0.002, 2)];
  const so = s1 * s2 * r.logUniform(4, 2000);
  const [z1, z2, zo] = [r.int(-128, 127), r.int(-128, 127), r.int(-128, 127)];
  const p = mulParams(s1, z1, s2, z2, so, zo);
  const clampRange = randomClamp(r, zo);
  const x1 = r.int8s(n);
  const x2 = r.int8s(n);
  const attrs: QuantizedOpAttrMap['QMul'] = { ...p, ...clampRange };
  const index = w.add(DriverOp.Mul, [n, -z1, -z2, zo, p.multiplier, p.shift, clampRange.actMin, clampRange.actMax], [x1, x2]);
  const desc = `${label}: [${shape}] scales ${[s1, s2, so].map((s) => s.toPrecision(3))}`;
  return { label: desc, node: mkNode('QMul', attrs, 2), inputs: [int8(shape, x1), int8(shape, x2)], index, fromCmsis: (o) => o };
}

export function poolCase(r: Rng, w: CaseWriter, op: 'QMaxPool' | 'QAveragePool', label: string): Int8Case {
  for (;;) {
    const N = r.int(1, 2);
    const C = r.int(1, 6);
    const H = r.int(1, 10);
    const W = r.int(1, 10);
    const kH = r.int(1, 4);
    const kW = r.int(1, 4);
    const sH = r.int(1, 3);
    const sW = r.int(1, 3);
    const [pt, pl, pb, pr] = [r.int(0, kH - 1), r.int(0, kW - 1), r.int(0, kH - 1), r.int(0, kW - 1)];
    const ceilMode = r.chance(0.3);
    const Ho = windowOutSize(H, kH, sH, 1, pt, pb, ceilMode);
    const Wo = windowOutSize(W, kW, sW, 1, pl, pr, ceilMode);
    if (Ho < 1 || Wo < 1) continue;
    const x = r.int8s(N * C * H * W);
    const clampRange = randomClamp(r, r.int(-128, 127));
    const noPads = pt + pl + pb + pr === 0;
    const attrs = {
      kernel: [kH, kW],
      strides: [sH, sW],
      dilations: [1, 1],
      pads: [pt, pl, pb, pr],
      ceilMode,
      countIncludePad: noPads && r.chance(0.5), // irrelevant without padding
      ...clampRange,
    };
    const params = [N, H, W, C, kH, kW, sH, sW, pt, pl, Ho, Wo, clampRange.actMin, clampRange.actMax];
    const index = w.add(op === 'QMaxPool' ? DriverOp.MaxPool : DriverOp.AvgPool, params, [moveAxisLast(x, N, C, H * W)]);
    const desc = `${label}: x [${N}, ${C}, ${H}, ${W}] k${attrs.kernel} s${attrs.strides} p${attrs.pads}${ceilMode ? ' ceil' : ''}`;
    return { label: desc, node: mkNode(op, attrs, 1), inputs: [int8([N, C, H, W], x)], index, fromCmsis: (o) => moveAxisBack(o, N, C, Ho * Wo) };
  }
}

export function softmaxCase(r: Rng, w: CaseWriter, label: string): Int8Case {
  const rows = r.int(1, 4);
  const size = r.int(1, 40);
  const shape = r.chance(0.5) ? [rows, size] : [1, rows, size];
  const scale = r.chance(0.1) ? r.logUniform(2, 64) : r.logUniform(0.004, 1);
  const beta = r.chance(0.2) ? r.logUniform(0.1, 4) : 1;
  const attrs = softmaxParams(scale, beta);
  // Mostly spread-out values; sometimes a narrow range so many differences pass diffMin.
  const x = r.chance(0.3) ? r.int8s(rows * size, -10, 10) : r.int8s(rows * size);
  const index = w.add(DriverOp.Softmax, [rows, size, attrs.multiplier, attrs.shift, attrs.diffMin], [x]);
  const desc = `${label}: [${shape}] scale ${scale.toPrecision(3)} beta ${beta.toPrecision(3)}`;
  return { label: desc, node: mkNode('QSoftmax', attrs, 1), inputs: [int8(shape, x)], index, fromCmsis: (o) => o };
}
