/** Shared pieces of the int8 kernels: input checks and window geometry. */
import { CompileError, ErrorCode, check } from '../../errors.js';
import type { NodeOf } from '../../ir/graph.js';
import type { OpName, WindowAttrs } from '../../ir/ops.js';
import { windowOutShape } from '../../ir/geometry.js';
import type { Value } from '../types.js';
import { req } from '../util.js';

/** Input `i` of an int8 op, checked to be int8. */
export function int8Input(node: NodeOf<OpName>, inputs: readonly (Value | undefined)[], i: number): Value & { data: Int8Array } {
  const v = req(inputs, i);
  if (v.dtype !== 'int8') {
    throw new CompileError(ErrorCode.UnsupportedDType, `input ${i} is ${v.dtype}; int8 ops take int8 tensors`, {
      node: node.name,
      op: node.op,
    });
  }
  return v as Value & { data: Int8Array };
}

/** Optional int32 bias input `i` (QConv, QFullyConnected) with `m` entries. */
export function biasInput(node: NodeOf<OpName>, inputs: readonly (Value | undefined)[], i: number, m: number): Int32Array | undefined {
  const b = inputs[i];
  if (!b) return undefined;
  check(b.dtype === 'int32' && b.data.length === m, ErrorCode.UnsupportedDType, `bias must be int32 with ${m} elements, got ${b.dtype} [${b.shape.join(', ')}]`, {
    node: node.name,
    op: node.op,
  });
  return b.data as Int32Array;
}

/** A window tap that falls in the declared padding. */
export const PAD = -1;
/** A window tap beyond the declared padding (only ceil-mode pooling produces these). */
export const OUTSIDE = -2;

export interface WindowTable {
  outSpatial: number[];
  /** Input elements per channel, output positions per channel, taps per window. */
  S: number;
  P: number;
  K: number;
  /** table[p * K + k]: offset of tap k of output position p within one input channel
   * (row-major spatial index), or PAD / OUTSIDE. Taps are in kernel row-major order,
   * the order of the weights' spatial dims. */
  table: Int32Array;
}

/** The window geometry of a Conv/Pool over `spatialIn` (any spatial rank). */
export function windowTable(spatialIn: readonly number[], a: WindowAttrs, ceilMode: boolean): WindowTable {
  const n = spatialIn.length;
  const outSpatial = windowOutShape(spatialIn, a, ceilMode);
  for (const d of outSpatial) check(d > 0, ErrorCode.ShapeMismatch, `window output would be empty (spatial output ${outSpatial.join('x')})`);
  // Build the table from the last spatial dim outward: table(d..n-1) from dim d and table(d+1..n-1).
  let table = Int32Array.of(0);
  let P = 1;
  let K = 1;
  let inStride = 1;
  for (let d = n - 1; d >= 0; d--) {
    const size = spatialIn[d];
    const k = a.kernel[d];
    const o = outSpatial[d];
    const s = a.strides[d];
    const dil = a.dilations[d];
    const pb = a.pads[d];
    const pe = a.pads[d + n];
    const next = new Int32Array(o * P * k * K);
    const K2 = k * K;
    for (let oi = 0; oi < o; oi++) {
      for (let t = 0; t < k; t++) {
        const pos = oi * s - pb + t * dil;
        const own = pos >= 0 && pos < size ? pos * inStride : pos >= -pb && pos < size + pe ? PAD : OUTSIDE;
        for (let p = 0; p < P; p++) {
          const dst = (oi * P + p) * K2 + t * K;
          const src = p * K;
          for (let kk = 0; kk < K; kk++) {
            const inner = table[src + kk];
            next[dst + kk] = own === OUTSIDE || inner === OUTSIDE ? OUTSIDE : own === PAD || inner === PAD ? PAD : own + inner;
          }
        }
      }
    }
    table = next;
    P *= o;
    K *= k;
    inStride *= size;
  }
  return { outSpatial, S: inStride, P, K, table };
}

/** Clamps to [lo, hi]. */
export function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}
