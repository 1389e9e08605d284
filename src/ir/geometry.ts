/**
 * Window and work geometry of IR ops, the one definition import (auto_pad, output shapes), the
 * interpreter (window tables), the cost counts and the backends use: the output size of a
 * sliding window, ONNX's SAME padding, and the multiply-accumulates of a node.
 */
import { elementCount, type Graph, type Node } from './graph.js';
import type { WindowAttrs } from './ops.js';

/** Extent of a dilated kernel: (kernel - 1) * dilation + 1. */
export function effectiveKernel(kernel: number, dilation: number): number {
  return (kernel - 1) * dilation + 1;
}

/** Output size of one spatial dim for explicit pads. With `ceilMode`, the last window must start
 * inside the input or the begin padding (the PyTorch / onnxruntime rule). May be < 1 when the
 * window does not fit; callers check. */
export function windowOutSize(inSize: number, kernel: number, stride: number, dilation: number, padBegin: number, padEnd: number, ceilMode: boolean): number {
  const span = inSize + padBegin + padEnd - effectiveKernel(kernel, dilation);
  if (!ceilMode) return Math.floor(span / stride) + 1;
  let out = Math.ceil(span / stride) + 1;
  if ((out - 1) * stride >= inSize + padBegin) out--;
  return out;
}

/** Output spatial dims of a window op (Conv, pools) over `spatialIn`. */
export function windowOutShape(spatialIn: readonly number[], w: WindowAttrs, ceilMode = false): number[] {
  const n = spatialIn.length;
  return spatialIn.map((d, i) => windowOutSize(d, w.kernel[i], w.strides[i], w.dilations[i], w.pads[i], w.pads[i + n], ceilMode));
}

/** ONNX auto_pad SAME_UPPER / SAME_LOWER for one dim: output ceil(in / stride) and the pads that
 * give it (the odd pad goes at the end for UPPER, at the begin for LOWER). */
export function samePadding(inSize: number, kernel: number, stride: number, dilation: number, upper: boolean): { out: number; begin: number; end: number } {
  const out = Math.ceil(inSize / stride);
  const total = Math.max(0, (out - 1) * stride + effectiveKernel(kernel, dilation) - inSize);
  const small = Math.floor(total / 2);
  const begin = upper ? small : total - small;
  return { out, begin, end: total - begin };
}

/** MACs of a convolution: every output element sums over one filter (C_in / group * kernel taps). */
export function convMacs(outputShape: readonly number[], weightShape: readonly number[]): number {
  return elementCount(outputShape) * (elementCount(weightShape) / (weightShape[0] || 1));
}

/** MACs of a matrix product with inner dimension `k`: every output element sums over k products. */
export function matMulMacs(outputShape: readonly number[], k: number): number {
  return elementCount(outputShape) * k;
}

/** Multiply-accumulates one inference of `node` performs (0 for ops without MACs): float,
 * QOperator and int8 (QConv, QFullyConnected) forms alike. */
export function macsOf(graph: Graph, node: Node): number {
  const shape = (name: string) => graph.tensors.get(name)?.shape ?? [];
  const out = shape(node.outputs[0]);
  switch (node.op) {
    case 'Conv':
    case 'ConvInteger':
    case 'QConv':
      return convMacs(out, shape(node.inputs[1]));
    case 'QLinearConv':
      return convMacs(out, shape(node.inputs[3]));
    case 'Gemm': {
      const a = shape(node.inputs[0]);
      return matMulMacs(out, node.attrs.transA ? a[0] : a[1]);
    }
    case 'QFullyConnected':
      return matMulMacs(out, shape(node.inputs[1])[1] ?? 1);
    case 'MatMul':
    case 'QBatchMatMul':
    case 'MatMulInteger':
    case 'QLinearMatMul': {
      const a = shape(node.inputs[0]);
      return matMulMacs(out, a[a.length - 1] ?? 1);
    }
    default:
      return 0;
  }
}
