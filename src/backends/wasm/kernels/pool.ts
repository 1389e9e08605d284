/**
 * QMaxPool and QAveragePool in Wasm over NHWC bytes, as the interpreter's int8 pooling: windows
 * skip padded taps; the maximum starts at -128; the average is the sum of the valid taps divided
 * by their count with C's truncating division after adding (or subtracting) half the count.
 * Max pooling runs 16 channels per `i8x16.max_s` in the SIMD module (remaining channels scalar);
 * the SIMD average keeps 16-channel int16 sums in locals and divides in f32x4 (`avgPoolSimd`), the
 * rest (and the scalar module) sums into int32 accumulators in scratch.
 */
import { nhwcOf, window2d } from '../../../schedule/geometry.js';
import type { NodeStep } from '../../../schedule/types.js';
import type { BuildContext } from '../kernel.js';
import { v128, type Expr, type Fn } from '../fn.js';

interface PoolSpec {
  N: number; H: number; W: number; C: number; OH: number; OW: number;
  kh: number; kw: number; sh: number; sw: number; ph: number; pw: number; dh: number; dw: number;
  lo: number; hi: number;
  input: number; output: number;
}

function poolSpec(step: NodeStep, ctx: BuildContext): PoolSpec {
  if (step.node.op !== 'QMaxPool' && step.node.op !== 'QAveragePool') throw new Error('unreachable');
  const a = step.node.attrs;
  const i = nhwcOf(step.inputs[0].shape);
  const o = nhwcOf(step.output.shape);
  const w = window2d(a);
  return {
    N: i.n, H: i.h, W: i.w, C: i.c, OH: o.h, OW: o.w, kh: w.kernelH, kw: w.kernelW, sh: w.strideH, sw: w.strideW, ph: w.padH, pw: w.padW,
    dh: w.dilationH, dw: w.dilationW, lo: a.actMin, hi: a.actMax, input: ctx.addr(step.inputs[0]), output: ctx.addr(step.output),
  };
}

/** Scratch bytes of an average pool: one int32 per channel. */
export function avgPoolScratchBytes(channels: number): number {
  return channels * 4 + 16;
}

/** Loops over every output position and, inside, over the valid taps; `tap` gets the address of
 * the tap's first channel in local `xp`, `atPosition` runs once per position before the taps,
 * `after` once after them with the position's output address in local `op`. */
function windows(f: Fn, s: PoolSpec, atPosition: Expr[], tap: (xp: number) => Expr[], after: (op: number) => Expr[]): Expr[] {
  const m = f.m;
  const [n, oy, ox, ky, kx, iy, ix, xp, op] = Array.from({ length: 9 }, () => f.local());
  return [
    f.loop(n, 0, s.N, 1, [
      f.loop(oy, 0, s.OH, 1, [
        f.loop(ox, 0, s.OW, 1, [
          f.set(op, m.i32.add(f.c(s.output), m.i32.mul(m.i32.add(m.i32.mul(m.i32.add(m.i32.mul(f.get(n), f.c(s.OH)), f.get(oy)), f.c(s.OW)), f.get(ox)), f.c(s.C)))),
          ...atPosition,
          f.loop(ky, 0, s.kh, 1, [
            f.set(iy, m.i32.add(m.i32.add(m.i32.mul(f.get(oy), f.c(s.sh)), f.c(-s.ph)), m.i32.mul(f.get(ky), f.c(s.dh)))),
            m.if(f.inRange(f.get(iy), s.H), f.loop(kx, 0, s.kw, 1, [
              f.set(ix, m.i32.add(m.i32.add(m.i32.mul(f.get(ox), f.c(s.sw)), f.c(-s.pw)), m.i32.mul(f.get(kx), f.c(s.dw)))),
              m.if(f.inRange(f.get(ix), s.W), f.block([
                f.set(xp, m.i32.add(f.c(s.input), m.i32.mul(m.i32.add(m.i32.mul(m.i32.add(m.i32.mul(f.get(n), f.c(s.H)), f.get(iy)), f.c(s.W)), f.get(ix)), f.c(s.C)))),
                ...tap(xp),
              ])),
            ])),
          ]),
          ...after(op),
        ]),
      ]),
    ]),
  ];
}

