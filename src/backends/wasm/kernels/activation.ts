/**
 * The int8 activations in Wasm. QSigmoid, QTanh, QHardSigmoid, QHardSwish and QLeakyRelu read
 * a 256-byte table of the interpreter's value for every int8 input (src/interp/int8/activation.ts
 * unaryTable), one load per element, in place; QPRelu requantizes each element with one of its
 * two multipliers, the slope read per channel (channels last: the channel is the innermost axis).
 */
import { elementCount } from '../../../ir/graph.js';
import { unaryTable, type Int8UnaryNode } from '../../../interp/int8/activation.js';
import type { NodeStep } from '../../../schedule/types.js';
import { preluChannels } from '../../c/kernels-portable.js';
import type { BuildContext } from '../kernel.js';
import { requantizeConst, type Expr } from '../fn.js';

export function lutBody(step: NodeStep, ctx: BuildContext): Expr[] {
  const f = ctx.f;
  const m = f.m;
  const table = ctx.consts.add(unaryTable(step.node as Int8UnaryNode)) + 128;
  const [ip, op] = [f.local(), f.local()];
  return [
    f.set(ip, f.c(ctx.addr(step.inputs[0]))), f.set(op, f.c(ctx.addr(step.output))),
    f.repeat(elementCount(step.output.shape), [
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
