/**
 * Random quantized int8 IR graphs from a seed, for differential tests of every backend against
 * the integer interpreter (C today, Wasm and WGSL next): `randomQuantizedGraph(seed)` is a pure
 * function of the seed, `randomQuantizedGraphs(seed, count)` derives one seed per graph, and
 * `interpretRandomCase(c, n)` gives n seeded inputs with the interpreter's int8 outputs.
 *
 * What a graph holds: Quantize → 1 to 6 layers → softmax (30%, over a last axis longer than 1)
 * → Dequantize, on a random input of rank 4 ([N, C, H, W], N = 2 in 10%) or rank 3 ([N, C, W],
 * 1-D windows, 20%). Layers, drawn from the LAYERS registry below by weight:
 * - conv: dense, depthwise (channel multiplier 1 or 2), grouped (any divisor of C); kernel 1–5
 *   per axis (1×N, N×1 included), strides 1–3, dilations 1–3, pads 0–2 per side (at most the
 *   dilated kernel's extent minus one; in 20% up to the extent + 1, at most 5, so that whole
 *   windows lie in the padding) drawn independently (asymmetric), with or without bias,
 *   per-channel or per-tensor weight scales, fused ReLU, ReLU6 or a random Clip;
 * - max pool (dilated in 20%, then unpadded) and average pool (count_include_pad off), kernel
 *   1–4, strides 1–3, pads below the kernel, ceil mode where the last window starts inside the
 *   input, and global average pooling;
 * - residual: one or two shape-keeping layers (a conv of any group kind with pads split at
 *   random, a clamp, a same-size pool) added to their input, or x + x;
 * - concat along channels of two or three branches (the input itself, a conv, a same-size
 *   pool), requantized or with the first input's parameters;
 * - Pad (constant, reflect, edge; constant may crop with a negative pad), QClamp;
 * - flatten + fully connected, and further fully connected layers on the flat tensor;
 * - broadcasting QMul and QAdd (Sub): squeeze-excite x * avgpool(x), x * x, and products, sums
 *   and differences with int8 constants of per-channel, per-position, scalar or full shape;
 * - Transpose of two of the channel and spatial dims;
 * - then (issue 16; from a stream of their own, so the graph before them is the one earlier
 *   versions made for the seed) 0 to 2 of: sigmoid, tanh, hard-swish, hard-sigmoid, leaky ReLU,
 *   PReLU (one slope per channel or one for all), mean or max over adjacent axes (the spatial
 *   axes, the channels, the last axis or all but the batch; keepdims or not), global max pool.
 * Output scales are set from the fan-in (about sqrt(K) times the input scale) so values spread
 * over the int8 range instead of saturating; zero points are random.
 *
 * By construction it avoids what a valid graph cannot have or the C backend refuses: every
 * window output size is >= 1, pool pads are below the kernel (and every pooling window holds at
 * least one input element), reflect pads are below the dimension, no count_include_pad with
 * pads, no activation above MAX_ELEMENTS (4 KB); a broadcast operand is always the second.
 * Not covered: Reshape other than flatten, concat along other axes, 'wrap' pads,
 * count_include_pad, fully connected on rank > 2, graphs with several inputs or outputs,
 * activation widths other than 8 (weights: 4 bits in a share of the conv/fc layers with
 * `{ int4 }`), weights that are not constants, 3-D windows, large tensors (CMSIS-NN
 * paths that only start above a size), the f32 entry points.
 */
import { interpret, randomSamples, type Expected } from './c-harness.js';
import type { GraphCase } from './c-graphs.js';
import { QGraphBuilder, type Act } from './qgraph.js';
import { mulberry32, uniform } from './random.js';

/** The most elements (int8: bytes) an activation has, batch included. */
export const MAX_ELEMENTS = 4096;

/** A random graph: the case, its seed (reproduces it alone) and the layers it drew. */
export interface RandomGraphCase extends GraphCase {
  seed: number;
  layers: string[];
}

/** Structure choices (a stream separate from the builder's weights). */
class Dice {
  constructor(private readonly next: () => number) {}
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)];
  }
  /** A factor in [lo, hi). */
  real(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }
}

/** Bit-width options of a random graph. */
export interface RandomWidths {
  /** The share of conv and fully connected layers with 4-bit weights (default 0: all int8, and
   * the dice stream is the one of graphs made before widths were an option). */
  int4?: number;
}

