/**
 * QConv and QFullyConnected in Wasm, NHWC. Per output position the (x - zero point) values of
 * the window are gathered into an int16 column in scratch (0 for padded taps; unrolled for
 * windows inside the input), then every output channel is a dot product of that column with its
 * weight row: `i32x4.dot_i16x8_s` over rows pre-extended to int16 and interleaved four channels
 * at a time (SIMD), or a scalar loop over int8 rows (OHWI). Depthwise layers (one input and one
 * output channel per group) take their own SIMD kernel (depthwise.ts). The int32 sums wrap like
 * the interpreter's; requantization is the fast i32x4 form of requant-simd.ts where the layer
 * qualifies, else the i64x2 form, else `requantizeInto` per output, reading a 16-byte record per
 * channel {bias, multiplier, left shift, right shift}. A fully connected layer is a 1x1
 * convolution over its rows.
 */
import { elementCount } from '../../../ir/graph.js';
import { nhwcOf, window2d } from '../../../schedule/geometry.js';
import { weightsForInputLayout } from '../../../schedule/layout.js';
import type { NodeStep } from '../../../schedule/types.js';
import { constData, perChannel } from '../../c/kernel-call.js';
import { weightsOHWI } from '../../c/weights.js';
import type { BuildContext } from '../kernel.js';
import { requantizeInto, v128, type Expr, type Fn } from '../fn.js';
import { fastRequant, requantRunFast } from '../requant-simd.js';
import { depthwiseBody } from './depthwise.js';
import { tapsAt } from './windows.js';

/** Everything a convolution step's code is specialized on. */
export interface ConvSpec {
  N: number; H: number; W: number; C: number;
  OH: number; OW: number; M: number;
  kh: number; kw: number; sh: number; sw: number; ph: number; pw: number; dh: number; dw: number;
  G: number;
  zp: number; ozp: number; lo: number; hi: number;
  /** [M][kh][kw][C / G] */
  w: Int8Array;
  bias: Int32Array | undefined;
  mult: Int32Array;
  shift: Int32Array;
  input: number;
  output: number;
}

const ceilTo = (x: number, k: number) => Math.ceil(x / k) * k;

/** Column stores per position up to which the gather of a window inside the input is unrolled. */
const UNROLL_FILL = 256;

/** Scratch bytes of a convolution: the int16 column (with room for 8-wide stores past its end)
 * and one int32 accumulator per output channel (with room for 8-wide stores), twice. */
export function convScratchBytes(cgk: number, m: number): number {
  // Two of each: the SIMD module computes two output positions per pass.
  return 2 * (ceilTo((ceilTo(cgk, 8) + 8) * 2, 16) + (m + 8) * 4);
}

export function isDepthwise(s: { G: number; C: number; M: number }): boolean {
  return s.G > 1 && s.G === s.C && s.G === s.M;
}

/** The spec of a QConv step. */
export function convSpec(step: NodeStep, ctx: BuildContext): ConvSpec {
  if (step.node.op !== 'QConv') throw new Error('unreachable');
  const a = step.node.attrs;
  const inD = nhwcOf(step.inputs[0].shape);
  const outD = nhwcOf(step.output.shape);
  const win = window2d(a);
  const q = perChannel(step, a.multiplier, a.shift, outD.c);
  return {
    N: inD.n, H: inD.h, W: inD.w, C: inD.c, OH: outD.h, OW: outD.w, M: outD.c,
    kh: win.kernelH, kw: win.kernelW, sh: win.strideH, sw: win.strideW, ph: win.padH, pw: win.padW, dh: win.dilationH, dw: win.dilationW,
    G: a.group, zp: a.inputZeroPoint, ozp: a.outputZeroPoint, lo: a.actMin, hi: a.actMax,
    w: weightsOHWI(constData(step, 0, 'int8'), step.consts[0]!.shape), bias: constData(step, 1, 'int32'), mult: q.mult, shift: q.shift,
    input: ctx.addr(step.inputs[0]), output: ctx.addr(step.output),
  };
}

