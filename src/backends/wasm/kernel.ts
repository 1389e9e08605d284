/**
 * What a Wasm kernel is: a provider row (src/schedule/provider.ts: layouts, storage types, the
 * kernel's name and scratch bytes per node) plus `build`, which writes the step's function body
 * with every bound, stride, offset and multiplier as a constant.
 */
import type { OpName } from '../../ir/ops.js';
import type { KernelProvider, OpKernel } from '../../schedule/provider.js';
import type { CopyStep, NodeStep, ScheduledTensor } from '../../schedule/types.js';
import type { ConstPool } from './consts.js';
import type { Expr, Fn } from './fn.js';

/** What a kernel's builder gets for one step. */
export interface BuildContext {
  f: Fn;
  /** Absolute address of a tensor's bytes in linear memory. */
  addr(t: ScheduledTensor): number;
  /** Absolute address of the step's scratch buffer (0 when it has none). */
  scratch: number;
  consts: ConstPool;
}

/** One op of the Wasm provider. */
export interface WasmKernel extends OpKernel {
  build(step: NodeStep, ctx: BuildContext): Expr[];
}

export type WasmKernelTable = Partial<Record<OpName, WasmKernel>>;

/** The Wasm kernel provider. */
export interface WasmProvider extends KernelProvider {
  readonly name: 'wasm';
  readonly kernels: WasmKernelTable;
  buildCopy(step: CopyStep, ctx: BuildContext): Expr[];
}
