/**
 * The weight orders CMSIS-NN's kernels read (and qgc's portable kernels share): permutations of
 * the IR's ONNX-ordered weights, computed once at compile time.
 */
import { identity, permuteData } from '../../schedule/layout.js';

/** Conv weights OIHW (or OIL for 1-D) → OHWI, CMSIS-NN's filter layout for arm_convolve_*. */
export function weightsOHWI(w: Int8Array, shape: readonly number[]): Int8Array {
  return permuteData(w, shape, [0, ...identity(shape.length).slice(2), 1]);
}

/** Conv weights OIHW → OWHI (OIL → OLI for 1-D): [C_out, kW, kH, C_in], the (kx, ky, c) order
 * of the rows qgc_gather_rows_s8 builds. */
export function weightsOWHI(w: Int8Array, shape: readonly number[]): Int8Array {
  return permuteData(w, shape, shape.length === 4 ? [0, 3, 2, 1] : [0, ...identity(shape.length).slice(2), 1]);
}

/** Depthwise weights [C_out, 1, kH, kW] → [1, kH, kW, C_out], CMSIS-NN's depthwise layout. */
export function weightsDepthwise(w: Int8Array, shape: readonly number[]): Int8Array {
  return permuteData(w, shape, [1, ...identity(shape.length).slice(2), 0]);
}

