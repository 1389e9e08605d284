/**
 * Depthwise convolution (SIMD module): one input and one output channel per group, NHWC. Eight
 * channels per pair of i32x4 accumulators (`i32x4.extmul_*_i16x8_s` per tap). The output map is
 * split into runs of rows and runs of columns whose windows keep the same taps inside the input;
 * each pair of runs gets its own loop with those taps unrolled and their offsets as constants
 * (load offsets from the window's first valid tap), so the padding border costs no test in the
 * hot loop. Sums go to scratch and are requantized per position by the caller's requantizer.
 */
import type { BuildContext } from '../kernel.js';
import { v128, type Expr } from '../fn.js';
import type { ConvSpec } from './linear.js';
import { tapRuns } from './windows.js';

/** The body of a depthwise step; `requant` writes the code that requantizes the scratch sums of
 * one position into the output at an address. */
export function depthwiseBody(s: ConvSpec, ctx: BuildContext, requant: (acc: number, out: Expr) => Expr[]): Expr[] {
  const { f } = ctx;
  const m = f.m;
  const C8 = Math.ceil(s.C / 8);
  const K = s.kh * s.kw;
  const acc = ctx.scratch;
  // w [M][kh][kw][1] → [tap][C8 * 8] int16.
  const wt = new Int16Array(K * C8 * 8);
  for (let c = 0; c < s.C; c++) for (let t = 0; t < K; t++) wt[t * C8 * 8 + c] = s.w[c * K + t];
  const wAddr = ctx.consts.add(wt);
  const [n, oy, ox, xb, xp, wp, ap] = Array.from({ length: 7 }, () => f.local());
  const [zpv, a0, a1, xv, wv] = Array.from({ length: 5 }, () => f.local(v128));
  const position = (): Expr => m.i32.add(f.c(s.output), m.i32.mul(m.i32.add(m.i32.mul(m.i32.add(m.i32.mul(f.get(n), f.c(s.OH)), f.get(oy)), f.c(s.OW)), f.get(ox)), f.c(s.M)));
  const rows = tapRuns(s.OH, s.sh, s.ph, s.dh, s.kh, s.H);
  const cols = tapRuns(s.OW, s.sw, s.pw, s.dw, s.kw, s.W);

  // One position of a (row run, column run) pair: every channel block, the pair's taps unrolled.
  const at = (ky: number[], kx: number[]): Expr[] => {
    const taps = ky.flatMap((y) => kx.map((x) => ({ y, x })));
    const [y0, x0] = [ky[0] ?? 0, kx[0] ?? 0];
    const block: Expr[] = [];
    taps.forEach(({ y, x }, i) => {
      const xo = ((y - y0) * s.dh * s.W + (x - x0) * s.dw) * s.C;
      block.push(
        f.set(xv, m.i16x8.sub(m.v128.load8x8_s(xo, 1, f.get(xp)), f.get(zpv))),
        f.set(wv, m.v128.load((y * s.kw + x) * C8 * 16, 1, f.get(wp))),
        f.set(a0, i === 0 ? m.i32x4.extmul_low_i16x8_s(f.get(xv), f.get(wv)) : m.i32x4.add(f.get(a0), m.i32x4.extmul_low_i16x8_s(f.get(xv), f.get(wv)))),
        f.set(a1, i === 0 ? m.i32x4.extmul_high_i16x8_s(f.get(xv), f.get(wv)) : m.i32x4.add(f.get(a1), m.i32x4.extmul_high_i16x8_s(f.get(xv), f.get(wv)))),
      );
    });
    if (!taps.length) block.push(f.set(a0, m.v128.const(new Array(16).fill(0))), f.set(a1, m.v128.const(new Array(16).fill(0))));
    // The window's first valid tap (its top-left inside the input).
    const iy = m.i32.add(m.i32.mul(f.get(oy), f.c(s.sh)), f.c(y0 * s.dh - s.ph));
    const ix = m.i32.add(m.i32.mul(f.get(ox), f.c(s.sw)), f.c(x0 * s.dw - s.pw));
    return [
      f.set(xp, taps.length ? m.i32.add(f.get(xb), m.i32.mul(m.i32.add(m.i32.mul(iy, f.c(s.W)), ix), f.c(s.C))) : f.get(xb)),
      f.set(wp, f.c(wAddr)), f.set(ap, f.c(acc)),
      f.repeat(C8, [
        ...block,
        m.v128.store(0, 1, f.get(ap), f.get(a0)),
        m.v128.store(16, 1, f.get(ap), f.get(a1)),
        f.inc(xp, 8), f.inc(wp, 16), f.inc(ap, 32),
      ]),
      ...requant(acc, position()),
    ];
  };

  return [
    f.set(zpv, m.i16x8.splat(f.c(s.zp))),
    f.loop(n, 0, s.N, 1, [
      f.set(xb, m.i32.add(f.c(s.input), m.i32.mul(f.get(n), f.c(s.H * s.W * s.C)))),
      ...rows.map((r) => f.loop(oy, r.start, r.end, 1, cols.map((c) => f.loop(ox, c.start, c.end, 1, at(r.value, c.value))))),
    ]),
  ];
}
