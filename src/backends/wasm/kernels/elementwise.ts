/**
 * QAdd, QMul and QClamp in Wasm. Operands of different shapes are walked as
 * schedule/broadcast.ts says (one loop per axis, pointers moved by their strides). The SIMD module adds 16 elements per pass (`add-simd.ts`); the scalar
 * module and the tail read each operand's rescaled value from a 256-entry int32 table built at
 * compile time with the interpreter's own arithmetic (requantize((x - zp) << leftShift)), so only
 * the sum's requantization runs per element; QClamp clamps 16 bytes per `i8x16.min_s` /
 * `max_s` in the SIMD module. Both may run in place (same index read before it is written).
 */
import { elementCount } from '../../../ir/graph.js';
import { requantize } from '../../../ir/intmath.js';
import type { OperandRequant } from '../../../ir/qops.js';
import type { NodeStep } from '../../../schedule/types.js';
import { broadcastWalk, inOutputOrder, isPlainElementwise, type BroadcastWalk, type WalkOperand } from '../../../schedule/broadcast.js';
import { rowMajor } from '../../../schedule/layout.js';
import type { BuildContext } from '../kernel.js';
import { requantizeConst, type Expr, type Fn } from '../fn.js';
import { add16, addSimdPlan } from './add-simd.js';

/** For every int8 value x (at index x + 128): requantize((x - zp) << leftShift, m, s). */
export function operandTable(op: OperandRequant, leftShift: number): Int32Array {
  return Int32Array.from({ length: 256 }, (_, k) => requantize((k - 128 - op.zeroPoint) << leftShift, op.multiplier, op.shift));
}

/** Operand 2 of a QAdd/QMul step: its address (an arena tensor, or a constant placed in the
 * data segment, in the output's byte order when it has the output's shape) and the broadcast
 * walk when the operands' shapes differ (schedule/broadcast.ts). */
function secondOperand(step: NodeStep, ctx: BuildContext): { addr: number; walk: BroadcastWalk | null } {
  const out = step.output;
  const x2 = step.inputs[1];
  const c = x2 ? undefined : step.consts[0];
  if (!x2 && !c?.data) throw new Error(`operand 2 of '${step.node.name}' is missing`);
  const second: WalkOperand = x2 ?? { shape: c!.shape, layout: rowMajor(c!.shape) };
  const plain = isPlainElementwise(out.shape, [step.inputs[0].shape, second.shape]);
  const addr = x2 ? ctx.addr(x2) : ctx.consts.add(plain ? inOutputOrder(c!.data as Int8Array, out.layout) : (c!.data as Int8Array));
  return { addr, walk: plain ? null : broadcastWalk(out, [step.inputs[0], second]) };
}

/** The output written in order over the walk's axes, the operand pointers moved by their strides;
 * `element` reads the operands at p1 and p2 and stores `outStep` bytes at po. */
export function walkBody(f: Fn, walk: BroadcastWalk, addrs: [number, number, number], element: (p1: number, p2: number, po: number) => Expr[], outStep = 1): Expr[] {
  const po = f.local();
  const ptrs = walk.dims.map(() => [f.local(), f.local()] as const);
  const level = (k: number): Expr[] => {
    const [p1, p2] = ptrs[k];
    const [s1, s2] = [walk.strides[0][k], walk.strides[1][k]];
    const step = [f.inc(p1, s1), f.inc(p2, s2)];
    if (k === walk.dims.length - 1) return [f.repeat(walk.dims[k], [...element(p1, p2, po), f.inc(po, outStep), ...step])];
    const [q1, q2] = ptrs[k + 1];
    return [f.repeat(walk.dims[k], [f.set(q1, f.get(p1)), f.set(q2, f.get(p2)), ...level(k + 1), ...step])];
  };
  return [f.set(ptrs[0][0], f.c(addrs[0])), f.set(ptrs[0][1], f.c(addrs[1])), f.set(po, f.c(addrs[2])), ...level(0)];
}

export function addBody(step: NodeStep, ctx: BuildContext): Expr[] {
  if (step.node.op !== 'QAdd') throw new Error('unreachable');
  const a = step.node.attrs;
  const f = ctx.f;
  const m = f.m;
  const n = elementCount(step.output.shape);
  const second = secondOperand(step, ctx);
  const t1 = ctx.consts.add(operandTable(a.input1, a.leftShift)) + 512;
  const t2 = ctx.consts.add(operandTable(a.input2, a.leftShift)) + 512;
  const entry = (table: number, p: number) => m.i32.load(0, 4, m.i32.add(f.c(table), m.i32.shl(m.i32.load8_s(0, 1, f.get(p)), f.c(2))));
  const v = f.local();
  const element = (p1: number, p2: number, po: number): Expr[] => [
    f.set(v, m.i32.add(entry(t1, p1), entry(t2, p2))),
    ...requantizeConst(f, v, a.output.multiplier, a.output.shift),
    f.set(v, m.i32.add(f.get(v), f.c(a.output.zeroPoint))),
    m.i32.store8(0, 1, f.get(po), f.clamp(v, a.actMin, a.actMax)),
  ];
  if (second.walk) return walkBody(f, second.walk, [ctx.addr(step.inputs[0]), second.addr, ctx.addr(step.output)], element);
  const plan = f.simd ? addSimdPlan(a) : null;
  const blocks = plan ? Math.floor(n / 16) : 0;
  const [p1, p2, po] = [f.local(), f.local(), f.local()];
  const head = [f.set(p1, f.c(ctx.addr(step.inputs[0]))), f.set(p2, f.c(second.addr)), f.set(po, f.c(ctx.addr(step.output)))];
  const simd = plan && blocks ? [f.repeat(blocks, [
    m.v128.store(0, 1, f.get(po), add16(f, plan, m.v128.load(0, 1, f.get(p1)), m.v128.load(0, 1, f.get(p2)))),
    f.inc(p1, 16), f.inc(p2, 16), f.inc(po, 16),
  ])] : [];
  if (n === blocks * 16) return [...head, ...simd];
  return [...head, ...simd, f.repeat(n - blocks * 16, [...element(p1, p2, po), f.inc(p1, 1), f.inc(p2, 1), f.inc(po, 1)])];
}

/** QMul: (x1 - z1) * (x2 - z2) requantized, plus the output zero point, clamped (the interpreter's
 * arithmetic, element by element). */
export function mulBody(step: NodeStep, ctx: BuildContext): Expr[] {
  if (step.node.op !== 'QMul') throw new Error('unreachable');
  const a = step.node.attrs;
  const f = ctx.f;
  const m = f.m;
  const second = secondOperand(step, ctx);
  const walk = second.walk ?? { dims: [elementCount(step.output.shape)], strides: [[1], [1]] };
  const v = f.local();
  const term = (p: number, zp: number) => m.i32.sub(m.i32.load8_s(0, 1, f.get(p)), f.c(zp));
  return walkBody(f, walk, [ctx.addr(step.inputs[0]), second.addr, ctx.addr(step.output)], (p1, p2, po) => [
    f.set(v, m.i32.mul(term(p1, a.input1ZeroPoint), term(p2, a.input2ZeroPoint))),
    ...requantizeConst(f, v, a.multiplier, a.shift),
    f.set(v, m.i32.add(f.get(v), f.c(a.outputZeroPoint))),
    m.i32.store8(0, 1, f.get(po), f.clamp(v, a.actMin, a.actMax)),
  ]);
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
