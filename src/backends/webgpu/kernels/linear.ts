/**
 * QConv and QFullyConnected in WGSL (templates/wgsl/linear.wgsl.hbs): the window geometry, the
 * weights packed four int8 per word along the input channels of a group ([M][kh][kw] taps of
 * `chunks` words, zero past C/G so a word read past a group's channels adds nothing, and the
 * tap's weight sum), and one record
 * {bias, multiplier, shift} per output channel. A fully connected layer is a 1x1 convolution
 * over rows of K bytes, its weight columns in the order of the input's bytes.
 */
import { elementCount } from '../../../ir/graph.js';
import { nhwcOf, window2d } from '../../../schedule/geometry.js';
import { weightsForInputLayout } from '../../../schedule/layout.js';
import type { NodeStep } from '../../../schedule/types.js';
import { constData, perChannel } from '../../c/kernel-call.js';
import { weightsOHWI } from '../../c/weights.js';
import type { ParamsContext, StepParams } from '../kernel.js';

/** Rows of `cols` int8 values, four per word (byte j of word k is value 4k + j), padded with
 * zeros to whole words, each row followed by one word: the sum of its values (the input zero
 * point's share of the row's dot product is zero point * sum). */
export function packRows(w: Int8Array, rows: number, cols: number): Int32Array {
  const chunks = Math.ceil(cols / 4);
  const out = new Int32Array(rows * (chunks + 1));
  const bytes = new Int8Array(out.buffer);
  for (let r = 0; r < rows; r++) {
    const row = w.subarray(r * cols, (r + 1) * cols);
    bytes.set(row, r * (chunks + 1) * 4);
    out[r * (chunks + 1) + chunks] = row.reduce((a, v) => a + v, 0);
  }
  return out;
}

/** Depthwise weights [M][taps] as [taps][M] int8, four channels per word (M a multiple of 4). */
export function packDepthwise(w: Int8Array, m: number, taps: number): Int32Array {
  const out = new Int32Array((taps * m) / 4);
  const bytes = new Int8Array(out.buffer);
  for (let c = 0; c < m; c++) for (let t = 0; t < taps; t++) bytes[t * m + c] = w[c * taps + t];
  return out;
}

/** Four consecutive output channels of a word share a position and a group. */
const quadOf = (m: number, mg: number) => (m % 4 === 0 && mg % 4 === 0 ? 1 : 0);

function records(bias: Int32Array | undefined, mult: Int32Array, shift: Int32Array): Int32Array {
  const r = new Int32Array(mult.length * 3);
  for (let m = 0; m < mult.length; m++) {
    r[m * 3] = bias ? bias[m] : 0;
    r[m * 3 + 1] = mult[m];
    r[m * 3 + 2] = shift[m];
  }
  return r;
}

export function convParams(step: NodeStep, ctx: ParamsContext): StepParams {
  if (step.node.op !== 'QConv') throw new Error('unreachable');
  const a = step.node.attrs;
  const inD = nhwcOf(step.inputs[0].shape);
  const outD = nhwcOf(step.output.shape);
  const win = window2d(a);
  const wShape = step.consts[0]!.shape;
  const cg = inD.c / a.group;
  const taps = win.kernelH * win.kernelW;
  const q = perChannel(step, a.multiplier, a.shift, outD.c);
  const w = weightsOHWI(constData(step, 0, 'int8'), wShape);
  // One input and one output channel per group, four channels to a word.
  const depthwise = a.group === inD.c && a.group === outD.c && outD.c % 4 === 0;
  return {
    family: 'linear',
    values: {
      inByte: ctx.offset(step.inputs[0]), H: inD.h, W: inD.w, C: inD.c, OH: outD.h, OW: outD.w,
      KH: win.kernelH, KW: win.kernelW, SH: win.strideH, SW: win.strideW, PH: win.padH, PW: win.padW, DH: win.dilationH, DW: win.dilationW,
      M: outD.c, Mg: outD.c / a.group, Cg: cg, chunks: Math.ceil(cg / 4), quad: quadOf(outD.c, outD.c / a.group),
      depthwise: depthwise ? 1 : 0, dwWord: depthwise ? ctx.consts.add(packDepthwise(w, outD.c, taps)) : 0,
      wWord: ctx.consts.add(packRows(w, outD.c * taps, cg)),
      recWord: ctx.consts.add(records(constData(step, 1, 'int32'), q.mult, q.shift)),
      inputZeroPoint: a.inputZeroPoint, outputZeroPoint: a.outputZeroPoint, actMin: a.actMin, actMax: a.actMax,
    },
  };
}

export function fcParams(step: NodeStep, ctx: ParamsContext): StepParams {
  if (step.node.op !== 'QFullyConnected') throw new Error('unreachable');
  const a = step.node.attrs;
  const x = step.inputs[0];
  const [m, k] = step.consts[0]!.shape;
  const q = perChannel(step, a.multiplier, a.shift, m);
  const w = weightsForInputLayout(constData(step, 0, 'int8'), m, k, x.layout);
  return {
    family: 'linear',
    values: {
      inByte: ctx.offset(x), H: 1, W: 1, C: k, OH: 1, OW: 1, KH: 1, KW: 1, SH: 1, SW: 1, PH: 0, PW: 0, DH: 1, DW: 1,
      M: m, Mg: m, Cg: k, chunks: Math.ceil(k / 4), quad: quadOf(m, m), depthwise: 0, dwWord: 0,
      wWord: ctx.consts.add(packRows(w, m, k)),
      recWord: ctx.consts.add(records(constData(step, 1, 'int32'), q.mult, q.shift)),
      inputZeroPoint: a.inputZeroPoint, outputZeroPoint: a.outputZeroPoint, actMin: a.actMin, actMax: a.actMax,
    },
  };
}

/** Rows of the FC's input (the leading dims are the batch). */
export const fcRows = (step: NodeStep): number => elementCount(step.inputs[0].shape) / step.consts[0]!.shape[1];
