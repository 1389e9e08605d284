/**
 * QConv and QFullyConnected in WGSL (templates/wgsl/linear.wgsl.hbs): the window geometry, the
 * weights packed four int8 per word along the input channels of a group ([M][kh][kw][chunks],
 * zero past C/G, so a word read past a group's channels adds nothing), and one record
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

/** int8 values, four per word (byte j of a word is value 4k + j), rows of `cols` padded with
 * zeros to whole words. */
export function packRows(w: Int8Array, rows: number, cols: number): Int32Array {
  const chunks = Math.ceil(cols / 4);
  const bytes = new Int8Array(rows * chunks * 4);
  for (let r = 0; r < rows; r++) bytes.set(w.subarray(r * cols, (r + 1) * cols), r * chunks * 4);
  return new Int32Array(bytes.buffer);
}

/** A zero point repeated in the four bytes of a word (the dot product that removes it). */
export function packedZeroPoint(zp: number): number {
  const b = zp & 0xff;
  return (b | (b << 8) | (b << 16) | (b << 24)) | 0;
}

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
  return {
    family: 'linear',
    values: {
      inByte: ctx.offset(step.inputs[0]), H: inD.h, W: inD.w, C: inD.c, OH: outD.h, OW: outD.w,
      KH: win.kernelH, KW: win.kernelW, SH: win.strideH, SW: win.strideW, PH: win.padH, PW: win.padW, DH: win.dilationH, DW: win.dilationW,
      M: outD.c, Mg: outD.c / a.group, Cg: cg, chunks: Math.ceil(cg / 4),
      wWord: ctx.consts.add(packRows(w, outD.c * taps, cg)),
      recWord: ctx.consts.add(records(constData(step, 1, 'int32'), q.mult, q.shift)),
      zp4: packedZeroPoint(a.inputZeroPoint), outputZeroPoint: a.outputZeroPoint, actMin: a.actMin, actMax: a.actMax,
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
      M: m, Mg: m, Cg: k, chunks: Math.ceil(k / 4),
      wWord: ctx.consts.add(packRows(w, m, k)),
      recWord: ctx.consts.add(records(constData(step, 1, 'int32'), q.mult, q.shift)),
      zp4: packedZeroPoint(a.inputZeroPoint), outputZeroPoint: a.outputZeroPoint, actMin: a.actMin, actMax: a.actMax,
    },
  };
}

/** Rows of the FC's input (the leading dims are the batch). */
export const fcRows = (step: NodeStep): number => elementCount(step.inputs[0].shape) / step.consts[0]!.shape[1];
