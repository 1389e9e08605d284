/** Runtime values and the kernel contract of the reference interpreter. */
import type { DType, TensorData } from '../ir/dtype.js';
import type { NodeOf } from '../ir/graph.js';
import type { OpName } from '../ir/ops.js';

/** A tensor value at run time: row-major data of `dtype` with a static shape. */
export interface Value {
  dtype: DType;
  shape: readonly number[];
  data: TensorData;
}

/** Computes one node's outputs from its input values (undefined: omitted optional input).
 * Kernels allocate their outputs and never modify their inputs. */
export type Kernel<K extends OpName> = (node: NodeOf<K>, inputs: readonly (Value | undefined)[]) => Value[];

export type KernelTable = { [K in OpName]: Kernel<K> };