interface Gen {
  b: QGraphBuilder;
  d: Dice;
  widths: RandomWidths;
  layers: string[];
  /** Nesting of the layer being described (branches of residual and concat). */
  depth: number;
}

/** Records a layer's description, indented by its nesting. */
function note(g: Gen, text: string): void {
  g.layers.push('  '.repeat(g.depth) + text);
}

const product = (xs: readonly number[]): number => xs.reduce((a, b) => a * b, 1);
const spatialOf = (x: Act): number[] => x.shape.slice(2);

/** Window geometry of one conv or pool layer, per spatial axis. */
interface Window {
  k: number[];
  stride: number[];
  dil: number[];
  pads: number[];
}

const outSize = (size: number, k: number, s: number, dil: number, pb: number, pe: number): number => Math.floor((size + pb + pe - dil * (k - 1) - 1) / s) + 1;

/** A conv window; `same`: stride 1 and pads that keep the size (split at random between the sides). */
function convWindow(d: Dice, spatial: readonly number[], same: boolean): Window {
  const w: Window = { k: [], stride: [], dil: [], pads: [] };
  const begin: number[] = [];
  const end: number[] = [];
  for (const size of spatial) {
    let k = d.int(1, 5);
    let dil = d.chance(0.25) ? d.int(2, 3) : 1;
    const s = same ? 1 : d.chance(0.35) ? d.int(2, 3) : 1;
    let pb: number;
    let pe: number;
    if (same) {
      const total = dil * (k - 1);
      pb = d.int(0, total);
      pe = total - pb;
    } else {
      // Mostly pads below the window's extent; sometimes windows wholly in the padding.
      const most = d.chance(0.2) ? Math.min(5, dil * (k - 1) + 2) : Math.min(2, dil * (k - 1));
      pb = d.int(0, most);
      pe = d.int(0, most);
      // Shrink the window until it fits the padded input (output size >= 1).
      while (size + pb + pe < dil * (k - 1) + 1) {
        if (dil > 1) dil--;
        else k--;
        pb = Math.min(pb, most);
        pe = Math.min(pe, most);
      }
    }
    w.k.push(k);
    w.stride.push(s);
    w.dil.push(dil);
    begin.push(pb);
    end.push(pe);
  }
  w.pads = [...begin, ...end];
  return w;
}

function windowOut(spatial: readonly number[], w: Window): number[] {
  const sp = spatial.length;
  return spatial.map((size, i) => outSize(size, w.k[i], w.stride[i], w.dil[i], w.pads[i], w.pads[i + sp]));
}

/** A fused activation: none, ReLU, ReLU6, or a Clip(lo, hi) around the expected output range. */
function fusedClamp(d: Dice, outScale: number): { relu?: boolean; clip?: [number, number]; tag: string } {
  const r = d.int(0, 3);
  if (r === 1) return { relu: true, tag: 'relu' };
  if (r === 2) return { clip: [0, 6], tag: 'relu6' };
  if (r === 3) {
    const lo = -d.real(0, 60) * outScale;
    return { clip: [lo, lo + d.real(20, 150) * outScale], tag: 'clip' };
  }
  return { tag: '' };
}

type GroupKind = 'dense' | 'depthwise' | 'grouped';

/** A conv layer. `keepChannels`: outC = C (for residual branches); `same`: keeps the spatial
 * size; `maxC`: at most that many output channels (a dense conv when the group kind needs more). */