/** The spec of a QFullyConnected step: rows of K input bytes as a 1x1 convolution. */
export function fcSpec(step: NodeStep, ctx: BuildContext): ConvSpec {
  if (step.node.op !== 'QFullyConnected') throw new Error('unreachable');
  const a = step.node.attrs;
  const x = step.inputs[0];
  const [m, k] = step.consts[0]!.shape;
  const q = perChannel(step, a.multiplier, a.shift, m);
  return {
    N: elementCount(x.shape) / k, H: 1, W: 1, C: k, OH: 1, OW: 1, M: m, kh: 1, kw: 1, sh: 1, sw: 1, ph: 0, pw: 0, dh: 1, dw: 1, G: 1,
    zp: a.inputZeroPoint, ozp: a.outputZeroPoint, lo: a.actMin, hi: a.actMax,
    w: weightsForInputLayout(constData(step, 0, 'int8'), m, k, x.layout), bias: constData(step, 1, 'int32'), mult: q.mult, shift: q.shift,
    input: ctx.addr(x), output: ctx.addr(step.output),
  };
}

/** {bias, multiplier, left shift, right shift} per output channel. */
function channelRecords(s: ConvSpec): Int32Array {
  const r = new Int32Array(s.M * 4);
  for (let m = 0; m < s.M; m++) {
    r[m * 4] = s.bias ? s.bias[m] : 0;
    r[m * 4 + 1] = s.mult[m];
    r[m * 4 + 2] = Math.max(s.shift[m], 0);
    r[m * 4 + 3] = Math.max(-s.shift[m], 0);
  }
  return r;
}

/** Requantizes `count` accumulators at `acc` with the records at `records` into int8 at `out`. */
export function requantizeRun(f: Fn, acc: Expr, records: number, out: Expr, count: number, s: { ozp: number; lo: number; hi: number }): Expr[] {
  const m = f.m;
  const ap = f.local();
  const rp = f.local();
  const op = f.local();
  const v = f.local();
  return [
    f.set(ap, acc), f.set(rp, f.c(records)), f.set(op, out),
    f.repeat(count, [
      f.set(v, m.i32.add(m.i32.load(0, 4, f.get(ap)), m.i32.load(0, 4, f.get(rp)))),
      ...requantizeInto(f, v, m.i32.load(4, 4, f.get(rp)), m.i32.load(8, 4, f.get(rp)), m.i32.load(12, 4, f.get(rp))),
      f.set(v, m.i32.add(f.get(v), f.c(s.ozp))),
      m.i32.store8(0, 1, f.get(op), f.clamp(v, s.lo, s.hi)),
      f.inc(ap, 4), f.inc(rp, 16), f.inc(op, 1),
    ]),
  ];
}

/** The SIMD requantization records, per block of four channels (112 bytes): bias, multiplier and
 * 2^left as i32x4, then as i64x2 pairs L = 2^(32 - right) and T = ((2^right - 1) >> 1) * L. With
 * h the doubling high product, floor(h / 2^right) = (h * L) >> 32 and the remainder test of the
 * rounding division is ((h * L) & (2^32 - 1)) > T + (h < 0 ? L : 0), all exact in i64 lanes. */
function simdRecords(s: ConvSpec, blocks: number): Int32Array {
  const r = new Int32Array(blocks * 28);
  const dv = new DataView(r.buffer);
  for (let b = 0; b < blocks; b++) {
    const o = b * 112;
    for (let i = 0; i < 4; i++) {
      const m = b * 4 + i;
      const left = Math.max(s.shift[m], 0);
      const right = Math.max(-s.shift[m], 0);
      const L = 2n ** BigInt(32 - right);
      const T = ((2n ** BigInt(right) - 1n) >> 1n) * L;
      dv.setInt32(o + i * 4, s.bias ? s.bias[m] : 0, true);
      dv.setInt32(o + 16 + i * 4, s.mult[m], true);
      dv.setInt32(o + 32 + i * 4, 2 ** left | 0, true);
      dv.setBigInt64(o + 48 + i * 8, L, true);
      dv.setBigInt64(o + 80 + i * 8, T, true);
    }
  }
  // ConstPool writes Int32Array elements little-endian; the DataView wrote host order = LE.
  return r;
}

