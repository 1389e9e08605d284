/**
 * The target-independent schedule: what every backend needs to know about a quantized graph at
 * run time. Which tensors exist, in which physical layout and storage type, in which order they
 * are computed (steps, with the kernel each step runs), and where each lives in one arena.
 * Nothing here knows the language a backend writes.
 */
import type { Node, Tensor } from '../ir/graph.js';
import type { Layout, StridedCopy } from './layout.js';
import type { MemoryPlan } from './memory-plan.js';

/** How a tensor's elements are stored: int4 packs two elements per byte (low nibble first, as
 * CMSIS-NN's `_s4` kernels read them); float32 holds the tensors of nodes kept in float. */
export type StorageDType = 'int8' | 'int4' | 'int16' | 'int32' | 'float32';

/** How a quantized IR tensor is stored: by its bit-width (QuantParams.bits), else its dtype;
 * undefined for anything that is neither an integer activation type nor float32. */
export function storageTypeOf(t: { dtype: string; quant?: { bits: number } }): StorageDType | undefined {
  if (t.dtype === 'float32' && !t.quant) return 'float32';
  const bits = t.quant?.bits ?? ({ int8: 8, int16: 16, int32: 32, int4: 4 } as Record<string, number | undefined>)[t.dtype];
  return bits === 4 ? 'int4' : bits === 8 ? 'int8' : bits === 16 ? 'int16' : bits === 32 ? 'int32' : undefined;
}

/** Bytes of `elements` values of `dtype`. */
export function storageBytes(dtype: StorageDType, elements: number): number {
  switch (dtype) {
    case 'int4': return Math.ceil(elements / 2);
    case 'int8': return elements;
    case 'int16': return elements * 2;
    case 'int32': return elements * 4;
    case 'float32': return elements * 4;
  }
}

/** A region of the arena: one per produced tensor (views and in-place outputs share it) and one
 * per kernel scratch buffer. `first`/`last` are step indices (inclusive). */
export interface Storage {
  id: number;
  bytes: number;
  first: number;
  last: number;
  kind: 'tensor' | 'scratch';
  /** Required byte alignment of the offset. */
  align: number;
  /** The IR tensor (or step) it was made for, for comments and the report. */
  label: string;
}

/** A tensor of the schedule: an IR activation in a physical layout over a storage. */
export interface ScheduledTensor {
  name: string;
  shape: readonly number[];
  dtype: StorageDType;
  layout: Layout;
  storage: Storage;
  /** The quantization of an integer tensor (real = scale * (q - zeroPoint)); 1 and 0 for float32. */
  scale: number;
  zeroPoint: number;
}

/** What a kernel provider chose for one step. */
export interface KernelChoice {
  /** The function(s) the step runs, for comments, the report and the backend's templates. */
  kernel: string;
  /** Arena bytes of the kernel's scratch buffer (0: none). */
  scratchBytes: number;
}

/** A kernel run for one IR node. `consts` are the node's constant inputs (weights, bias). */
export interface NodeStep {
  kind: 'node';
  index: number;
  node: Node;
  inputs: ScheduledTensor[];
  consts: (Tensor | undefined)[];
  output: ScheduledTensor;
  /** True when the output is written over an input's bytes. */
  inPlace: boolean;
  choice: KernelChoice;
  /** The scratch buffer's storage (when `choice.scratchBytes > 0`). */
  scratch?: Storage;
}

/** A strided copy between layouts (inserted where a kernel reads another layout). */
export interface CopyStep {
  kind: 'copy';
  index: number;
  src: ScheduledTensor;
  dst: ScheduledTensor;
  copy: StridedCopy;
  why: string;
  choice: KernelChoice;
}

export type Step = NodeStep | CopyStep;

/** One graph input or output at the API: the int8 tensor in the arena, and the model's side. */
export interface Boundary {
  tensor: ScheduledTensor;
  /** The model's tensor name at the API (the float tensor when there is a Quantize/Dequantize). */
  apiName: string;
  /** Logical (ONNX) shape; the API buffers are in this order. */
  shape: readonly number[];
  /** For the float API: real = scale * (q - zeroPoint). */
  scale: number;
  zeroPoint: number;
  /** API order ↔ arena bytes (into the arena for inputs, out of it for outputs). */
  copy: StridedCopy;
}

export interface Schedule {
  /** Steps 1..n in order. Step 0 copies the inputs in, step n + 1 the outputs out. */
  steps: Step[];
  storages: Storage[];
  inputs: Boundary[];
  outputs: Boundary[];
  plan: MemoryPlan;
  /** The kernel provider that chose the kernels. */
  provider: string;
}

/** The tensor a step writes. */
export function stepOutput(step: Step): ScheduledTensor {
  return step.kind === 'node' ? step.output : step.dst;
}

/** The tensors a step reads. */
export function stepInputs(step: Step): ScheduledTensor[] {
  return step.kind === 'node' ? step.inputs : [step.src];
}
