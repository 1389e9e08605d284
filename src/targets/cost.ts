/** The per-layer cost model every target kind has: a layer costs about perCallOverhead +
 * perMac * MACs + perOutput * output elements, in the model's unit. The bit-width search and
 * the reports read it; kinds add their own dispatch coefficients next to it (mcu.ts). */
import type { Validator } from './validate.js';

export type KernelFamily = 'conv' | 'depthwiseConv' | 'fullyConnected';
export type KernelWidth = 's8' | 's4' | 's16';
export type ElementOp = 'add' | 'mul' | 'maxPool' | 'avgPool' | 'softmax' | 'relu';
export type CostUnit = 'instructions' | 'cycles' | 'nanoseconds';

export const KERNEL_FAMILIES: readonly KernelFamily[] = ['conv', 'depthwiseConv', 'fullyConnected'];
export const KERNEL_WIDTHS: readonly KernelWidth[] = ['s8', 's4', 's16'];
export const ELEMENT_OPS: readonly ElementOp[] = ['add', 'mul', 'maxPool', 'avgPool', 'softmax', 'relu'];

/** A layer-cost model in unit `U`. */
export interface LayerCostModel<U extends CostUnit = CostUnit> {
  /** What the numbers count: executed instructions (what QEMU counts), cycles, or wall time. */
  unit: U;
  /** 'estimate' until someone measures it; 'measured' after. */
  source: 'estimate' | 'measured';
  note: string;
  /** Fixed cost of one kernel call (argument checks, loop setup; a dispatch on a GPU). */
  perCallOverhead: number;
  /** Marginal cost per multiply-accumulate, per kernel family and operand width. */
  perMac: Record<KernelFamily, Record<KernelWidth, number>>;
  /** Cost per output element (requantization, loop overhead), per kernel family and width. */
  perOutput: Record<KernelFamily, Record<KernelWidth, number>>;
  /** Cost per output element (pooling: per window element) of the non-MAC ops. */
  perElement: Record<ElementOp, number>;
}

/** Reads the layer-cost fields of `cost` (at `path`), whose unit must be one of `units`. */
export function parseLayerCost<U extends CostUnit>(v: Validator, cost: Record<string, unknown>, path: string, units: readonly U[]): LayerCostModel<U> {
  const perMac = v.object(cost.perMac, `${path}.perMac`);
  const perOutput = v.object(cost.perOutput, `${path}.perOutput`);
  const perElement = v.object(cost.perElement, `${path}.perElement`);
  const table = (o: Record<string, unknown>, name: string, read: (x: unknown, p: string) => number) =>
    Object.fromEntries(KERNEL_FAMILIES.map((f) => {
      const row = v.object(o[f], `${path}.${name}.${f}`);
      return [f, Object.fromEntries(KERNEL_WIDTHS.map((w) => [w, read(row[w], `${path}.${name}.${f}.${w}`)]))];
    })) as Record<KernelFamily, Record<KernelWidth, number>>;
  return {
    unit: v.oneOf(cost.unit, `${path}.unit`, units),
    source: v.oneOf(cost.source, `${path}.source`, ['estimate', 'measured'] as const),
    note: v.string(cost.note, `${path}.note`),
    perCallOverhead: v.nonNegative(cost.perCallOverhead, `${path}.perCallOverhead`),
    perMac: table(perMac, 'perMac', (x, p) => v.positive(x, p)),
    perOutput: table(perOutput, 'perOutput', (x, p) => v.nonNegative(x, p)),
    perElement: Object.fromEntries(ELEMENT_OPS.map((op) => [op, v.positive(perElement[op], `${path}.perElement.${op}`)])) as Record<ElementOp, number>,
  };
}

/**
 * The cost model's estimate for one layer: perCallOverhead + perMac * macs + perOutput * outputs,
 * in the model's unit (instructions for the Cortex-M targets).
 */
export function layerCost(target: { costModel: LayerCostModel }, family: KernelFamily, width: KernelWidth, macs: number, outputs: number): number {
  const m = target.costModel;
  return m.perCallOverhead + m.perMac[family][width] * macs + m.perOutput[family][width] * outputs;
}

/** Which bit-widths a target's kernels take. */
export interface KernelBits {
  weightBits: number[];
  activationBits: number[];
}

/** Reads `kernels.weightBits` / `kernels.activationBits` (4, 8, 16 / 8, 16). */
export function parseKernelBits(v: Validator, kernels: Record<string, unknown>): KernelBits {
  const weightBits = v.numberArray(kernels.weightBits, 'kernels.weightBits');
  const activationBits = v.numberArray(kernels.activationBits, 'kernels.activationBits');
  v.allIn(weightBits, 'kernels.weightBits', [4, 8, 16]);
  v.allIn(activationBits, 'kernels.activationBits', [8, 16]);
  return { weightBits, activationBits };
}