/** requantizeRun for `count` channels, four at a time with i64x2 arithmetic (exact; see
 * simdRecords), the remaining channels scalar. Multipliers must be non-negative (a Q31 multiplier
 * of a positive scale always is), so the doubling high product fits 32 bits without wrapping. */
function requantizeRunSimd(f: Fn, acc: Expr, s: ConvSpec, records: number, simdRecordsAt: number, out: Expr, count: number): Expr[] {
  const m = f.m;
  const blocks = Math.floor(count / 4);
  const [ap, rp, op] = [f.local(), f.local(), f.local()];
  const [a, h0, h1, q0, q1] = [f.local(v128), f.local(v128), f.local(v128), f.local(v128), f.local(v128)];
  const lo32 = m.v128.const([255, 255, 255, 255, 0, 0, 0, 0, 255, 255, 255, 255, 0, 0, 0, 0]);
  const half = (h: number, q: number, off: number): Expr[] => [
    f.set(q, m.i64x2.mul(f.get(h), m.v128.load(48 + off, 1, f.get(rp)))),
    // floor + (remainder > threshold): gt gives -1 per lane.
    f.set(q, m.i64x2.sub(m.i64x2.shr_s(f.get(q), f.c(32)), m.i64x2.gt_s(m.v128.and(f.get(q), lo32),
      m.i64x2.add(m.v128.load(80 + off, 1, f.get(rp)), m.v128.and(m.v128.load(48 + off, 1, f.get(rp)), m.i64x2.shr_s(f.get(h), f.c(63))))))),
  ];
  const evens = [0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27];
  const body: Expr[] = [
    f.set(ap, acc), f.set(rp, f.c(simdRecordsAt)), f.set(op, out),
    f.repeat(blocks, [
      f.set(a, m.i32x4.mul(m.i32x4.add(m.v128.load(0, 1, f.get(ap)), m.v128.load(0, 1, f.get(rp))), m.v128.load(32, 1, f.get(rp)))),
      f.set(h0, m.i64x2.shr_s(m.i64x2.add(m.i64x2.extmul_low_i32x4_s(f.get(a), m.v128.load(16, 1, f.get(rp))), m.i64x2.splat(m.i64.const(1n << 30n))), f.c(31))),
      f.set(h1, m.i64x2.shr_s(m.i64x2.add(m.i64x2.extmul_high_i32x4_s(f.get(a), m.v128.load(16, 1, f.get(rp))), m.i64x2.splat(m.i64.const(1n << 30n))), f.c(31))),
      ...half(h0, q0, 0), ...half(h1, q1, 16),
      f.set(a, m.i32x4.add(m.i8x16.shuffle(f.get(q0), f.get(q1), evens), m.i32x4.splat(f.c(s.ozp)))),
      f.set(a, m.i32x4.min_s(m.i32x4.max_s(f.get(a), m.i32x4.splat(f.c(s.lo))), m.i32x4.splat(f.c(s.hi)))),
      m.v128.store32_lane(0, 1, 0, f.get(op), m.i8x16.narrow_i16x8_s(m.i16x8.narrow_i32x4_s(f.get(a), f.get(a)), f.get(a))),
      f.inc(ap, 16), f.inc(rp, 112), f.inc(op, 4),
    ]),
  ];
  if (count > blocks * 4) body.push(...requantizeRun(f, f.get(ap), records + blocks * 64, f.get(op), count - blocks * 4, s));
  return body;
}

/** Per output channel a bound on |sum of w * (x - zero point) + bias| over every int8 input. */
function accBounds(s: ConvSpec): number[] {
  const row = s.w.length / s.M;
  const x = Math.max(Math.abs(-128 - s.zp), Math.abs(127 - s.zp));
  return Array.from({ length: s.M }, (_, m) => {
    let sum = 0;
    for (let k = m * row; k < (m + 1) * row; k++) sum += Math.abs(s.w[k]);
    return sum * x + Math.abs(s.bias ? s.bias[m] : 0);
  });
}

