/**
 * The int8 activations in Wasm. QSigmoid, QTanh, QHardSigmoid, QHardSwish and QLeakyRelu read
 * a 256-byte table of the interpreter's value for every int8 input (src/interp/int8/activation.ts
 * unaryTable), in place: 16 elements per pass in the SIMD module (16 `i8x16.swizzle`s over the
 * table's 16-byte parts), one load per element in the scalar module and the tail; QPRelu requantizes each element with one of its
 * two multipliers, the slope read per channel (channels last: the channel is the innermost axis).
 */
import binaryen from 'binaryen';
import { elementCount } from '../../../ir/graph.js';
import { unaryTable, type Int8UnaryNode } from '../../../interp/int8/activation.js';
import type { NodeStep } from '../../../schedule/types.js';
import { preluChannels } from '../../c/kernels-portable.js';
import type { BuildContext } from '../kernel.js';
import { requantizeConst, type Expr } from '../fn.js';

/** 16 lookups at once: the table as 16 vectors of 16 entries; `i8x16.swizzle` gives 0 for an
 * index of 16 or more, so the sum over k of swizzle(part k, index - 16k) is the entry. */
function lookup16(f: BuildContext['f'], parts: readonly number[], x: Expr): Expr {
  const m = f.m;
  const index = f.local(binaryen.v128);
  const steps: Expr[] = [f.set(index, m.v128.xor(x, m.i8x16.splat(f.c(0x80))))]; // x + 128 as u8
  let acc = m.i8x16.swizzle(parts[0], f.get(index));
  for (let k = 1; k < 16; k++) acc = m.v128.or(acc, m.i8x16.swizzle(parts[k], m.i8x16.sub(f.get(index), m.i8x16.splat(f.c(16 * k)))));
  return m.block(null, [...steps, acc], binaryen.v128);
}

export function lutBody(step: NodeStep, ctx: BuildContext): Expr[] {
  const f = ctx.f;
  const m = f.m;
  const base = ctx.consts.add(unaryTable(step.node as Int8UnaryNode));
  const table = base + 128;
  const n = elementCount(step.output.shape);
  const blocks = f.simd ? Math.floor(n / 16) : 0;
  const [ip, op] = [f.local(), f.local()];
  const parts = blocks ? Array.from({ length: 16 }, () => f.local(binaryen.v128)) : [];
  return [
    f.set(ip, f.c(ctx.addr(step.inputs[0]))), f.set(op, f.c(ctx.addr(step.output))),
    ...parts.map((p, k) => f.set(p, m.v128.load(0, 16, f.c(base + 16 * k)))),
    ...(blocks ? [f.repeat(blocks, [
      m.v128.store(0, 1, f.get(op), lookup16(f, parts.map((p) => f.get(p)), m.v128.load(0, 1, f.get(ip)))),
      f.inc(ip, 16), f.inc(op, 16),
    ])] : []),
    f.repeat(n - blocks * 16, [
      m.i32.store8(0, 1, f.get(op), m.i32.load8_s(0, 1, m.i32.add(f.c(table), m.i32.load8_s(0, 1, f.get(ip))))),
      f.inc(ip, 1), f.inc(op, 1),
    ]),
  ];
}

export function preluBody(step: NodeStep, ctx: BuildContext): Expr[] {
  if (step.node.op !== 'QPRelu') throw new Error('unreachable');
  const a = step.node.attrs;
  const f = ctx.f;
  const m = f.m;
  const slope = preluChannels(step);
  const slopes = ctx.consts.add(slope);
  const channels = slope.length;
  const [ip, op, c, v] = [f.local(), f.local(), f.local(), f.local()];
  return [
    f.set(ip, f.c(ctx.addr(step.inputs[0]))), f.set(op, f.c(ctx.addr(step.output))),
    f.repeat(elementCount(step.output.shape) / channels, [
      f.loop(c, 0, channels, 1, [
        f.set(v, m.i32.sub(m.i32.load8_s(0, 1, f.get(ip)), f.c(a.inputZeroPoint))),
        m.if(m.i32.ge_s(f.get(v), f.c(0)),
          f.block(requantizeConst(f, v, a.identity.multiplier, a.identity.shift)),
          f.block([
            f.set(v, m.i32.mul(f.get(v), m.i32.sub(m.i32.load8_s(0, 1, m.i32.add(f.c(slopes), f.get(c))), f.c(a.slopeZeroPoint)))),
            ...requantizeConst(f, v, a.negative.multiplier, a.negative.shift),
          ])),
        f.set(v, m.i32.add(f.get(v), f.c(a.outputZeroPoint))),
        m.i32.store8(0, 1, f.get(op), f.clamp(v, -128, 127)),
        f.inc(ip, 1), f.inc(op, 1),
      ]),
    ]),
  ];
}
