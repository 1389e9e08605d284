/**
 * The portable kernel provider: every step becomes a call into qgc's own C kernels
 * (templates/c/portable/qgc_kernels.c), which compute what the integer interpreter computes.
 * The cmsis-nn provider falls back to these for ops CMSIS-NN lacks.
 */
import { CompileError, ErrorCode } from '../../errors.js';
import { elementCount, stridesOf } from '../../ir/graph.js';
import type { PadAttrs } from '../../ir/ops.js';
import { isIdentityOperand, requantize } from '../../quant/intmath.js';
import type { CmsisIsa } from './cmsis-buffers.js';
import {
  cInt, checkPool, checkShifts, constArray, constData, nhwcOf, perChannel, window2d,
  type CallContext, type KernelCall, type KernelProvider, addValues } from './kernel-call.js';
import { channelsLast, physicalShape, weightsForInputLayout, weightsOHWI, type Layout, type StridedCopy } from './layout.js';
import type { CopyStep, NodeStep, Step } from './lower.js';

/** numpy.pad index map of one dim: output index → source index, or -1 for the constant. */
export function padMap(mode: PadAttrs['mode'], size: number, begin: number, end: number): Int32Array {
  const lo = Math.max(0, -begin);
  const m = size - lo - Math.max(0, -end);
  const before = Math.max(0, begin);
  const out = new Int32Array(before + m + Math.max(0, end));
  for (let o = 0; o < out.length; o++) {
    let j = o - before;
    if (j < 0 || j >= m) {
      if (mode === 'constant') j = -1;
      else if (mode === 'edge') j = j < 0 ? 0 : m - 1;
      else if (mode === 'wrap') j = ((j % m) + m) % m;
      else if (m === 1) j = 0;
      else {
        const period = 2 * (m - 1);
        j = ((j % period) + period) % period;
        if (j >= m) j = period - j;
      }
    }
    out[o] = j < 0 ? -1 : j + lo;
  }
  return out;
}

const list = (xs: ArrayLike<number>): string => Array.from(xs, cInt).join(', ');

/** A strided copy as qgc_copy_params values. */
export function copyValues(c: StridedCopy): { rank: number; dims: string; strides: string } {
  if (c.dims.length > 8) throw new CompileError(ErrorCode.UnsupportedOp, `a layout change of rank ${c.dims.length} exceeds QGC_MAX_RANK (8)`);
  return { rank: c.dims.length, dims: list(c.dims), strides: list(c.srcStrides) };
}

function where(step: NodeStep) {
  return { node: step.node.name, op: step.node.op };
}

/** The portable provider (any core, any host). */
export function portableProvider(isa: CmsisIsa = 'plain'): KernelProvider {
  return {
    name: 'portable',
    isa,
    scratchBytes(step: Step): number {
      if (step.kind === 'node') checkNode(step);
      return 0;
    },
    call: portableCall,
  };
}

function checkNode(step: NodeStep): void {
  const n = step.node;
  switch (n.op) {
    case 'QConv':
      constData(step, 0, 'int8');
      constData(step, 1, 'int32');
      checkShifts(step, n.attrs.shift);
      return;
    case 'QFullyConnected':
      constData(step, 0, 'int8');
      constData(step, 1, 'int32');
      checkShifts(step, n.attrs.shift);
      return;
    case 'QMaxPool':
    case 'QAveragePool':
      checkPool(step, n.attrs);
      return;
    case 'Pad':
      if (step.inputs[0].shape.length > 8) throw new CompileError(ErrorCode.UnsupportedOp, 'Pad of rank above 8', where(step));
      return;
    default:
      return;
  }
}