/** Sets local `o` to `out` and reads it back (the output address is used twice). */
function m0(f: Fn, o: number, out: Expr): Expr {
  return f.m.local.tee(o, out, f.vars[o]);
}

/** Requantization of a step's accumulators: SIMD where the module has it and the multipliers
 * allow, else scalar. Places the records once; the returned function emits the code for one
 * accumulator buffer and output address. */
function requantizer(f: Fn, ctx: BuildContext, s: ConvSpec): (acc: number, out: Expr) => Expr[] {
  const m = f.m;
  const records = ctx.consts.add(channelRecords(s));
  if (!f.simd || s.M < 4 || s.mult.some((v) => v < 0)) return (acc, out) => requantizeRun(f, f.c(acc), records, out, s.M, s);
  const fast = fastRequant(s.mult, s.shift, s.bias, s.ozp, accBounds(s));
  if (fast) {
    const fastAt = ctx.consts.add(fast.records);
    return (acc, out) => {
      const o = f.local();
      const { code, done } = requantRunFast(f, fast, fastAt, f.c(acc), m0(f, o, out), s.M, s.lo, s.hi);
      if (done < s.M) code.push(...requantizeRun(f, f.c(acc + done * 4), records + done * 16, m.i32.add(f.get(o), f.c(done)), s.M - done, s));
      return code;
    };
  }
  const blocks = Math.floor(s.M / 4);
  const at = ctx.consts.add(simdRecords(s, blocks));
  return (acc, out) => requantizeRunSimd(f, f.c(acc), s, records, at, out, s.M);
}

/** Sum of each of four i32x4 vectors, as one i32x4. */
function hsum4(f: Fn, a: readonly number[]): Expr {
  const m = f.m;
  const lanes = (l: number[]) => l.flatMap((x) => [x * 4, x * 4 + 1, x * 4 + 2, x * 4 + 3]);
  const sh = (x: Expr, y: Expr, l: number[]) => m.i8x16.shuffle(x, y, lanes(l));
  const pair = (x: number, y: number) => m.i32x4.add(sh(f.get(x), f.get(y), [0, 4, 1, 5]), sh(f.get(x), f.get(y), [2, 6, 3, 7]));
  const x = f.local(v128);
  const y = f.local(v128);
  return m.block(null, [
    f.set(x, pair(a[0], a[1])),
    f.set(y, pair(a[2], a[3])),
    m.i32x4.add(sh(f.get(x), f.get(y), [0, 1, 4, 5]), sh(f.get(x), f.get(y), [2, 3, 6, 7])),
  ], v128);
}

/** SIMD weights: per group, per block of four channels, per 8-value chunk j, the four channels'
 * chunks one after the other (64 bytes per j), int16, zero past the row and past the channels. */
function packSimd(s: ConvSpec, cgk: number, J: number, mg: number, mg4: number): Int16Array {
  const out = new Int16Array(s.G * mg4 * J * 8);
  let o = 0;
  for (let g = 0; g < s.G; g++) {
    for (let mb = 0; mb < mg4; mb += 4) {
      for (let j = 0; j < J; j++) {
        for (let i = 0; i < 4; i++) {
          for (let e = 0; e < 8; e++) {
            const ch = mb + i;
            const k = j * 8 + e;
            out[o++] = ch < mg && k < cgk ? s.w[(g * mg + ch) * cgk + k] : 0;
          }
        }
      }
    }
  }
  return out;
}

/** Scalar weights: per group, per block of `bs` channels (4, or 1 for groups of fewer than four
 * channels), for each column index the block's weights (int8), zero past the group's channels. */
function packScalar(s: ConvSpec, cgk: number, mg: number, bs: number): Int8Array {
  const mgB = ceilTo(mg, bs);
  const out = new Int8Array(s.G * mgB * cgk);
  let o = 0;
  for (let g = 0; g < s.G; g++) {
    for (let mb = 0; mb < mgB; mb += bs) {
      for (let k = 0; k < cgk; k++) {
        for (let i = 0; i < bs; i++) out[o++] = mb + i < mg ? s.w[(g * mg + mb + i) * cgk + k] : 0;
      }
    }
  }
  return out;
}

