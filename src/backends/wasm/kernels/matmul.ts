/**
 * QBatchMatMul in Wasm: per batch (the walk of schedule/broadcast.ts moves both operands by whole
 * matrices, stride 0 along a broadcast batch dim), every output element is the int32 sum over K of
 * (a - za) * (b - zb), requantized, plus the output zero point, clamped — the interpreter's
 * arithmetic in the same order (scalar in both modules).
 */
import { batchWalk } from '../../../schedule/broadcast.js';
import type { NodeStep } from '../../../schedule/types.js';
import type { BuildContext } from '../kernel.js';
import { requantizeConst, type Expr } from '../fn.js';
import { walkBody } from './elementwise.js';

export function batchMatMulBody(step: NodeStep, ctx: BuildContext): Expr[] {
  if (step.node.op !== 'QBatchMatMul') throw new Error('unreachable');
  const a = step.node.attrs;
  const f = ctx.f;
  const m = f.m;
  const [lhs, rhs] = step.inputs;
  const [M, K] = lhs.shape.slice(lhs.shape.length - 2);
  const N = rhs.shape[rhs.shape.length - 1];
  const [row, col, ap, bp, acc] = [f.local(), f.local(), f.local(), f.local(), f.local()];
  const term = (p: number, zp: number) => m.i32.sub(m.i32.load8_s(0, 1, f.get(p)), f.c(zp));
  const matrix = (pa: number, pb: number, po: number): Expr[] => [
    f.set(row, f.get(pa)),
    f.repeat(M, [
      f.set(col, f.get(pb)),
      f.repeat(N, [
        f.set(acc, f.c(0)), f.set(ap, f.get(row)), f.set(bp, f.get(col)),
        f.repeat(K, [f.set(acc, m.i32.add(f.get(acc), m.i32.mul(term(ap, a.lhsZeroPoint), term(bp, a.rhsZeroPoint)))), f.inc(ap, 1), f.inc(bp, N)]),
        ...requantizeConst(f, acc, a.multiplier, a.shift),
        f.set(acc, m.i32.add(f.get(acc), f.c(a.outputZeroPoint))),
        m.i32.store8(0, 1, f.get(po), f.clamp(acc, a.actMin, a.actMax)),
        f.inc(po, 1), f.inc(col, 1),
      ]),
      f.inc(row, K),
    ]),
    // The walk moves po by one matrix; the rows above already did: step back.
    f.inc(po, -M * N),
  ];
  return walkBody(f, batchWalk(lhs.shape, rhs.shape, step.output.shape), [ctx.addr(lhs), ctx.addr(rhs), ctx.addr(step.output)], matrix, M * N);
}