export function maxPoolBody(step: NodeStep, ctx: BuildContext): Expr[] {
  const s = poolSpec(step, ctx);
  const f = ctx.f;
  const m = f.m;
  const blocks = f.simd ? Math.floor(s.C / 16) : 0;
  const vecs = Array.from({ length: blocks }, () => f.local(v128));
  // The remaining channels: one window walk per block of up to 16 channels, maxima in locals.
  const body: Expr[] = [];
  if (blocks > 0) {
    body.push(...windows(f, s,
      vecs.map((v) => f.set(v, m.i8x16.splat(f.c(-128)))),
      (xp) => vecs.map((v, b) => f.set(v, m.i8x16.max_s(f.get(v), m.v128.load(b * 16, 1, f.get(xp))))),
      (op) => vecs.map((v, b) => m.v128.store(b * 16, 1, f.get(op), m.i8x16.min_s(m.i8x16.max_s(f.get(v), m.i8x16.splat(f.c(s.lo))), m.i8x16.splat(f.c(s.hi)))))));
  }
  for (let c0 = blocks * 16; c0 < s.C; c0 += 16) {
    const width = Math.min(16, s.C - c0);
    const regs = Array.from({ length: width }, () => f.local());
    const t = f.local();
    body.push(...windows(f, s,
      regs.map((r) => f.set(r, f.c(-128))),
      (xp) => regs.flatMap((r, k) => [f.set(t, m.i32.load8_s(c0 + k, 1, f.get(xp))), f.set(r, m.select(m.i32.gt_s(f.get(t), f.get(r)), f.get(t), f.get(r)))]),
      (op) => regs.map((r, k) => m.i32.store8(c0 + k, 1, f.get(op), f.clamp(r, s.lo, s.hi)))));
  }
  return body;
}

/** Most 16-channel blocks one SIMD window walk of the average pool keeps in locals. */
const AVG_BLOCKS_PER_WALK = 8;

/** The SIMD average pool of channels [c0, c0 + 16 * blocks): int16 sums in locals (exact while a
 * window has at most 256 taps: |sum| <= 128 * 256), then per i32x4 (sum +- count/2) / count in
 * f32 truncated, which is C's truncating division exactly: |sum| < 2^24 is exact in f32, and a
 * quotient that is not an integer lies at least 1/|sum| >= 2^-16 (relative) from one, far more
 * than f32's 2^-24 rounding error. */
function avgPoolSimd(f: Fn, s: PoolSpec, c0: number, blocks: number): Expr[] {
  const m = f.m;
  const sums = Array.from({ length: blocks * 2 }, () => f.local(v128));
  const [cnt, x, half, div, t] = [f.local(), f.local(v128), f.local(v128), f.local(v128), f.local(v128)];
  const quotient = (wide: Expr): Expr => m.block(null, [
    f.set(t, wide),
    m.i32x4.trunc_sat_f32x4_s(m.f32x4.div(m.f32x4.convert_i32x4_s(
      m.v128.bitselect(m.i32x4.add(f.get(t), f.get(half)), m.i32x4.sub(f.get(t), f.get(half)), m.i32x4.gt_s(f.get(t), m.i32x4.splat(f.c(0))))), f.get(div))),
  ], v128);
  return windows(f, s,
    [f.set(cnt, f.c(0)), ...sums.map((v) => f.set(v, m.i16x8.splat(f.c(0))))],
    (xp) => [f.inc(cnt, 1), ...Array.from({ length: blocks }, (_, b) => [
      f.set(x, m.v128.load(c0 + b * 16, 1, f.get(xp))),
      f.set(sums[2 * b], m.i16x8.add(f.get(sums[2 * b]), m.i16x8.extend_low_i8x16_s(f.get(x)))),
      f.set(sums[2 * b + 1], m.i16x8.add(f.get(sums[2 * b + 1]), m.i16x8.extend_high_i8x16_s(f.get(x)))),
    ]).flat()],
    (op) => [
      f.set(half, m.i32x4.splat(m.i32.shr_s(f.get(cnt), f.c(1)))),
      f.set(div, m.f32x4.splat(m.f32.convert_s.i32(f.get(cnt)))),
      ...Array.from({ length: blocks }, (_, b) => {
        const lo = sums[2 * b];
        const hi = sums[2 * b + 1];
        const bytes = m.i8x16.narrow_i16x8_s(
          m.i16x8.narrow_i32x4_s(quotient(m.i32x4.extend_low_i16x8_s(f.get(lo))), quotient(m.i32x4.extend_high_i16x8_s(f.get(lo)))),
          m.i16x8.narrow_i32x4_s(quotient(m.i32x4.extend_low_i16x8_s(f.get(hi))), quotient(m.i32x4.extend_high_i16x8_s(f.get(hi)))));
        return m.v128.store(c0 + b * 16, 1, f.get(op), m.i8x16.min_s(m.i8x16.max_s(bytes, m.i8x16.splat(f.c(s.lo))), m.i8x16.splat(f.c(s.hi))));
      }),
    ]);
}