function conv(g: Gen, x: Act, o: { keepChannels?: boolean; same?: boolean; maxC?: number } = {}): Act {
  const { d } = g;
  const c = x.shape[1];
  const divisors = Array.from({ length: c }, (_, i) => i + 1).filter((v) => c % v === 0 && v > 1 && v < c);
  let kind: GroupKind = d.pick(['dense', 'dense', 'depthwise', 'depthwise', 'grouped'] as const);
  if (kind === 'grouped' && divisors.length === 0) kind = 'dense';
  if (kind === 'depthwise' && c === 1) kind = 'dense';
  let group = kind === 'dense' ? 1 : kind === 'depthwise' ? c : d.pick(divisors);
  const w = convWindow(d, spatialOf(x), o.same === true);
  const outSpatial = windowOut(spatialOf(x), w);
  let outC: number;
  if (o.keepChannels) outC = c;
  else if (kind === 'depthwise') outC = c * d.pick([1, 1, 2]);
  else if (kind === 'grouped') outC = group * d.int(1, 3);
  else outC = d.int(1, 12);
  if (o.maxC !== undefined && outC > o.maxC) {
    kind = 'dense';
    group = 1;
    outC = o.maxC;
  }
  const room = Math.floor(MAX_ELEMENTS / (x.shape[0] * product(outSpatial)));
  // A residual branch keeps its channels (the add needs them); elsewhere stay within the budget.
  while (!o.keepChannels && outC > group && outC > room) outC -= group;
  const fanIn = (c / group) * product(w.k);
  const outScale = x.scale * Math.sqrt(fanIn) * 0.5 * d.real(0.5, 1.5);
  const act = fusedClamp(d, outScale);
  const bias = d.chance(0.8);
  const perTensor = d.chance(0.25);
  const weightBits = drawWeightBits(g);
  note(g, `conv${weightBits === 4 ? ' w4' : ''} ${kind}${group > 1 ? ` g${group}` : ''} ${c}->${outC} k${w.k.join('x')} s${w.stride.join('x')} d${w.dil.join('x')} p${w.pads.join(',')}${bias ? '' : ' nobias'}${perTensor ? ' per-tensor' : ''}${act.tag ? ` ${act.tag}` : ''}`);
  return g.b.conv(x, { outC, k: w.k, stride: w.stride, pads: w.pads, dilation: w.dil, group, relu: act.relu, clip: act.clip, bias, perTensor, outScale, outZp: d.int(-30, 30), weightBits });
}

/** 4 or 8: the weight width of the next conv/fc layer (no draw when int4 is off). */
function drawWeightBits(g: Gen): 4 | 8 {
  const share = g.widths.int4 ?? 0;
  return share > 0 && g.d.chance(share) ? 4 : 8;
}

/** A pooling layer; `same`: stride 1 with pads that keep the size. */
function pool(g: Gen, x: Act, same = false): Act {
  const { d } = g;
  const spatial = spatialOf(x);
  const sp = spatial.length;
  const op = d.chance(0.5) ? 'QMaxPool' : 'QAveragePool';
  if (!same && op === 'QAveragePool' && d.chance(0.2)) {
    note(g, 'global average pool');
    return g.b.pool(op, x, spatial, spatial.map(() => 1));
  }
  const dilated = !same && op === 'QMaxPool' && d.chance(0.2);
  const k: number[] = [];
  const stride: number[] = [];
  const dil: number[] = [];
  const begin: number[] = [];
  const end: number[] = [];
  for (const size of spatial) {
    // Unpadded windows fit the input, so no window lies in the padding alone.
    let kk = d.int(1, Math.min(4, same ? 4 : size));
    const dd = dilated ? d.int(1, 2) : 1;
    while (kk > 1 && dd * (kk - 1) + 1 > size) kk--;
    let pb: number;
    let pe: number;
    if (same) {
      // Total pad kk - 1, each side below the kernel.
      pb = d.int(0, kk - 1);
      pe = kk - 1 - pb;
    } else if (dilated) {
      pb = 0;
      pe = 0;
    } else {
      pb = d.int(0, kk - 1);
      pe = d.int(0, kk - 1);
    }
    k.push(kk);
    stride.push(same ? 1 : d.chance(0.5) ? d.int(2, 3) : 1);
    dil.push(dd);
    begin.push(pb);
    end.push(pe);
  }
  const pads = [...begin, ...end];
  // Ceil mode only where every last window still starts inside the input.
  const ceilOk = spatial.every((size, i) => {
    const v = (size + pads[i] + pads[i + sp] - dil[i] * (k[i] - 1) - 1) / stride[i];
    return (Math.ceil(v)) * stride[i] - pads[i] <= size - 1;
  });
  const ceil = !same && ceilOk && d.chance(0.4);
  note(g, `${op === 'QMaxPool' ? 'max' : 'average'} pool k${k.join('x')} s${stride.join('x')}${dilated ? ` d${dil.join('x')}` : ''} p${pads.join(',')}${ceil ? ' ceil' : ''}`);
  return g.b.pool(op, x, k, stride, pads, ceil, dil);
}

function clamp(g: Gen, x: Act): Act {
  const lo = g.d.int(-128, 20);
  const hi = g.d.int(Math.max(lo + 1, -20), 127);
  note(g, `clamp [${lo}, ${hi}]`);
  return g.b.clamp(x, lo, hi);
}

