/**
 * Data movement in Wasm: layout copies (strided gathers), QConcat in physical order (an input
 * whose scale differs goes through a 256-byte table of the interpreter's requantized values),
 * and Pad (one table per physical dim: the source offset of each output index, or a negative
 * sentinel for the fill value).
 */
import { isIdentityOperand, requantize } from '../../../ir/intmath.js';
import { stridesOf } from '../../../ir/graph.js';
import { channelsLast, physicalShape, type StridedCopy } from '../../../schedule/layout.js';
import type { CopyStep, NodeStep } from '../../../schedule/types.js';
import { padMap } from '../../c/kernels-portable.js';
import type { BuildContext } from '../kernel.js';
import type { Expr, Fn } from '../fn.js';

/** dst (written in order) ← src gathered with `copy`'s strides. */
export function gather(f: Fn, dst: number, src: number, copy: StridedCopy): Expr[] {
  const m = f.m;
  const dp = f.local();
  const sps = copy.dims.map(() => f.local());
  const level = (k: number): Expr[] => {
    const sp = sps[k];
    const d = copy.dims[k];
    const s = copy.srcStrides[k];
    if (k === copy.dims.length - 1) {
      if (s === 1) return [f.copyBytes(f.get(dp), f.get(sp), d), f.inc(dp, d)];
      return [f.repeat(d, [m.i32.store8(0, 1, f.get(dp), m.i32.load8_u(0, 1, f.get(sp))), f.inc(dp, 1), f.inc(sp, s)])];
    }
    const inner = sps[k + 1];
    return [f.repeat(d, [f.set(inner, f.get(sp)), ...level(k + 1), f.inc(sp, s)])];
  };
  return [f.set(dp, f.c(dst)), f.set(sps[0], f.c(src)), ...level(0)];
}

export function copyBody(step: CopyStep, ctx: BuildContext): Expr[] {
  return gather(ctx.f, ctx.addr(step.dst), ctx.addr(step.src), step.copy);
}

/** Each input's rows land at its column offset in the output's rows (channels-last bytes). */
export function concatBody(step: NodeStep, ctx: BuildContext): Expr[] {
  if (step.node.op !== 'QConcat') throw new Error('unreachable');
  const a = step.node.attrs;
  const f = ctx.f;
  const m = f.m;
  const outPhys = physicalShape(channelsLast(step.output.shape));
  const pa = channelsLast(step.output.shape).perm.indexOf(a.axis);
  const outer = outPhys.slice(0, pa).reduce((p, d) => p * d, 1);
  const dstRow = outPhys.slice(pa).reduce((p, d) => p * d, 1);
  const body: Expr[] = [];
  let column = 0;
  step.inputs.forEach((t, i) => {
    const srcRow = physicalShape(channelsLast(t.shape)).slice(pa).reduce((p, d) => p * d, 1);
    const op = a.inputs[i];
    const [sp, dp] = [f.local(), f.local()];
    const setup = [f.set(sp, f.c(ctx.addr(t))), f.set(dp, f.c(ctx.addr(step.output) + column))];
    if (isIdentityOperand(op, a.outputZeroPoint)) {
      body.push(...setup, f.repeat(outer, [f.copyBytes(f.get(dp), f.get(sp), srcRow), f.inc(sp, srcRow), f.inc(dp, dstRow)]));
    } else {
      const lut = Int8Array.from({ length: 256 }, (_, k) => Math.min(127, Math.max(-128, requantize(k - 128 - op.zeroPoint, op.multiplier, op.shift) + a.outputZeroPoint)));
      const table = ctx.consts.add(lut) + 128;
      body.push(...setup, f.repeat(outer, [
        f.repeat(srcRow, [
          m.i32.store8(0, 1, f.get(dp), m.i32.load8_s(0, 1, m.i32.add(f.c(table), m.i32.load8_s(0, 1, f.get(sp))))),
          f.inc(sp, 1), f.inc(dp, 1),
        ]),
        f.inc(dp, dstRow - srcRow),
      ]));
    }
    column += srcRow;
  });
  return body;
}

/** The offset marking a fill position in a Pad table (summed over at most 8 dims it stays
 * negative without overflowing; tensors are far below 2^27 bytes). */
const FILL = -(2 ** 27);

export function padBody(step: NodeStep, ctx: BuildContext): Expr[] {
  if (step.node.op !== 'Pad') throw new Error('unreachable');
  const a = step.node.attrs;
  const f = ctx.f;
  const m = f.m;
  const x = step.inputs[0];
  const rank = x.shape.length;
  const src = ctx.addr(x);
  const fill = a.mode === 'constant' ? Math.round(a.value) : 0;
  const op = f.local();
  if (rank === 0) return [m.i32.store8(0, 1, f.c(ctx.addr(step.output)), m.i32.load8_u(0, 1, f.c(src)))];
  const inStrides = stridesOf(physicalShape(x.layout));
  const tables = x.layout.perm.map((d, k) => {
    const map = padMap(a.mode, x.shape[d], a.pads[d], a.pads[d + rank]);
    return { len: map.length, addr: ctx.consts.add(Int32Array.from(map, (j) => (j < 0 ? FILL : j * inStrides[k]))) };
  });
  const sums = tables.map(() => f.local());
  const tps = tables.map(() => f.local());
  const level = (k: number): Expr[] => {
    const prev = k === 0 ? f.c(0) : f.get(sums[k - 1]);
    const here: Expr[] = [f.set(sums[k], m.i32.add(prev, m.i32.load(0, 4, f.get(tps[k]))))];
    if (k === rank - 1) {
      here.push(m.if(m.i32.ge_s(f.get(sums[k]), f.c(0)),
        m.i32.store8(0, 1, f.get(op), m.i32.load8_u(0, 1, m.i32.add(f.c(src), f.get(sums[k])))),
        m.i32.store8(0, 1, f.get(op), f.c(fill))), f.inc(op, 1));
    } else {
      here.push(f.set(tps[k + 1], f.c(tables[k + 1].addr)), ...level(k + 1));
    }
    return [f.repeat(tables[k].len, [...here, f.inc(tps[k], 4)])];
  };
  return [f.set(op, f.c(ctx.addr(step.output))), f.set(tps[0], f.c(tables[0].addr)), ...level(0)];
}
