/** QMean and QReduceMax in Wasm: the row-major input as [outer, reduce, inner]
 * (src/backends/c/kernels-portable.ts reductionExtent), one sum or maximum per output element;
 * the mean requantized as the interpreter does (TFLite's QuantizedMeanOrSum). */
import type { NodeStep } from '../../../schedule/types.js';
import { reductionExtent } from '../../c/kernels-portable.js';
import type { BuildContext } from '../kernel.js';
import { requantizeConst, type Expr } from '../fn.js';

export function reduceBody(step: NodeStep, ctx: BuildContext): Expr[] {
  if (step.node.op !== 'QMean' && step.node.op !== 'QReduceMax') throw new Error('unreachable');
  const { outer, reduce, inner } = reductionExtent(step);
  const f = ctx.f;
  const m = f.m;
  const mean = step.node.op === 'QMean' ? step.node.attrs : undefined;
  const [o, j, k, v, x, ip, op] = [f.local(), f.local(), f.local(), f.local(), f.local(), f.local(), f.local()];
  const load = () => m.i32.load8_s(0, 1, m.i32.add(f.get(ip), m.i32.mul(f.get(k), f.c(inner))));
  const body = mean
    ? [f.set(v, f.c(-mean.inputZeroPoint * reduce)), f.loop(k, 0, reduce, 1, [f.set(v, m.i32.add(f.get(v), load()))]),
      ...requantizeConst(f, v, mean.multiplier, mean.shift), f.set(v, m.i32.add(f.get(v), f.c(mean.outputZeroPoint))), f.set(v, f.clamp(v, -128, 127))]
    : [f.set(v, f.c(-128)), f.loop(k, 0, reduce, 1, [f.set(x, load()), f.set(v, m.select(m.i32.gt_s(f.get(x), f.get(v)), f.get(x), f.get(v)))])];
  return [
    f.set(op, f.c(ctx.addr(step.output))),
    f.loop(o, 0, outer, 1, [
      f.loop(j, 0, inner, 1, [
        f.set(ip, m.i32.add(f.c(ctx.addr(step.inputs[0])), m.i32.add(m.i32.mul(f.get(o), f.c(reduce * inner)), f.get(j)))),
        ...body,
        m.i32.store8(0, 1, f.get(op), f.get(v)),
        f.inc(op, 1),
      ]),
    ]),
  ];
}
