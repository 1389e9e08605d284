/**
 * Data movement in WGSL. Layout copies and Pad (templates/wgsl/gather.wgsl.hbs): per physical
 * output dim, a map from its index to the source byte offset it contributes (negative: Pad's
 * fill value), so an output byte's source is the sum of one entry per dim — Σ dims words in all.
 * QConcat (concat.wgsl.hbs): a table of two words per output byte, the source byte and the
 * requantization record of its input (-1: copied as it is).
 */
import { stridesOf } from '../../../ir/graph.js';
import { isIdentityOperand } from '../../../ir/intmath.js';
import { channelsLast, physicalShape } from '../../../schedule/layout.js';
import type { CopyStep, NodeStep } from '../../../schedule/types.js';
import { padMap } from '../../c/kernels-portable.js';
import type { ParamsContext, StepParams } from '../kernel.js';

/** A map entry for Pad's fill value: negative however the other dims' entries add up (they are
 * below 2^27: far larger tensors than a storage binding holds). */
const FILL = -(2 ** 28);

/** The gather parameters of per-dim maps `maps` from byte `src`. */
function gatherParams(ctx: ParamsContext, src: number, maps: Int32Array[], fill: number): StepParams {
  const dims = Int32Array.from(maps, (m) => m.length);
  const all = new Int32Array(maps.reduce((a, m) => a + m.length, 0));
  let at = 0;
  for (const m of maps) {
    all.set(m, at);
    at += m.length;
  }
  return {
    family: 'gather',
    values: { srcByte: src, rank: maps.length, dimsWord: ctx.consts.add(dims), mapWord: ctx.consts.add(all), mapWords: all.length, fill },
  };
}

/** A strided copy: destination dim k's index i reads i * srcStrides[k]. */
export function copyParams(step: CopyStep, ctx: ParamsContext): StepParams {
  const maps = step.copy.dims.map((d, k) => Int32Array.from({ length: d }, (_, i) => i * step.copy.srcStrides[k]));
  return gatherParams(ctx, ctx.offset(step.src), maps, 0);
}

/** Pad in the input's dimension order: per physical dim, numpy.pad's index map of its logical
 * dim times the input's physical stride. */
export function padParams(step: NodeStep, ctx: ParamsContext): StepParams {
  if (step.node.op !== 'Pad') throw new Error('unreachable');
  const a = step.node.attrs;
  const x = step.inputs[0];
  const rank = x.shape.length;
  const fill = a.mode === 'constant' ? Math.round(a.value) : 0;
  if (rank === 0) return gatherParams(ctx, ctx.offset(x), [Int32Array.of(0)], fill);
  const inStrides = stridesOf(physicalShape(x.layout));
  const maps = x.layout.perm.map((d, k) => Int32Array.from(padMap(a.mode, x.shape[d], a.pads[d], a.pads[d + rank]), (j) => (j < 0 ? FILL : j * inStrides[k])));
  return gatherParams(ctx, ctx.offset(x), maps, fill);
}

/** QConcat of channels-last inputs: each input's rows at its column offset in the output's rows. */
export function concatParams(step: NodeStep, ctx: ParamsContext): StepParams {
  if (step.node.op !== 'QConcat') throw new Error('unreachable');
  const a = step.node.attrs;
  const outLayout = channelsLast(step.output.shape);
  const outPhys = physicalShape(outLayout);
  const pa = outLayout.perm.indexOf(a.axis);
  const outer = outPhys.slice(0, pa).reduce((p, d) => p * d, 1);
  const dstRow = outPhys.slice(pa).reduce((p, d) => p * d, 1);
  const table = new Int32Array(outer * dstRow * 2);
  const records = new Int32Array(a.inputs.length * 3);
  let column = 0;
  step.inputs.forEach((x, i) => {
    const srcRow = physicalShape(channelsLast(x.shape)).slice(pa).reduce((p, d) => p * d, 1);
    const op = a.inputs[i];
    records.set([op.zeroPoint, op.multiplier, op.shift], i * 3);
    const rec = isIdentityOperand(op, a.outputZeroPoint) ? -1 : i;
    const src = ctx.offset(x);
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < srcRow; j++) {
        const e = o * dstRow + column + j;
        table[e * 2] = src + o * srcRow + j;
        table[e * 2 + 1] = rec;
      }
    }
    column += srcRow;
  });
  return { family: 'concat', values: { tableWord: ctx.consts.add(table), recWord: ctx.consts.add(records), outputZeroPoint: a.outputZeroPoint } };
}
