/** The int8 activations of issue 16, each following a TFLite reference integer kernel:
 * QSigmoid, QTanh and QHardSigmoid read their 256-entry table (TFLite's int8 LUT, built by the
 * lowering: src/ir/intmath.ts lookupTable); QHardSwish is reference_ops::HardSwish (16-bit
 * fixed point), QLeakyRelu reference_ops::QuantizeLeakyRelu and QPRelu
 * reference_ops::BroadcastPrelu4DSlow (two multipliers each), with qgc's requantization
 * (CMSIS-NN's arm_nn_requantize, see intmath.ts) where TFLite calls MultiplyByQuantizedMultiplier.
 *
 * Every one but QPRelu is a function of one int8 value: `unaryFunction` gives it, and
 * `unaryTable` its 256 values, which is what the C and Wasm kernels read (one table lookup per
 * element, bit-exact with these kernels by construction and checked so on random graphs). */
import { ErrorCode, check } from '../../errors.js';
import type { NodeOf } from '../../ir/graph.js';
import {
  requantize, roundingDivideByPOT, saturatingDoublingHighMul16, saturatingLeftShift16, saturatingRoundingDoublingHighMul16,
  type QuantizedMultiplier,
} from '../../ir/intmath.js';
import type { QHardSwishAttrs, QLeakyReluAttrs } from '../../ir/qops.js';
import type { Kernel, KernelTable } from '../types.js';
import { broadcastIndex } from '../util.js';
import { clamp, int8Input } from './common.js';

/** The int8 ops that are a function of one int8 value. */
export type Int8UnaryOp = 'QSigmoid' | 'QTanh' | 'QHardSigmoid' | 'QHardSwish' | 'QLeakyRelu';

/** A node of one of them (narrowed by `op`). */
export type Int8UnaryNode = { [K in Int8UnaryOp]: NodeOf<K> }[Int8UnaryOp];

/** The requantization of the kernels (qgc's; a test may pass TFLite's single rounding). */
export type Requantize = (val: number, multiplier: number, shift: number) => number;

const byMultiplier = (rq: Requantize, v: number, m: QuantizedMultiplier) => rq(v, m.multiplier, m.shift);

/** reference_ops::HardSwish<int8_t> for one value. */
export function hardSwish(q: number, a: QHardSwishAttrs): number {
  const x = q - a.inputZeroPoint;
  const hires = x * 128; // |x| ≤ 255: fits int16
  const preshiftOutput = saturatingRoundingDoublingHighMul16(hires, a.outputMultiplier);
  let reluish = hires;
  if (a.reluishShift > 0) reluish = saturatingLeftShift16(reluish, a.reluishShift - 1);
  reluish = saturatingRoundingDoublingHighMul16(reluish, a.reluishMultiplier);
  if (a.reluishShift > 0) reluish = saturatingLeftShift16(reluish, 1);
  if (a.reluishShift < 0) reluish = roundingDivideByPOT(reluish, -a.reluishShift);
  reluish = (reluish + (1 << 15)) >> 1; // [-1, 1] → [0, 1] in Q15
  const preshift = saturatingDoublingHighMul16(reluish, preshiftOutput);
  return clamp(roundingDivideByPOT(preshift, -a.outputShift) + a.outputZeroPoint, -128, 127);
}

/** reference_ops::QuantizeLeakyRelu<int8_t> for one value. */
export function leakyRelu(q: number, a: QLeakyReluAttrs, rq: Requantize = requantize): number {
  const x = q - a.inputZeroPoint;
  return clamp(a.outputZeroPoint + byMultiplier(rq, x, x >= 0 ? a.identity : a.negative), -128, 127);
}

/** The function of one int8 value that `node` computes. */
export function unaryFunction(node: Int8UnaryNode, rq: Requantize = requantize): (q: number) => number {
  switch (node.op) {
    case 'QSigmoid':
    case 'QTanh':
    case 'QHardSigmoid': {
      const t = node.attrs.table;
      check(t.length === 256, ErrorCode.Internal, `${node.op} table has ${t.length} entries, not 256`, { node: node.name, op: node.op });
      return (q) => t[q + 128];
    }
    case 'QHardSwish': {
      const a = node.attrs;
      return (q) => hardSwish(q, a);
    }
    case 'QLeakyRelu': {
      const a = node.attrs;
      return (q) => leakyRelu(q, a, rq);
    }
  }
}

/** `node`'s value for every int8 input (index q + 128): what the C and Wasm kernels look up. */
export function unaryTable(node: Int8UnaryNode): Int8Array {
  const f = unaryFunction(node);
  return Int8Array.from({ length: 256 }, (_, k) => f(k - 128));
}

const unary: Kernel<Int8UnaryOp> = (node, inputs) => {
  const x = int8Input(node, inputs, 0);
  const f = unaryFunction(node as Int8UnaryNode);
  return [{ dtype: 'int8', shape: x.shape, data: Int8Array.from(x.data, f) }];
};

/** reference_ops::BroadcastPrelu4DSlow<int8_t>: the slope broadcast to x. */
export function prelu(node: NodeOf<'QPRelu'>, x: Int8Array, shape: readonly number[], slope: Int8Array, slopeShape: readonly number[], rq: Requantize = requantize): Int8Array {
  const a = node.attrs;
  const idx = broadcastIndex(slopeShape, shape);
  const out = new Int8Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i] - a.inputZeroPoint;
    const y = v >= 0 ? byMultiplier(rq, v, a.identity) : byMultiplier(rq, v * (slope[idx ? idx[i] : i] - a.slopeZeroPoint), a.negative);
    out[i] = clamp(y + a.outputZeroPoint, -128, 127);
  }
  return out;
}

const qprelu: Kernel<'QPRelu'> = (node, inputs) => {
  const x = int8Input(node, inputs, 0);
  const s = int8Input(node, inputs, 1);
  return [{ dtype: 'int8', shape: x.shape, data: prelu(node, x.data, x.shape, s.data, s.shape) }];
};

export const int8ActivationKernels = {
  QSigmoid: unary,
  QTanh: unary,
  QHardSigmoid: unary,
  QHardSwish: unary,
  QLeakyRelu: unary,
  QPRelu: qprelu,
} satisfies Partial<KernelTable>;