/** The portable call of any step. */
export function portableCall(step: Step, ctx: CallContext): KernelCall {
  if (step.kind === 'copy') return copyCall(step, ctx);
  const n = step.node;
  const x = step.inputs[0];
  const y = step.output;
  const io = { input: ctx.ptr(x), output: ctx.ptr(y), step: ctx.stepNumber };
  switch (n.op) {
    case 'QConv': {
      const a = n.attrs;
      const w = constData(step, 0, 'int8');
      const bias = constData(step, 1, 'int32');
      const wShape = step.consts[0]!.shape;
      const inD = nhwcOf(x.shape);
      const outD = nhwcOf(y.shape);
      const q = perChannel(step, a.multiplier, a.shift, outD.c);
      const consts = [
        constArray(ctx, 'w', 'int8_t', weightsOHWI(w, wShape), `weights [${outD.c}, kH, kW, ${inD.c / a.group}] (OHWI)`),
        constArray(ctx, 'mult', 'int32_t', q.mult, 'requantization multipliers (Q31), one per output channel'),
        constArray(ctx, 'shift', 'int32_t', q.shift, 'requantization shifts, one per output channel'),
      ];
      if (bias) consts.push(constArray(ctx, 'bias', 'int32_t', bias, 'bias (int32, scale s_in * s_w[c])'));
      const macs = outD.n * outD.h * outD.w * outD.c * elementCount(wShape.slice(1));
      return {
        partial: 'portable_conv', kernel: 'qgc_conv_s8', consts, macs,
        values: {
          ...io, in: inD, out: outD, win: window2d(a), groups: a.group, inputOffset: cInt(-a.inputZeroPoint), outputOffset: cInt(a.outputZeroPoint),
          actMin: a.actMin, actMax: a.actMax, w: consts[0].id, mult: consts[1].id, shift: consts[2].id, bias: bias ? consts[3].id : 'NULL',
        },
      };
    }
    case 'QFullyConnected': {
      const a = n.attrs;
      const [m, k] = step.consts[0]!.shape;
      const w = weightsForInputLayout(constData(step, 0, 'int8'), m, k, x.layout);
      const bias = constData(step, 1, 'int32');
      const per = a.multiplier.length !== 1;
      const consts = [
        constArray(ctx, 'w', 'int8_t', w, `weights [${m}, ${k}]${w.every((v, i) => v === constData(step, 0, 'int8')[i]) ? '' : ', columns in the input\'s byte order'}`),
        constArray(ctx, 'mult', 'int32_t', a.multiplier, per ? 'multipliers, one per output' : 'multiplier (per tensor)'),
        constArray(ctx, 'shift', 'int32_t', a.shift, per ? 'shifts, one per output' : 'shift (per tensor)'),
      ];
      if (bias) consts.push(constArray(ctx, 'bias', 'int32_t', bias, 'bias (int32)'));
      const batches = elementCount(x.shape) / k;
      return {
        partial: 'portable_fc', kernel: 'qgc_fully_connected_s8', consts, macs: batches * m * k,
        values: {
          ...io, batches, inFeatures: k, outFeatures: m, inputOffset: cInt(-a.inputZeroPoint), outputOffset: cInt(a.outputZeroPoint),
          actMin: a.actMin, actMax: a.actMax, perChannel: per ? 1 : 0, w: consts[0].id, mult: consts[1].id, shift: consts[2].id, bias: bias ? consts[3].id : 'NULL',
        },
      };
    }
    case 'QAdd': {
      const a = n.attrs;
      return {
        partial: 'portable_add', kernel: 'qgc_add_s8', consts: [], macs: 0,
        values: { ...io, input2: ctx.ptr(step.inputs[1]), ...addValues(a, elementCount(y.shape)) },
      };
    }
    case 'QMaxPool':
    case 'QAveragePool': {
      const a = n.attrs;
      const avg = n.op === 'QAveragePool';
      return {
        partial: 'portable_pool', kernel: avg ? 'qgc_avg_pool_s8' : 'qgc_max_pool_s8', consts: [], macs: 0,
        values: { ...io, fn: avg ? 'qgc_avg_pool_s8' : 'qgc_max_pool_s8', in: nhwcOf(x.shape), out: nhwcOf(y.shape), win: window2d(a), actMin: a.actMin, actMax: a.actMax },
      };
    }
    case 'QSoftmax': {
      const a = n.attrs;
      const rowSize = x.shape[x.shape.length - 1];
      return {
        partial: 'portable_softmax', kernel: 'qgc_softmax_s8', consts: [], macs: 0,
        values: { ...io, rows: elementCount(x.shape) / rowSize, rowSize, mult: cInt(a.multiplier), shift: a.shift, diffMin: cInt(a.diffMin) },
      };
    }
    case 'QClamp':
      return {
        partial: 'portable_clamp', kernel: 'qgc_clamp_s8', consts: [], macs: 0,
        values: { ...io, size: elementCount(y.shape), actMin: n.attrs.actMin, actMax: n.attrs.actMax },
      };
    case 'QConcat':
      return concatCall(step, ctx);
    case 'Pad':
      return padCall(step, ctx);
    default:
      throw new CompileError(ErrorCode.UnsupportedOp, `no portable kernel for ${n.op}`, where(step));
  }
}

/** Elements from which an add (on a core without MVE) reads its input rescaling from two
 * 256-entry int32 tables (2 KiB of flash): three requantizations per element become one
 * (measured on a Cortex-M4: 36 instructions per element, CMSIS-NN's arm_elementwise_add_s8 81;
 * on a Cortex-M55 CMSIS-NN's vectorized add is cheaper, 14). */