export function avgPoolBody(step: NodeStep, ctx: BuildContext): Expr[] {
  const full = poolSpec(step, ctx);
  const f = ctx.f;
  const m = f.m;
  const simdBlocks16 = f.simd && full.kh * full.kw <= 256 ? Math.floor(full.C / 16) : 0;
  const body: Expr[] = [];
  for (let b = 0; b < simdBlocks16; b += AVG_BLOCKS_PER_WALK) body.push(...avgPoolSimd(f, full, b * 16, Math.min(AVG_BLOCKS_PER_WALK, simdBlocks16 - b)));
  const c0 = simdBlocks16 * 16;
  if (c0 === full.C) return body;
  // The remaining channels (all of them in the scalar module): int32 sums in scratch.
  const s = { ...full, input: full.input + c0, output: full.output + c0 };
  const rest = full.C - c0;
  const acc = ctx.scratch;
  const [cnt, ap, sp, half, v] = [f.local(), f.local(), f.local(), f.local(), f.local()];
  const simdBlocks = f.simd ? Math.floor(rest / 8) : 0;
  const x16 = simdBlocks > 0 ? f.local(v128) : -1;
  const zero: Expr[] = [f.set(cnt, f.c(0)), f.zeroBytes(f.c(acc), rest * 4)];
  const tap = (xp: number): Expr[] => {
    const out: Expr[] = [f.inc(cnt, 1), f.set(ap, f.c(acc)), f.set(sp, f.get(xp))];
    if (simdBlocks > 0) {
      out.push(f.repeat(simdBlocks, [
        f.set(x16, m.v128.load8x8_s(0, 1, f.get(sp))),
        m.v128.store(0, 1, f.get(ap), m.i32x4.add(m.v128.load(0, 1, f.get(ap)), m.i32x4.extend_low_i16x8_s(f.get(x16)))),
        m.v128.store(16, 1, f.get(ap), m.i32x4.add(m.v128.load(16, 1, f.get(ap)), m.i32x4.extend_high_i16x8_s(f.get(x16)))),
        f.inc(ap, 32), f.inc(sp, 8),
      ]));
    }
    out.push(f.repeat(rest - simdBlocks * 8, [
      m.i32.store(0, 4, f.get(ap), m.i32.add(m.i32.load(0, 4, f.get(ap)), m.i32.load8_s(0, 1, f.get(sp)))),
      f.inc(ap, 4), f.inc(sp, 1),
    ]));
    return out;
  };
  const after = (op: number): Expr[] => [
    f.set(half, m.i32.shr_s(f.get(cnt), f.c(1))),
    f.set(ap, f.c(acc)),
    f.repeat(rest, [
      f.set(v, m.i32.load(0, 4, f.get(ap))),
      f.set(v, m.i32.div_s(m.select(m.i32.gt_s(f.get(v), f.c(0)), m.i32.add(f.get(v), f.get(half)), m.i32.sub(f.get(v), f.get(half))), f.get(cnt))),
      m.i32.store8(0, 1, f.get(op), f.clamp(v, s.lo, s.hi)),
      f.inc(ap, 4), f.inc(op, 1),
    ]),
  ];
  return [...body, ...windows(f, s, zero, tap, after)];
}
