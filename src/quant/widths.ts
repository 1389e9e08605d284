/**
 * Per-layer bit-widths as data: which width each quantized layer's weights and activations use.
 * The quantizer reads a `WidthPlan` (src/quant/lower-context.ts); `--bits` fills it uniformly
 * and a later per-layer search may set entries per node. A layer's activation width is the width
 * of the activation it writes.
 */
import { CompileError, ErrorCode } from '../errors.js';

/** The widths of one layer. */
export interface LayerWidths {
  /** Bits of its weights (Conv, depthwise Conv, fully connected). */
  weightBits: 4 | 8;
  /** Bits of the activation it writes. */
  activationBits: 8;
}

/** The named uniform choices of `--bits`. */
export const BITS_PRESETS = {
  w8a8: { weightBits: 8, activationBits: 8 },
  w4a8: { weightBits: 4, activationBits: 8 },
} as const satisfies Record<string, LayerWidths>;

export type BitsPreset = keyof typeof BITS_PRESETS;

/** The widths of every layer: `perNode` (keyed by the float graph's node names) overrides
 * `uniform`. */
export interface WidthPlan {
  uniform: LayerWidths;
  perNode?: ReadonlyMap<string, LayerWidths>;
}

/** The plan of today's default (int8 weights and activations). */
export const DEFAULT_WIDTHS: WidthPlan = { uniform: BITS_PRESETS.w8a8 };

/** The widths the plan gives node `name`. */
export function widthsOf(plan: WidthPlan, name: string): LayerWidths {
  return plan.perNode?.get(name) ?? plan.uniform;
}

/** The widths qgc recognizes but has no kernels for yet (named so the error says so). */
const NOT_YET: Readonly<Record<string, string>> = {
  w8a16: 'int16 activations are not implemented yet in the quantizer and the backends (the interpreter\'s QConv/QFullyConnected run them: CMSIS-NN\'s _s16 arithmetic)',
  auto: 'the per-layer search under --max-flash/--max-ram/--max-latency is not implemented yet',
};

/** Parses `--bits` (w8a8, w4a8) into a uniform plan. */
export function parseBits(text: string | undefined): WidthPlan {
  const key = (text ?? 'w8a8').toLowerCase();
  if (Object.hasOwn(BITS_PRESETS, key)) return { uniform: BITS_PRESETS[key as BitsPreset] };
  const known = Object.keys(BITS_PRESETS).join(', ');
  if (Object.hasOwn(NOT_YET, key)) {
    throw new CompileError(ErrorCode.BadInput, `--bits ${text}: ${NOT_YET[key]}`, {}, `Use one of: ${known}.`);
  }
  throw new CompileError(ErrorCode.BadInput, `--bits '${text}' is unknown`, {}, `Use one of: ${known} (w<weight bits>a<activation bits>).`);
}
