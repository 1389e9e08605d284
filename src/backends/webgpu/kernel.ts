/**
 * What a WGSL kernel is: a provider row (src/schedule/provider.ts: layouts, storage types, the
 * kernel's name per node) plus `params`, which computes the step's numbers — the uniform
 * parameters of its family's shader and the constant words it adds (packed weights, records,
 * tables). Every kernel family is one shader (templates/wgsl/<family>.wgsl.hbs) that all steps
 * of that family share; a step differs only in its parameters.
 */
import type { OpName } from '../../ir/ops.js';
import type { KernelProvider, OpKernel } from '../../schedule/provider.js';
import type { CopyStep, NodeStep, ScheduledTensor } from '../../schedule/types.js';

/** The shader families, one template each. */
export type Family = 'linear' | 'pool' | 'add' | 'clamp' | 'softmax' | 'gather' | 'concat';

/** The constant words of a network (one read-only storage buffer), appended step by step. */
export class ConstWords {
  private readonly parts: Int32Array[] = [];
  private length = 0;

  /** Appends `words`; returns the index of the first. */
  add(words: Int32Array): number {
    const at = this.length;
    this.parts.push(words);
    this.length += words.length;
    return at;
  }

  get words(): number {
    return this.length;
  }

  /** The words as little-endian bytes (at least one word: WebGPU binds no empty buffer). */
  bytes(): Uint8Array {
    const out = new Int32Array(Math.max(1, this.length));
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.length;
    }
    return new Uint8Array(out.buffer);
  }
}

/** What a kernel's `params` gets for one step. */
export interface ParamsContext {
  /** Byte offset of a tensor in the sample's arena. */
  offset(t: ScheduledTensor): number;
  consts: ConstWords;
}

/** One step's parameters: its family and the values of the family's own fields. */
export interface StepParams {
  family: Family;
  values: Record<string, number>;
}

/** One op of the WGSL provider. */
export interface WebgpuKernel extends OpKernel {
  params(step: NodeStep, ctx: ParamsContext): StepParams;
}

export type WebgpuKernelTable = Partial<Record<OpName, WebgpuKernel>>;

/** The WGSL kernel provider. */
export interface WebgpuProvider extends KernelProvider {
  readonly name: 'webgpu';
  readonly kernels: WebgpuKernelTable;
  copyParams(step: CopyStep, ctx: ParamsContext): StepParams;
}