/** The body of a convolution step. The SIMD module computes two output positions (along W) per
 * pass, so each weight vector it loads feeds two dot products. */
export function convBody(s: ConvSpec, ctx: BuildContext): Expr[] {
  const { f } = ctx;
  const m = f.m;
  const simd = f.simd;
  if (simd && isDepthwise(s)) return depthwiseBody(s, ctx, requantizer(f, ctx, s));
  const cg = s.C / s.G;
  const mg = s.M / s.G;
  const K = s.kh * s.kw;
  const cgk = cg * K;
  const J = Math.ceil(cgk / 8);
  const mg4 = ceilTo(mg, 4);
  const colBytes = ceilTo((ceilTo(cgk, 8) + 8) * 2, 16);
  const accBytes = (s.M + 8) * 4;
  // Scratch: col0, acc0, col1, acc1 (the second pair for the SIMD module's second position).
  const cols = [ctx.scratch, ctx.scratch + colBytes + accBytes];
  const accs = [cols[0] + colBytes, cols[1] + colBytes];
  const bs = mg >= 4 ? 4 : 1;
  const wAddr = ctx.consts.add(simd ? packSimd(s, cgk, J, mg, mg4) : packScalar(s, cgk, mg, bs));
  const requant = requantizer(f, ctx, s);
  const [n, oy, ox, ky, kx, iy, ix, g] = Array.from({ length: 8 }, () => f.local());
  const [xb, sp, dp, wp, ap0, ap1, cp0, cp1, sum] = Array.from({ length: 9 }, () => f.local());
  const vec = () => (simd ? f.local(v128) : -1);
  const zpv = vec();
  const a = [vec(), vec(), vec(), vec()];
  const b = [vec(), vec(), vec(), vec()];
  const cv0 = vec();
  const cv1 = vec();
  const wv = vec();
  const zero = () => m.v128.const(new Array(16).fill(0));

  const position = (dx: number): Expr => m.i32.add(f.c(s.output + dx * s.M),
    m.i32.mul(m.i32.add(m.i32.mul(m.i32.add(m.i32.mul(f.get(n), f.c(s.OH)), f.get(oy)), f.c(s.OW)), f.get(ox)), f.c(s.M)));
  // The column of group g at output position ox + dx.
  const fill = (valid: boolean): Expr[] => {
    if (simd) {
      return [f.repeat(Math.ceil(cg / 8), [
        m.v128.store(0, 1, f.get(dp), valid ? m.i16x8.sub(m.v128.load8x8_s(0, 1, f.get(sp)), f.get(zpv)) : zero()),
        f.inc(dp, 16), ...(valid ? [f.inc(sp, 8)] : []),
      ])];
    }
    return [f.repeat(cg, [
      m.i32.store16(0, 2, f.get(dp), valid ? m.i32.sub(m.i32.load8_s(0, 1, f.get(sp)), f.c(s.zp)) : f.c(0)),
      f.inc(dp, 2), ...(valid ? [f.inc(sp, 1)] : []),
    ])];
  };
  const tapAddr = () => m.i32.add(f.get(xb), m.i32.add(m.i32.mul(m.i32.add(m.i32.mul(f.get(iy), f.c(s.W)), f.get(ix)), f.c(s.C)), m.i32.mul(f.get(g), f.c(cg))));
  const column = (dx: number): Expr[] => [
    f.loop(ky, 0, s.kh, 1, [
      f.set(iy, m.i32.add(m.i32.add(m.i32.mul(f.get(oy), f.c(s.sh)), f.c(-s.ph)), m.i32.mul(f.get(ky), f.c(s.dh)))),
      f.loop(kx, 0, s.kw, 1, [
        f.set(ix, m.i32.add(m.i32.add(m.i32.mul(f.get(ox), f.c(s.sw)), f.c(dx * s.sw - s.pw)), m.i32.mul(f.get(kx), f.c(s.dw)))),
        f.set(dp, m.i32.add(f.c(cols[dx]), m.i32.mul(m.i32.add(m.i32.mul(f.get(ky), f.c(s.kw)), f.get(kx)), f.c(cg * 2)))),
        m.if(m.i32.and(f.inRange(f.get(iy), s.H), f.inRange(f.get(ix), s.W)),
          f.block([f.set(sp, tapAddr()), ...fill(true)]),
          f.block(fill(false))),
      ]),
    ]),
  ];
  // With few enough column stores, each run of rows and columns (same in-range taps) gets the
  // gather unrolled: constant offsets from the window's first valid tap, zeros for the others.
  // Windows wholly inside the input (rows ya..yb, columns xa..xb) take an unrolled gather with
  // constant offsets when it is short enough; the others the loop with border tests.
  const full = (out: number, st: number, pad: number, dil: number, k: number, size: number) => {
    const inside = Array.from({ length: out }, (_, o) => tapsAt(o, st, pad, dil, k, size).length === k);
    const first = inside.indexOf(true);
    return first < 0 ? null : { start: first, end: inside.lastIndexOf(true) + 1 };
  };
  const fy = full(s.OH, s.sh, s.ph, s.dh, s.kh, s.H);
  const fx = full(s.OW, s.sw, s.pw, s.dw, s.kw, s.W);
  const unroll = K * (simd ? Math.ceil(cg / 8) : cg) <= UNROLL_FILL && fy !== null && fx !== null;
  const allY = Array.from({ length: s.kh }, (_, k) => k);
  const allX = Array.from({ length: s.kw }, (_, k) => k);
  const inside = (dx: number): Expr => m.i32.and(f.inRange(m.i32.sub(f.get(oy), f.c(fy!.start)), fy!.end - fy!.start),
    f.inRange(m.i32.sub(f.get(ox), f.c(fx!.start - dx)), fx!.end - fx!.start));
  const gather = (dx: number): Expr[] => (unroll ? [m.if(inside(dx), f.block(columnAt(dx, allY, allX)), f.block(column(dx)))] : column(dx));
  const columnAt = (dx: number, tky: readonly number[], tkx: readonly number[]): Expr[] => {
    const [y0, x0] = [tky[0] ?? 0, tkx[0] ?? 0];
    const any = tky.length > 0 && tkx.length > 0;
    const iy0 = m.i32.add(m.i32.mul(f.get(oy), f.c(s.sh)), f.c(y0 * s.dh - s.ph));
    const ix0 = m.i32.add(m.i32.mul(f.get(ox), f.c(s.sw)), f.c(dx * s.sw + x0 * s.dw - s.pw));
    const code: Expr[] = any ? [f.set(sp, m.i32.add(m.i32.add(f.get(xb), m.i32.mul(m.i32.add(m.i32.mul(iy0, f.c(s.W)), ix0), f.c(s.C))), m.i32.mul(f.get(g), f.c(cg))))] : [];
    for (let y = 0; y < s.kh; y++) {
      for (let x = 0; x < s.kw; x++) {
        const dest = cols[dx] + (y * s.kw + x) * cg * 2;
        const valid = any && tky.includes(y) && tkx.includes(x);
        const off = ((y - y0) * s.dh * s.W + (x - x0) * s.dw) * s.C;
        if (simd) {
          for (let c = 0; c < Math.ceil(cg / 8); c++) {
            code.push(m.v128.store(0, 1, f.c(dest + c * 16), valid ? m.i16x8.sub(m.v128.load8x8_s(off + c * 8, 1, f.get(sp)), f.get(zpv)) : zero()));
          }
        } else {
          for (let c = 0; c < cg; c++) code.push(m.i32.store16(0, 2, f.c(dest + c * 2), valid ? m.i32.sub(m.i32.load8_s(off + c, 1, f.get(sp)), f.c(s.zp)) : f.c(0)));
        }
      }
    }
    return code;
  };
  const start = (): Expr[] => [
    f.set(wp, m.i32.add(f.c(wAddr), m.i32.mul(f.get(g), f.c(simd ? mg4 * J * 16 : ceilTo(mg, bs) * cgk)))),
    f.set(ap0, m.i32.add(f.c(accs[0]), m.i32.mul(f.get(g), f.c(mg * 4)))),
    f.set(ap1, m.i32.add(f.c(accs[1]), m.i32.mul(f.get(g), f.c(mg * 4)))),
  ];
  // SIMD dots of group g for one position (pair = false) or two.
  const simdDots = (pair: boolean): Expr[] => [
    ...start(),
    f.repeat(mg4 / 4, [
      ...a.map((r) => f.set(r, zero())),
      ...(pair ? b.map((r) => f.set(r, zero())) : []),
      f.set(cp0, f.c(cols[0])), f.set(cp1, f.c(cols[1])),
      f.repeat(J, [
        f.set(cv0, m.v128.load(0, 1, f.get(cp0))),
        ...(pair ? [f.set(cv1, m.v128.load(0, 1, f.get(cp1)))] : []),
        ...a.flatMap((r, i) => [
          f.set(wv, m.v128.load(i * 16, 1, f.get(wp))),
          f.set(r, m.i32x4.add(f.get(r), m.i32x4.dot_i16x8_s(f.get(cv0), f.get(wv)))),
          ...(pair ? [f.set(b[i], m.i32x4.add(f.get(b[i]), m.i32x4.dot_i16x8_s(f.get(cv1), f.get(wv))))] : []),
        ]),
        f.inc(cp0, 16), f.inc(cp1, 16), f.inc(wp, 64),
      ]),
      m.v128.store(0, 1, f.get(ap0), hsum4(f, a)),
      ...(pair ? [m.v128.store(0, 1, f.get(ap1), hsum4(f, b))] : []),
      f.inc(ap0, 16), f.inc(ap1, 16),
    ]),
  ];
  // Scalar: four channels per pass share each column value.
  const sums = bs === 4 ? [sum, f.local(), f.local(), f.local()] : [sum];
  const xv = f.local();
  const scalarDots = (): Expr[] => [
    ...start(),
    f.repeat(ceilTo(mg, bs) / bs, [
      ...sums.map((r) => f.set(r, f.c(0))),
      f.set(cp0, f.c(cols[0])),
      f.repeat(cgk, [
        f.set(xv, m.i32.load16_s(0, 2, f.get(cp0))),
        ...sums.map((r, i) => f.set(r, m.i32.add(f.get(r), m.i32.mul(f.get(xv), m.i32.load8_s(i, 1, f.get(wp)))))),
        f.inc(cp0, 2), f.inc(wp, bs),
      ]),
      ...sums.map((r, i) => m.i32.store(i * 4, 4, f.get(ap0), f.get(r))),
      f.inc(ap0, bs * 4),
    ]),
  ];
  const one = (): Expr[] => [f.loop(g, 0, s.G, 1, [...gather(0), ...(simd ? simdDots(false) : scalarDots())]), ...requant(accs[0], position(0))];
  const two = (): Expr[] => [
    f.loop(g, 0, s.G, 1, [...gather(0), ...gather(1), ...simdDots(true)]),
    ...requant(accs[0], position(0)), ...requant(accs[1], position(1)),
  ];
  const pairs = simd ? Math.floor(s.OW / 2) : 0;
  const row: Expr[] = [];
  if (pairs > 0) row.push(f.loop(ox, 0, pairs * 2, 2, two()));
  if (pairs * 2 < s.OW) row.push(f.loop(ox, pairs * 2, s.OW, 1, one()));
  return [
    ...(simd ? [f.set(zpv, m.i16x8.splat(f.c(s.zp)))] : []),
    f.loop(n, 0, s.N, 1, [
      f.set(xb, m.i32.add(f.c(s.input), m.i32.mul(f.get(n), f.c(s.H * s.W * s.C)))),
      f.loop(oy, 0, s.OH, 1, row),
    ]),
  ];
}
