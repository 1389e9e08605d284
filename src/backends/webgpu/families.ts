/**
 * The uniform parameters of each shader family, in the order of its `Params` struct (every
 * field an i32). The first four are common: `main` (templates/wgsl/partials/main.wgsl.hbs)
 * reads them. A family's template names its own fields as `p.<field>`; the TypeScript side
 * fills them by name (src/backends/webgpu/kernels/), so a field missing on either side is a
 * compile error of the shader or a thrown Error here, never a silent zero.
 */
import type { Family } from './kernel.js';

/** Fields of every family: output words and elements per sample, the output's byte offset,
 * and the words of one sample's arena slice. */
export const COMMON_FIELDS = ['words', 'count', 'outByte', 'sampleWords'] as const;

const WINDOW = ['inByte', 'H', 'W', 'C', 'OH', 'OW', 'KH', 'KW', 'SH', 'SW', 'PH', 'PW', 'DH', 'DW'] as const;

export const FAMILY_FIELDS = {
  linear: [...WINDOW, 'M', 'Mg', 'Cg', 'chunks', 'quad', 'depthwise', 'dwWord', 'wWord', 'recWord', 'inputZeroPoint', 'outputZeroPoint', 'actMin', 'actMax'],
  pool: [...WINDOW, 'average', 'actMin', 'actMax'],
  add: ['in1Byte', 'in2Byte', 'leftShift', 'zeroPoint1', 'multiplier1', 'shift1', 'zeroPoint2', 'multiplier2', 'shift2',
    'outputMultiplier', 'outputShift', 'outputZeroPoint', 'actMin', 'actMax'],
  clamp: ['inByte', 'actMin', 'actMax'],
  softmax: ['inByte', 'rowSize', 'multiplier', 'shift', 'diffMin'],
  gather: ['srcByte', 'rank', 'dimsWord', 'mapWord', 'mapWords', 'fill'],
  concat: ['tableWord', 'recWord', 'outputZeroPoint'],
} as const satisfies Record<Family, readonly string[]>;

/** Families whose shader has a dot product (and so a packed_4x8_integer_dot_product variant). */
export const DOT_FAMILIES: ReadonlySet<Family> = new Set<Family>(['linear']);

/** All fields of a family's Params struct, in order. */
export function fieldsOf(family: Family): readonly string[] {
  return [...COMMON_FIELDS, ...FAMILY_FIELDS[family]];
}

/** The Params words of a step: the common values and the family's, in struct order. */
export function paramWords(family: Family, common: Record<(typeof COMMON_FIELDS)[number], number>, values: Record<string, number>): Int32Array {
  const all: Record<string, number> = { ...common, ...values };
  const extra = Object.keys(values).filter((k) => !(FAMILY_FIELDS[family] as readonly string[]).includes(k));
  if (extra.length) throw new Error(`${family} parameters have no field ${extra.join(', ')}`);
  return Int32Array.from(fieldsOf(family), (f) => {
    const v = all[f];
    if (v === undefined || !Number.isInteger(v) || v < -(2 ** 31) || v >= 2 ** 31) throw new Error(`${family} parameter ${f} is ${v}, not an int32`);
    return v;
  });
}
