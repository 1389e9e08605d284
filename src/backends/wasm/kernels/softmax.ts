/**
 * QSoftmax in Wasm, as the interpreter's arm_softmax_s8: per row the maximum, then for every
 * element the exponential of its difference to the maximum. The difference is one of 256 values,
 * so exp and its Q12.19 share of the sum are tables built at compile time with the interpreter's
 * own functions; the reciprocal of the sum (one_over_one_plus_x, three Newton steps) and the
 * final scaling run in Wasm with the same fixed-point helpers in i64.
 */
import binaryen from 'binaryen';
import { elementCount } from '../../../ir/graph.js';
import { SOFTMAX_ACCUM_BITS, expOnNegativeValues, roundingDivideByPOT, saturatingRoundingDoublingHighMul } from '../../../ir/intmath.js';
import type { NodeStep } from '../../../schedule/types.js';
import type { BuildContext } from '../kernel.js';
import { i32, type Expr, type Fn } from '../fn.js';

/** exps[d] and its share of the sum for a difference of -d; diffs below diffMin contribute 0. */
export function softmaxTables(multiplier: number, shift: number, diffMin: number): { exps: Int32Array; shares: Int32Array } {
  const exps = new Int32Array(256);
  const shares = new Int32Array(256);
  for (let d = 0; d < 256; d++) {
    const diff = -d;
    if (diff < diffMin) continue;
    exps[d] = expOnNegativeValues(saturatingRoundingDoublingHighMul((diff * 2 ** shift) | 0, multiplier));
    shares[d] = roundingDivideByPOT(exps[d], SOFTMAX_ACCUM_BITS);
  }
  return { exps, shares };
}

/** Helper functions every softmax step calls (added once per module). */
export const SOFTMAX_HELPERS = { mulSat: 'q_mul_sat', divPot: 'q_div_pot', recip: 'q_one_over_one_plus_x' } as const;

/** Adds the fixed-point helpers to the module: saturatingRoundingDoublingHighMul, the rounding
 * division by a power of two, and one_over_one_plus_x (src/ir/intmath.ts). */
export function addSoftmaxHelpers(m: Fn['m']): void {
  // q_mul_sat(a, b): (a*b + nudge) / 2^31 truncated toward zero; INT32_MIN * INT32_MIN → INT32_MAX.
  {
    const a = () => m.local.get(0, i32);
    const b = () => m.local.get(1, i32);
    const ab = () => m.local.get(2, binaryenI64);
    const body = m.block(null, [
      m.if(m.i32.and(m.i32.eq(a(), m.i32.const(-2147483648)), m.i32.eq(b(), m.i32.const(-2147483648))), m.return(m.i32.const(2147483647))),
      m.local.set(2, m.i64.mul(m.i64.extend_s(a()), m.i64.extend_s(b()))),
      m.return(m.i32.wrap(m.i64.div_s(
        m.i64.add(ab(), m.select(m.i32.ne(m.i32.lt_s(a(), m.i32.const(0)), m.i32.lt_s(b(), m.i32.const(0))), m.i64.const(1n - (1n << 30n)), m.i64.const(1n << 30n))),
        m.i64.const(1n << 31n)))),
    ]);
    m.addFunction(SOFTMAX_HELPERS.mulSat, binaryenParams([i32, i32]), i32, [binaryenI64], body);
  }
  // q_div_pot(x, e): x / 2^e rounded half away from zero.
  {
    const x = () => m.local.get(0, i32);
    const e = () => m.local.get(1, i32);
    const mask = () => m.local.get(2, i32);
    const body = m.block(null, [
      m.local.set(2, m.i32.sub(m.i32.shl(m.i32.const(1), e()), m.i32.const(1))),
      m.return(m.i32.add(m.i32.shr_s(x(), e()),
        m.i32.gt_s(m.i32.and(x(), mask()), m.i32.add(m.i32.shr_s(mask(), m.i32.const(1)), m.i32.shr_u(x(), m.i32.const(31)))))),
    ]);
    m.addFunction(SOFTMAX_HELPERS.divPot, binaryenParams([i32, i32]), i32, [i32], body);
  }
  // q_one_over_one_plus_x(val)
  {
    const mul = (p: Expr, q: Expr) => m.call(SOFTMAX_HELPERS.mulSat, [p, q], i32);
    const val = () => m.local.get(0, i32);
    const half = () => m.local.get(1, i32);
    const x = () => m.local.get(2, i32);
    const sum = () => m.local.get(3, binaryenI64);
    const mulPot = (v: Expr, e: number, tmp: number): Expr => {
      const t = () => m.local.get(tmp, i32);
      const thresh = (1 << (31 - e)) - 1;
      return m.block(null, [
        m.local.set(tmp, v),
        m.select(m.i32.gt_s(t(), m.i32.const(thresh)), m.i32.const(2147483647),
          m.select(m.i32.lt_s(t(), m.i32.const(-thresh)), m.i32.const(-2147483648), m.i32.shl(t(), m.i32.const(e)))),
      ], i32);
    };
    const step = m.local.set(2, m.i32.add(x(), mulPot(mul(x(), m.i32.sub(m.i32.const(1 << 29), mul(half(), x()))), 2, 4)));
    const body = m.block(null, [
      m.local.set(3, m.i64.add(m.i64.extend_s(val()), m.i64.const(2147483647n))),
      m.local.set(1, m.i32.wrap(m.i64.div_s(
        m.i64.add(sum(), m.select(m.i64.ge_s(sum(), m.i64.const(0n)), m.i64.const(1n), m.i64.const(-1n))), m.i64.const(2n)))),
      m.local.set(2, m.i32.add(m.i32.const(1515870810), mul(half(), m.i32.const(-1010580540)))),
      step, m.copyExpression(step), m.copyExpression(step),
      m.return(mulPot(x(), 1, 4)),
    ]);
    m.addFunction(SOFTMAX_HELPERS.recip, i32, i32, [i32, i32, binaryenI64, i32], body);
  }
}