function residual(g: Gen, x: Act): Act {
  const { d } = g;
  if (d.chance(0.1)) {
    note(g, 'add x + x');
    return g.b.add(x, x, d.chance(0.5), x.scale * 2, d.int(-20, 20));
  }
  note(g, 'residual {');
  g.depth++;
  let y = x;
  const n = d.int(1, 2);
  for (let i = 0; i < n; i++) {
    const r = d.int(0, 5);
    y = r <= 3 ? conv(g, y, { keepChannels: true, same: true }) : r === 4 ? clamp(g, y) : pool(g, y, true);
  }
  const relu = d.chance(0.5);
  g.depth--;
  note(g, `} add${relu ? ' relu' : ''}`);
  return d.chance(0.5) ? g.b.add(y, x, relu, Math.max(x.scale, y.scale) * d.real(1, 2), d.int(-20, 20)) : g.b.add(x, y, relu, Math.max(x.scale, y.scale) * d.real(1, 2), d.int(-20, 20));
}

function concat(g: Gen, x: Act): Act {
  const { d } = g;
  const c = x.shape[1];
  // Channels the concat output may have; where two copies of the input do not fit, a conv.
  const budget = Math.floor(MAX_ELEMENTS / product(x.shape.filter((_, i) => i !== 1)));
  if (budget < 2 * c) return conv(g, x);
  const n = budget >= 3 * c && d.chance(0.15) ? 3 : 2;
  note(g, `concat of ${n} {`);
  g.depth++;
  const parts: Act[] = [];
  for (let i = 0; i < n; i++) {
    const r = d.int(0, 3);
    // Room for this branch, leaving C channels for each branch after it (always >= C).
    const room = budget - parts.reduce((s, p) => s + p.shape[1], 0) - c * (n - 1 - i);
    if (r === 0) {
      note(g, 'input');
      parts.push(x);
    } else if (r === 3) {
      parts.push(pool(g, x, true));
    } else {
      parts.push(conv(g, x, { same: true, maxC: Math.min(room, 12) }));
    }
  }
  const same = d.chance(0.3);
  g.depth--;
  note(g, `} concat${same ? ' (first input\'s parameters)' : ''}`);
  return same ? g.b.concatSame(parts, 1) : g.b.concat(parts, 1);
}

function pad(g: Gen, x: Act): Act {
  const { d } = g;
  const r = x.shape.length;
  const spatial = spatialOf(x);
  const mode = d.pick(['constant', 'constant', 'reflect', 'edge'] as const);
  const begin = new Array<number>(r).fill(0);
  const end = new Array<number>(r).fill(0);
  const grow = Math.floor(MAX_ELEMENTS / x.shape.reduce((a, b) => a * b, 1)) >= 2;
  for (let i = 0; i < spatial.length; i++) {
    const size = spatial[i];
    const most = mode === 'reflect' ? Math.min(2, size - 1) : 2;
    const one = (): number => (mode === 'constant' && size > 3 && d.chance(0.15) ? -1 : grow ? d.int(0, most) : 0);
    begin[i + 2] = one();
    end[i + 2] = one();
  }
  if (mode === 'constant' && grow && d.chance(0.2)) end[1] = 1;
  const pads = [...begin, ...end];
  note(g, `pad ${mode} ${pads.join(',')}`);
  return g.b.pad(x, pads, mode);
}

function flattenFc(g: Gen, x: Act): Act {
  const { d } = g;
  let y = x;
  if (x.shape.length > 2) {
    const k = product(x.shape.slice(1));
    note(g, `flatten -> [${x.shape[0]}, ${k}]`);
    y = g.b.reshape(x, [x.shape[0], k]);
  }
  const outF = d.int(2, 16);
  const k = y.shape[1];
  const outScale = y.scale * Math.sqrt(k) * 0.2 * d.real(0.5, 1.5);
  const act = fusedClamp(d, outScale);
  const weightBits = drawWeightBits(g);
  // 4-bit FC: per tensor (one arm_fully_connected_s4 call) or per channel (one per output).
  const perTensor = weightBits === 4 && d.chance(0.5);
  note(g, `fc${weightBits === 4 ? ` w4${perTensor ? ' per-tensor' : ''}` : ''} ${k}->${outF}${act.tag ? ` ${act.tag}` : ''}`);
  return g.b.fc(y, outF, act.relu === true, { clip: act.clip, outScale, outZp: d.int(-30, 30), weightBits, perTensor });
}

