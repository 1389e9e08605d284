/** QConv and QFullyConnected on int16 activations (W8A16): CMSIS-NN's `_s16` kernels
 * (arm_convolve_s16, arm_depthwise_conv_s16, arm_fully_connected_s16). Activations are int16
 * symmetric (zero points 0: the kernels take no offsets), weights int8, the bias int64; the sum
 * acc = bias[m] + Σ x * w is exact (an int64 in the kernels) and requantized by
 * arm_nn_requantize_s64 with the Q31 multiplier reduced to Q15 (REDUCE_MULTIPLIER), then clamped
 * to [actMin, actMax]. CMSIS-NN's DSP paths add the products in int32 before widening, so they
 * agree with this definition where a layer's partial sums fit int32 (|Σ x * w| < 2^31). Padded
 * taps contribute nothing. */
import { CompileError, ErrorCode, check } from '../../errors.js';
import type { NodeOf } from '../../ir/graph.js';
import { reduceMultiplier, requantizeS64 } from '../../ir/intmath.js';
import type { Value } from '../types.js';
import { req } from '../util.js';
import { windowTable } from './common.js';

type LinearNode = NodeOf<'QConv'> | NodeOf<'QFullyConnected'>;

/** The int16 input, int8 weights and int64 bias of an s16 layer, checked. */
function s16Operands(node: LinearNode, inputs: readonly (Value | undefined)[], m: (w: Value) => number) {
  const where = { node: node.name, op: node.op };
  const x = req(inputs, 0);
  const w = req(inputs, 1);
  const b = inputs[2];
  if (w.dtype !== 'int8') throw new CompileError(ErrorCode.UnsupportedDType, `weights are ${w.dtype}; int16 layers take int8 weights`, where);
  const M = m(w);
  if (b && !(b.dtype === 'int64' && b.data.length === M)) {
    throw new CompileError(ErrorCode.UnsupportedDType, `bias must be int64 with ${M} elements for int16 activations, got ${b.dtype} [${b.shape.join(', ')}]`, where,
      'Quantize the bias of an int16 layer to int64 (CMSIS-NN\'s _s16 kernels take int64 biases).');
  }
  const a = node.attrs;
  check(a.inputZeroPoint === 0 && a.outputZeroPoint === 0, ErrorCode.BadGraph, `int16 activations are symmetric: zero points ${a.inputZeroPoint} and ${a.outputZeroPoint} must be 0`, where);
  check(a.multiplier.length === 1 || a.multiplier.length === M, ErrorCode.Internal, `${node.op} needs 1 or ${M} multipliers`, where);
  const reduced = Int32Array.from(a.multiplier, reduceMultiplier);
  const finish = (acc: bigint, c: number): number => {
    const k = a.multiplier.length === 1 ? 0 : c;
    const v = requantizeS64(acc, reduced[k], a.shift[k]);
    return v < a.actMin ? a.actMin : v > a.actMax ? a.actMax : v;
  };
  return { x: x as Value & { data: Int16Array }, w: w as Value & { data: Int8Array }, bias: b?.data as BigInt64Array | undefined, M, finish };
}

/** QConv with int16 activations: x [N, C, ...spatial], w [M, C/group, ...kernel]. */
export function qconvS16(node: NodeOf<'QConv'>, inputs: readonly (Value | undefined)[]): Value[] {
  const { x, w, bias, M, finish } = s16Operands(node, inputs, (v) => v.shape[0]);
  const a = node.attrs;
  const [N, C] = x.shape;
  const G = a.group;
  check(w.shape[1] * G === C && M % G === 0 && w.shape.length === x.shape.length, ErrorCode.ShapeMismatch,
    `QConv shapes do not fit: x [${x.shape.join(', ')}], w [${w.shape.join(', ')}], group ${G}`, { node: node.name, op: node.op });
  const { outSpatial, S, P, K, table } = windowTable(x.shape.slice(2), a, false);
  const Cg = C / G;
  const Mg = M / G;
  const out = new Int16Array(N * M * P);
  for (let n = 0; n < N; n++) {
    for (let m = 0; m < M; m++) {
      const g = Math.floor(m / Mg);
      for (let p = 0; p < P; p++) {
        // |x * w| < 2^22 and at most 2^31 taps: the double sum is exact.
        let acc = 0;
        for (let c = 0; c < Cg; c++) {
          const xBase = (n * C + g * Cg + c) * S;
          const wBase = (m * Cg + c) * K;
          for (let k = 0; k < K; k++) {
            const off = table[p * K + k];
            if (off >= 0) acc += x.data[xBase + off] * w.data[wBase + k];
          }
        }
        out[(n * M + m) * P + p] = finish(BigInt(acc) + (bias ? bias[m] : 0n), m);
      }
    }
  }
  return [{ dtype: 'int16', shape: [N, M, ...outSpatial], data: out }];
}

/** QFullyConnected with int16 activations: x [..., K], w [M, K] → [..., M]. */
export function qfullyConnectedS16(node: NodeOf<'QFullyConnected'>, inputs: readonly (Value | undefined)[]): Value[] {
  const { x, w, bias, M, finish } = s16Operands(node, inputs, (v) => v.shape[0]);
  const K = w.shape[1];
  check(x.shape[x.shape.length - 1] === K, ErrorCode.ShapeMismatch, `QFullyConnected shapes do not fit: x [${x.shape.join(', ')}], w [${w.shape.join(', ')}]`, { node: node.name, op: node.op });
  const rows = K === 0 ? 0 : x.data.length / K;
  const out = new Int16Array(rows * M);
  for (let r = 0; r < rows; r++) {
    for (let m = 0; m < M; m++) {
      let acc = 0;
      for (let k = 0; k < K; k++) acc += x.data[r * K + k] * w.data[m * K + k];
      out[r * M + m] = finish(BigInt(acc) + (bias ? bias[m] : 0n), m);
    }
  }
  return [{ dtype: 'int16', shape: [...x.shape.slice(0, -1), M], data: out }];
}
