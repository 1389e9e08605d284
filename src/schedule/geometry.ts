/**
 * Geometry of scheduled steps that every backend reads the same way: NHWC dims of conv/pool
 * tensors, 2-D windows (1-D windows as height 1), and the multiply-accumulates of a step (from
 * src/ir/geometry.ts, which import, the interpreter and `inspect` share).
 */
import { convMacs, matMulMacs } from '../ir/geometry.js';
import type { WindowAttrs } from '../ir/ops.js';
import type { Step } from './types.js';

/** An NHWC dims record of a rank-3 ([N,C,L]) or rank-4 ([N,C,H,W]) logical shape. */
export interface Nhwc {
  n: number;
  h: number;
  w: number;
  c: number;
}

export function nhwcOf(shape: readonly number[]): Nhwc {
  return shape.length === 3 ? { n: shape[0], h: 1, w: shape[2], c: shape[1] } : { n: shape[0], h: shape[2], w: shape[3], c: shape[1] };
}

/** A 2-D window; 1-D windows become kernel_h = 1 with no padding along H. */
export interface Window2d {
  kernelH: number;
  kernelW: number;
  strideH: number;
  strideW: number;
  padH: number;
  padW: number;
  dilationH: number;
  dilationW: number;
  /** Trailing pads (CMSIS-NN derives them from the output size; kept for the report). */
  padBottom: number;
  padRight: number;
}

export function window2d(a: WindowAttrs): Window2d {
  if (a.kernel.length === 1) {
    return { kernelH: 1, kernelW: a.kernel[0], strideH: 1, strideW: a.strides[0], padH: 0, padW: a.pads[0], dilationH: 1, dilationW: a.dilations[0], padBottom: 0, padRight: a.pads[1] };
  }
  return {
    kernelH: a.kernel[0], kernelW: a.kernel[1], strideH: a.strides[0], strideW: a.strides[1], padH: a.pads[0], padW: a.pads[1],
    dilationH: a.dilations[0], dilationW: a.dilations[1], padBottom: a.pads[2], padRight: a.pads[3],
  };
}

/** Multiply-accumulates of a step (0 for data movement and elementwise ops). */
export function stepMacs(step: Step): number {
  if (step.kind !== 'node') return 0;
  const w = step.consts[0];
  if (!w) return 0;
  switch (step.node.op) {
    case 'QConv': return convMacs(step.output.shape, w.shape);
    case 'QFullyConnected': return matMulMacs(step.output.shape, w.shape[1]);
    default: return 0;
  }
}