/** A broadcasting elementwise layer: squeeze-excite (x * pool(x) over [N, C, 1, 1]), a product
 * or sum with a constant of a broadcastable shape (per channel, per position, a scalar, or the
 * full shape), a difference, or x * x. The full-shape operand comes first, as the lowering puts it. */
function broadcast(g: Gen, x: Act): Act {
  const { d, b } = g;
  const r = x.shape.length;
  const spatial = spatialOf(x);
  const kind = d.int(0, 5);
  const outZp = d.int(-20, 20);
  if (kind === 0) {
    note(g, 'squeeze-excite: x * avgpool(x)');
    const s = b.pool('QAveragePool', x, spatial, spatial.map(() => 1));
    return b.mul(x, s, { outZp });
  }
  if (kind === 1) {
    note(g, 'mul x * x');
    return b.mul(x, x, { outZp, relu: d.chance(0.3) });
  }
  const shapes = [
    [1, x.shape[1], ...spatial.map(() => 1)], [x.shape[1], ...spatial.map(() => 1)], [1], [], [...spatial], [1, 1, ...spatial.map((v, i) => (i === 0 ? v : 1))], [...x.shape],
  ].filter((sh) => sh.length <= r);
  const shape = d.pick(shapes);
  const k = b.constOperand(shape);
  const op = kind === 2 || kind === 3 ? 'mul' : kind === 4 ? 'add' : 'sub';
  note(g, `${op} by a constant [${shape.join(', ')}]`);
  const outScale = op === 'mul' ? undefined : Math.max(x.scale, k.scale) * d.real(1, 2);
  return op === 'mul' ? b.mul(x, k, { outZp }) : b.addBroadcast(x, k, { sub: op === 'sub', outScale, outZp, relu: d.chance(0.3) });
}

/** A transpose of the spatial dims or of channels and one spatial dim. */
function transpose(g: Gen, x: Act): Act {
  const r = x.shape.length;
  const perm = Array.from({ length: r }, (_, i) => i);
  const [i, j] = r === 3 ? [1, 2] : g.d.pick([[2, 3], [1, 2], [1, 3]]);
  [perm[i], perm[j]] = [perm[j], perm[i]];
  note(g, `transpose ${perm.join(',')}`);
  return g.b.transpose(x, perm);
}

/** One layer kind: how often it is drawn and on which activations it applies. */
interface LayerKind {
  weight: number;
  applies: (x: Act) => boolean;
  make: (g: Gen, x: Act) => Act;
}

const spatialRank = (x: Act): boolean => x.shape.length >= 3;

/** The layer kinds the generator draws from. */
const LAYERS: Record<string, LayerKind> = {
  conv: { weight: 6, applies: spatialRank, make: (g, x) => conv(g, x) },
  pool: { weight: 2, applies: spatialRank, make: (g, x) => pool(g, x) },
  residual: { weight: 2, applies: spatialRank, make: residual },
  concat: { weight: 1.5, applies: spatialRank, make: concat },
  pad: { weight: 1, applies: spatialRank, make: pad },
  clamp: { weight: 0.5, applies: () => true, make: clamp },
  fc: { weight: 1, applies: () => true, make: flattenFc },
  broadcast: { weight: 1.5, applies: spatialRank, make: broadcast },
  transpose: { weight: 0.5, applies: spatialRank, make: transpose },
};

function drawLayer(d: Dice, x: Act): LayerKind {
  const kinds = Object.values(LAYERS).filter((k) => k.applies(x));
  const total = kinds.reduce((s, k) => s + k.weight, 0);
  let r = d.real(0, total);
  for (const k of kinds) {
    r -= k.weight;
    if (r < 0) return k;
  }
  return kinds[kinds.length - 1];
}

/** Adjacent axes a reduction of `x` may take: the spatial axes, the channels, the last axis, all but the batch. */
function reduceAxes(d: Dice, x: Act): number[] {
  const r = x.shape.length;
  const all = Array.from({ length: r - 1 }, (_, i) => i + 1);
  return d.pick([all.slice(1), [1], [r - 1], all].filter((a) => a.length > 0));
}