export const ADD_LUT_MIN_ELEMENTS = 256;

/** QAdd as qgc_add_lut_s8: the tables hold, for every int8 value, what the interpreter's QAdd
 * (and arm_elementwise_add_s8) computes for that input before the sum. */
export function addLutCall(step: NodeStep, ctx: CallContext): KernelCall {
  if (step.node.op !== 'QAdd') throw new Error('unreachable');
  const a = step.node.attrs;
  const table = (op: typeof a.input1) => Int32Array.from({ length: 256 }, (_, k) => requantize((k - 128 - op.zeroPoint) << a.leftShift, op.multiplier, op.shift));
  const consts = [
    constArray(ctx, 'lut1', 'int32_t', table(a.input1), 'input 1 rescaled, per int8 value + 128'),
    constArray(ctx, 'lut2', 'int32_t', table(a.input2), 'input 2 rescaled, per int8 value + 128'),
  ];
  const base = portableCall(step, ctx);
  return { ...base, partial: 'portable_add_lut', kernel: 'qgc_add_lut_s8', consts, values: { ...base.values, lut1: consts[0].id, lut2: consts[1].id } };
}

function copyCall(step: CopyStep, ctx: CallContext): KernelCall {
  return {
    partial: 'portable_copy', kernel: 'qgc_copy_s8', consts: [], macs: 0,
    values: { input: ctx.ptr(step.src), output: ctx.ptr(step.dst), step: ctx.stepNumber, ...copyValues(step.copy) },
  };
}

/** Concatenation in physical order: along the concat axis' physical position, every input is a
 * block of rows; each input's rows land at its column offset in the output's rows. */
function concatCall(step: NodeStep, ctx: CallContext): KernelCall {
  if (step.node.op !== 'QConcat') throw new Error('unreachable');
  const a = step.node.attrs;
  const outLayout: Layout = channelsLast(step.output.shape);
  const pa = outLayout.perm.indexOf(a.axis);
  const outPhys = physicalShape(outLayout);
  const outer = outPhys.slice(0, pa).reduce((p, d) => p * d, 1);
  const dstRow = outPhys.slice(pa).reduce((p, d) => p * d, 1);
  let offset = 0;
  const parts = step.inputs.map((t, i) => {
    const inPhys = physicalShape(channelsLast(t.shape));
    const srcRow = inPhys.slice(pa).reduce((p, d) => p * d, 1);
    const op = a.inputs[i];
    const part = {
      input: ctx.ptr(t), output: `${ctx.ptr(step.output)} + ${offset}`, outer, srcRow, dstRow, copy: isIdentityOperand(op, a.outputZeroPoint) ? 1 : 0,
      inputOffset: cInt(-op.zeroPoint), mult: cInt(op.multiplier), shift: op.shift, outputOffset: cInt(a.outputZeroPoint), name: `p${i}`,
    };
    offset += srcRow;
    return part;
  });
  return { partial: 'portable_concat', kernel: 'qgc_concat_s8', consts: [], macs: 0, values: { parts, step: ctx.stepNumber } };
}

function padCall(step: NodeStep, ctx: CallContext): KernelCall {
  if (step.node.op !== 'Pad') throw new Error('unreachable');
  const a = step.node.attrs;
  const x = step.inputs[0];
  const rank = x.shape.length;
  const perm = x.layout.perm;
  const inStrides = stridesOf(physicalShape(x.layout));
  const maps = perm.map((d) => padMap(a.mode, x.shape[d], a.pads[d], a.pads[d + rank]));
  const flat = new Int32Array(maps.reduce((s, m) => s + m.length, 0));
  let o = 0;
  for (const m of maps) {
    flat.set(m, o);
    o += m.length;
  }
  const fill = Math.round(a.value);
  if (a.mode === 'constant' && (fill < -128 || fill > 127)) {
    throw new CompileError(ErrorCode.BadAttribute, `pad value ${a.value} is outside int8`, where(step), 'Pad with a quantized value (usually the zero point).');
  }
  const consts = [constArray(ctx, 'pad_map', 'int32_t', flat, `source index per output index, per dim (${a.mode} pad; -1: fill)`)];
  return {
    partial: 'portable_pad', kernel: 'qgc_pad_s8', consts, macs: 0,
    values: {
      input: ctx.ptr(x), output: ctx.ptr(step.output), step: ctx.stepNumber, rank, dims: list(maps.map((m) => m.length)),
      strides: list(inStrides), fill: a.mode === 'constant' ? fill : 0, maps: consts[0].id,
    },
  };
}