const binaryenI64 = binaryen.i64;
const binaryenParams = (ts: number[]) => binaryen.createType(ts);

export function softmaxBody(step: NodeStep, ctx: BuildContext): Expr[] {
  if (step.node.op !== 'QSoftmax') throw new Error('unreachable');
  const a = step.node.attrs;
  const f = ctx.f;
  const m = f.m;
  const x = step.inputs[0];
  const rowSize = x.shape[x.shape.length - 1];
  const rows = elementCount(x.shape) / rowSize;
  const { exps, shares } = softmaxTables(a.multiplier, a.shift, a.diffMin);
  const expT = ctx.consts.add(exps);
  const shareT = ctx.consts.add(shares);
  const [ip, op, p, max, v, sum, head, scale, d] = Array.from({ length: 9 }, () => f.local());
  const diffIndex = () => m.i32.shl(m.i32.sub(f.get(max), m.i32.load8_s(0, 1, f.get(p))), f.c(2));
  return [
    f.set(ip, f.c(ctx.addr(x))), f.set(op, f.c(ctx.addr(step.output))),
    f.repeat(rows, [
      f.set(max, m.i32.load8_s(0, 1, f.get(ip))),
      f.set(p, f.get(ip)),
      f.repeat(rowSize, [f.set(v, m.i32.load8_s(0, 1, f.get(p))), f.set(max, m.select(m.i32.gt_s(f.get(v), f.get(max)), f.get(v), f.get(max))), f.inc(p, 1)]),
      f.set(sum, f.c(0)),
      f.set(p, f.get(ip)),
      f.repeat(rowSize, [f.set(sum, m.i32.add(f.get(sum), m.i32.load(0, 4, m.i32.add(f.c(shareT), diffIndex())))), f.inc(p, 1)]),
      f.set(head, m.i32.clz(f.get(sum))),
      f.set(scale, m.call(SOFTMAX_HELPERS.recip, [m.i32.sub(
        m.select(m.i32.gt_s(f.get(sum), f.c(0)), m.i32.shl(f.get(sum), f.get(head)), f.c(0)), f.c(-2147483648))], i32)),
      f.set(p, f.get(ip)),
      f.repeat(rowSize, [
        f.set(d, m.i32.sub(f.get(max), m.i32.load8_s(0, 1, f.get(p)))),
        m.if(m.i32.le_s(m.i32.sub(f.c(0), f.get(d)), f.c(a.diffMin - 1)),
          m.i32.store8(0, 1, f.get(op), f.c(-128)),
          m.block(null, [
            f.set(v, m.i32.sub(m.call(SOFTMAX_HELPERS.divPot, [
              m.call(SOFTMAX_HELPERS.mulSat, [f.get(scale), m.i32.load(0, 4, m.i32.add(f.c(expT), m.i32.shl(f.get(d), f.c(2))))], i32),
              m.i32.sub(f.c(SOFTMAX_ACCUM_BITS + 23), f.get(head))], i32), f.c(128))),
            m.i32.store8(0, 1, f.get(op), f.clamp(v, -128, 127)),
          ])),
        f.inc(p, 1), f.inc(op, 1),
      ]),
      f.inc(ip, rowSize),
    ]),
  ];
}
