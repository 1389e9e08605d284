/**
 * QAdd and QClamp in Wasm. The SIMD module adds 16 elements per pass (`add-simd.ts`); the scalar
 * module and the tail read each operand's rescaled value from a 256-entry int32 table built at
 * compile time with the interpreter's own arithmetic (requantize((x - zp) << leftShift)), so only
 * the sum's requantization runs per element; QClamp clamps 16 bytes per `i8x16.min_s` /
 * `max_s` in the SIMD module. Both may run in place (same index read before it is written).
 */
import { elementCount } from '../../../ir/graph.js';
import { requantize } from '../../../ir/intmath.js';
import type { OperandRequant } from '../../../ir/qops.js';
import type { NodeStep } from '../../../schedule/types.js';
import type { BuildContext } from '../kernel.js';
import { requantizeConst, type Expr } from '../fn.js';
import { add16, addSimdPlan } from './add-simd.js';

/** For every int8 value x (at index x + 128): requantize((x - zp) << leftShift, m, s). */
export function operandTable(op: OperandRequant, leftShift: number): Int32Array {
  return Int32Array.from({ length: 256 }, (_, k) => requantize((k - 128 - op.zeroPoint) << leftShift, op.multiplier, op.shift));
}

export function addBody(step: NodeStep, ctx: BuildContext): Expr[] {
  if (step.node.op !== 'QAdd') throw new Error('unreachable');
  const a = step.node.attrs;
  const f = ctx.f;
  const m = f.m;
  const n = elementCount(step.output.shape);
  const plan = f.simd ? addSimdPlan(a) : null;
  const blocks = plan ? Math.floor(n / 16) : 0;
  const [p1, p2, po, v] = [f.local(), f.local(), f.local(), f.local()];
  const head = [f.set(p1, f.c(ctx.addr(step.inputs[0]))), f.set(p2, f.c(ctx.addr(step.inputs[1]))), f.set(po, f.c(ctx.addr(step.output)))];
  const simd = plan && blocks ? [f.repeat(blocks, [
    m.v128.store(0, 1, f.get(po), add16(f, plan, m.v128.load(0, 1, f.get(p1)), m.v128.load(0, 1, f.get(p2)))),
    f.inc(p1, 16), f.inc(p2, 16), f.inc(po, 16),
  ])] : [];
  if (n === blocks * 16) return [...head, ...simd];
  const t1 = ctx.consts.add(operandTable(a.input1, a.leftShift)) + 512;
  const t2 = ctx.consts.add(operandTable(a.input2, a.leftShift)) + 512;
  const entry = (table: number, p: number) => m.i32.load(0, 4, m.i32.add(f.c(table), m.i32.shl(m.i32.load8_s(0, 1, f.get(p)), f.c(2))));
  return [
    ...head, ...simd,
    f.repeat(n - blocks * 16, [
      f.set(v, m.i32.add(entry(t1, p1), entry(t2, p2))),
      ...requantizeConst(f, v, a.output.multiplier, a.output.shift),
      f.set(v, m.i32.add(f.get(v), f.c(a.output.zeroPoint))),
      m.i32.store8(0, 1, f.get(po), f.clamp(v, a.actMin, a.actMax)),
      f.inc(p1, 1), f.inc(p2, 1), f.inc(po, 1),
    ]),
  ];
}

export function clampBody(step: NodeStep, ctx: BuildContext): Expr[] {
  if (step.node.op !== 'QClamp') throw new Error('unreachable');
  const { actMin: lo, actMax: hi } = step.node.attrs;
  const f = ctx.f;
  const m = f.m;
  const n = elementCount(step.output.shape);
  const blocks = f.simd ? Math.floor(n / 16) : 0;
  const [ip, op, v] = [f.local(), f.local(), f.local()];
  return [
    f.set(ip, f.c(ctx.addr(step.inputs[0]))), f.set(op, f.c(ctx.addr(step.output))),
    f.repeat(blocks, [
      m.v128.store(0, 1, f.get(op), m.i8x16.min_s(m.i8x16.max_s(m.v128.load(0, 1, f.get(ip)), m.i8x16.splat(f.c(lo))), m.i8x16.splat(f.c(hi)))),
      f.inc(ip, 16), f.inc(op, 16),
    ]),
    f.repeat(n - blocks * 16, [
      f.set(v, m.i32.load8_s(0, 1, f.get(ip))),
      m.i32.store8(0, 1, f.get(op), f.clamp(v, lo, hi)),
      f.inc(ip, 1), f.inc(op, 1),
    ]),
  ];
}
