/**
 * Data movement in WGSL (templates/wgsl/gather.wgsl.hbs), by table: for each output byte in the
 * arena's order, the arena byte it takes (-1: Pad's fill value) and the requantization record
 * it goes through (-1: none; QConcat's operands whose scale or zero point differ). Two words per
 * output byte: simple, and small for the layers these ops sit in (a per-dim form would be
 * smaller for large tensors).
 */
import { stridesOf } from '../../../ir/graph.js';
import { isIdentityOperand } from '../../../ir/intmath.js';
import { channelsLast, physicalShape, type StridedCopy } from '../../../schedule/layout.js';
import type { CopyStep, NodeStep } from '../../../schedule/types.js';
import { padMap } from '../../c/kernels-portable.js';
import type { ParamsContext, StepParams } from '../kernel.js';

/** For each destination element of `copy` in order, its source element (row-major walk). */
export function copyIndices(copy: StridedCopy): Int32Array {
  const n = copy.dims.reduce((a, d) => a * d, 1);
  const out = new Int32Array(n);
  const idx = new Array<number>(copy.dims.length).fill(0);
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (let k = 0; k < idx.length; k++) s += idx[k] * copy.srcStrides[k];
    out[j] = s;
    for (let k = idx.length - 1; k >= 0; k--) {
      if (++idx[k] < copy.dims[k]) break;
      idx[k] = 0;
    }
  }
  return out;
}

function table(n: number): Int32Array {
  return new Int32Array(n * 2).fill(-1);
}

function gatherParams(ctx: ParamsContext, t: Int32Array, records: Int32Array, fill: number, outputZeroPoint: number): StepParams {
  return {
    family: 'gather',
    values: { tableWord: ctx.consts.add(t), recWord: records.length ? ctx.consts.add(records) : 0, fill, outputZeroPoint },
  };
}

export function copyParams(step: CopyStep, ctx: ParamsContext): StepParams {
  const src = ctx.offset(step.src);
  const idx = copyIndices(step.copy);
  const t = table(idx.length);
  idx.forEach((s, j) => { t[j * 2] = src + s; });
  return gatherParams(ctx, t, new Int32Array(0), 0, 0);
}

/** Pad in the input's dimension order: per physical output index, the padMap of its dim. */
export function padParams(step: NodeStep, ctx: ParamsContext): StepParams {
  if (step.node.op !== 'Pad') throw new Error('unreachable');
  const a = step.node.attrs;
  const x = step.inputs[0];
  const rank = x.shape.length;
  const src = ctx.offset(x);
  const fill = a.mode === 'constant' ? Math.round(a.value) : 0;
  if (rank === 0) {
    const t = table(1);
    t[0] = src;
    return gatherParams(ctx, t, new Int32Array(0), fill, 0);
  }
  const inStrides = stridesOf(physicalShape(x.layout));
  const maps = x.layout.perm.map((d) => padMap(a.mode, x.shape[d], a.pads[d], a.pads[d + rank]));
  const dims = maps.map((m) => m.length);
  const n = dims.reduce((p, d) => p * d, 1);
  const t = table(n);
  const idx = new Array<number>(rank).fill(0);
  for (let j = 0; j < n; j++) {
    let s = 0;
    let filled = false;
    for (let k = 0; k < rank; k++) {
      const from = maps[k][idx[k]];
      if (from < 0) filled = true;
      s += from * inStrides[k];
    }
    if (!filled) t[j * 2] = src + s;
    for (let k = rank - 1; k >= 0; k--) {
      if (++idx[k] < dims[k]) break;
      idx[k] = 0;
    }
  }
  return gatherParams(ctx, t, new Int32Array(0), fill, 0);
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
  const t = table(outer * dstRow);
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
        t[e * 2] = src + o * srcRow + j;
        t[e * 2 + 1] = rec;
      }
    }
    column += srcRow;
  });
  return gatherParams(ctx, t, records, 0, a.outputZeroPoint);
}
