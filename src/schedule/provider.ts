/**
 * What a kernel provider declares, and the schedule asks: for each op it runs, the layout it
 * reads its activation inputs in and writes its output in, the storage types it takes, whether
 * it may write over an input, and (per node) which kernel runs it and how much scratch memory
 * that kernel needs. A backend (C on CMSIS-NN, C portable, Wasm, WGSL) is one such table plus its
 * renderer; the schedule never knows what the kernels are written in.
 */
import type { Node, Tensor } from '../ir/graph.js';
import type { OpName } from '../ir/ops.js';
import type { QuantizedOpAttrMap } from '../ir/qops.js';
import type { KernelChoice, ScheduledTensor, StorageDType } from './types.js';

/** Where a kernel wants an activation input's bytes. */
export type InputLayout =
  /** NHWC for rank ≥ 3 ([N,C,L] as [N,L,C]), row-major below. */
  | 'channels-last'
  | 'row-major'
  /** Every batch row of the [N, K] input occupies its own K consecutive bytes, in one internal
   * order shared by all rows (a fully connected layer reorders its weight columns to match). */
  | 'rows-contiguous'
  /** Any permutation of the logical shape, but not a reshaped view (e.g. Pad's index maps). */
  | 'canonical'
  /** The layout of the first activation input (elementwise ops over equal shapes). */
  | 'as-first-input'
  /** Broadcasting elementwise ops: as-first-input when every operand (constants included) has
   * the output's shape, else every activation in a canonical layout (see schedule/broadcast.ts). */
  | 'broadcast';

/** The layout a kernel writes its output in. */
export type OutputLayout =
  | 'channels-last'
  | 'row-major'
  /** The first input's layout (elementwise ops). */
  | 'as-first-input'
  /** The first input's dimension order over the output's shape (Pad). */
  | 'perm-of-first-input';

/** One node as the schedule asks about it: the activation inputs as they arrive (before any
 * layout copy) and the output's logical shape. */
export interface KernelQuery {
  node: Node;
  inputs: readonly ScheduledTensor[];
  /** The node's constant inputs after the activations (weights, bias); undefined where omitted. */
  consts: readonly (Tensor | undefined)[];
  outputShape: readonly number[];
}

/** A provider's declaration for one op. */
export interface OpKernel {
  inputLayout: InputLayout;
  outputLayout: OutputLayout;
  /** Storage types of the activation inputs and the output. */
  dtypes: readonly StorageDType[];
  /** A wish for channels-last bytes on the output passes to the first input (ops that keep
   * their input's layout: Pad, elementwise, concat); otherwise a channels-last `inputLayout` is
   * itself the wish (conv, pooling), which decides how graph inputs are stored. */
  passesLayout?: boolean;
  /** How a layout copy this kernel's inputs need is described (comments, report); default
   * `<op> reads NHWC` / `<op> reads row-major`. */
  copyReason?: string;
  /** The output may take over the storage of an input of the same size that dies at this step. */
  inPlace?: boolean;
  /** The kernel for this node and its scratch size; throws a CompileError naming the node when
   * the node's attributes or shapes are outside what the provider's kernels take. */
  choose(q: KernelQuery): KernelChoice;
}

/** The int8 ops every backend's provider must give a kernel: the quantized IR's compute ops
 * (src/ir/qops.ts, less the float boundary), Pad, and the copies Slice, DepthToSpace,
 * SpaceToDepth and nearest Resize. A provider's table is declared as
 * `satisfies Record<Int8Op, ...>`, so adding an op to the quantized IR makes every provider that
 * lacks a row for it a type error. */
export type Int8Op = Exclude<keyof QuantizedOpAttrMap, 'Quantize' | 'Dequantize'> | 'Pad' | 'Slice' | 'DepthToSpace' | 'SpaceToDepth'
  | 'Resize';

/** The ops a schedule steps through: every op but the views it resolves itself (Reshape,
 * Flatten, Squeeze, Unsqueeze, Identity, a Transpose of a plain layout) and the float boundary
 * (Quantize of a graph input, Dequantize of a graph output). Float ops (OpGroups.floatFallback)
 * and a Quantize/Dequantize inside the graph have rows where the backend runs float. */
export type KernelTable = Partial<Record<OpName, OpKernel>>;

/** A backend's kernel provider, as the schedule sees it. */
export interface KernelProvider {
  /** e.g. `cmsis-nn`. */
  readonly name: string;
  /** How error messages name the backend, e.g. `the C backend`. */
  readonly backend: string;
  readonly kernels: KernelTable;
  /** The kernel of layout copies (strided gathers). */
  readonly copyKernel: KernelChoice;
  /** A hint for ops without a kernel. */
  readonly unsupportedHint: string;
  /** A hint for float ops (nodes kept in float) without a kernel; default `unsupportedHint`. */
  readonly floatHint?: string;
  /** Byte alignment of every tensor's storage in the arena (default 1). A backend that writes
   * whole 32-bit words (WGSL) asks for 4, so no two tensors share a word. */
  readonly storageAlign?: number;
}