/** One of issue 16's int8 activations or reductions after `x`. */
function tailLayer(g: Gen, x: Act): Act {
  const { b, d } = g;
  const kind = d.pick(['sigmoid', 'tanh', 'hardswish', 'hardsigmoid', 'leakyrelu', 'prelu', 'mean', 'reducemax', 'globalmaxpool'] as const);
  switch (kind) {
    case 'sigmoid':
    case 'tanh':
      note(g, kind);
      return b.sigmoidTanh(kind === 'sigmoid' ? 'QSigmoid' : 'QTanh', x);
    case 'hardswish':
      note(g, kind);
      return b.hardSwish(x);
    case 'hardsigmoid':
      note(g, kind);
      return b.hardSigmoid(x, d.pick([1 / 6, 0.2]), 0.5);
    case 'leakyrelu': {
      const alpha = d.pick([0.01, 0.1, 0.25]);
      note(g, `leakyrelu ${alpha}`);
      return b.leakyRelu(x, alpha);
    }
    case 'prelu': {
      const per = x.shape.length >= 2 && x.shape[1] > 1 && d.chance(0.7);
      note(g, `prelu (${per ? 'per channel' : 'one slope'})`);
      return b.prelu(x, per);
    }
    case 'globalmaxpool':
    case 'mean':
    case 'reducemax': {
      if (kind === 'globalmaxpool' && spatialRank(x)) {
        note(g, 'globalmaxpool');
        const sp = spatialOf(x);
        return b.pool('QMaxPool', x, sp, sp.map(() => 1));
      }
      if (x.shape.length < 2) return x;
      const axes = reduceAxes(d, x);
      const keep = d.chance(0.5);
      note(g, `${kind === 'reducemax' ? 'reducemax' : 'mean'} axes [${axes}] keepdims ${keep ? 1 : 0}`);
      return b.reduce(kind === 'reducemax' ? 'QReduceMax' : 'QMean', x, axes, keep);
    }
  }
}

/** One random quantized graph, a pure function of `seed`. */
export function randomQuantizedGraph(seed: number, widths: RandomWidths = {}): RandomGraphCase {
  const d = new Dice(uniform(seed));
  const b = new QGraphBuilder(mulberry32(seed ^ 0x5bd1e995)());
  const g: Gen = { b, d, widths, layers: [], depth: 0 };
  const rank3 = d.chance(0.2);
  const n = d.chance(0.1) ? 2 : 1;
  const c = d.int(1, 8);
  const inputShape = [n, c, ...(rank3 ? [d.int(4, 24)] : [d.int(3, 12), d.int(3, 12)])];
  let x = b.input(inputShape, d.pick([1 / 64, 1 / 48, 1 / 32]), d.int(-20, 20));
  const count = d.int(1, 6);
  for (let i = 0; i < count; i++) x = drawLayer(d, x).make(g, x);
  // Softmax over a last axis of one element is the constant 127: left out.
  if (d.chance(0.3) && x.shape[x.shape.length - 1] > 1) {
    note(g, 'softmax');
    x = b.softmax(x);
  }
  // Issue 16's activations and reductions come last, from a stream of their own, so every graph
  // of the earlier generator is an unchanged prefix of the graph of the same seed.
  const e = new Dice(uniform((seed ^ 0x16a3c5e7) >>> 0));
  const tail = e.int(0, 2);
  for (let i = 0; i < tail; i++) x = tailLayer({ ...g, d: e }, x);
  return { name: `random-${seed}`, seed, layers: g.layers, graph: b.build(x), inputShape, rand: b.rand };
}

/** `count` random graphs; graph i is randomQuantizedGraph(seed i of the stream from `seed`, widths). */
export function randomQuantizedGraphs(seed: number, count: number, widths: RandomWidths = {}): RandomGraphCase[] {
  const next = mulberry32(seed);
  return Array.from({ length: count }, () => randomQuantizedGraph(next(), widths));
}

/** `count` float inputs for a case, from its seed (the same on every call). */
export function randomCaseSamples(c: RandomGraphCase, count: number): Float32Array[] {
  return randomSamples(uniform((c.seed ^ 0x2545f491) >>> 0), c.inputShape, count);
}

/** The interpreter's int8 inputs and outputs (and the float ones) on `count` seeded samples of a
 * case: `in8[k]` goes into a backend's int8 entry point, `out8[k]` is what must come out. */
export function interpretRandomCase(c: RandomGraphCase, count: number): Expected {
  return interpret(c.graph, randomCaseSamples(c, count));
}
