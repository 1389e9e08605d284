/** What each ONNX opset (1 to 28) changed in the ops qgc imports, as data.
 *
 * Read from onnx 1.23.1's operator schemas (`onnx.defs.get_schema(op, v)`, docs/Changelog.md).
 * An op's schema at opset N is the one with the greatest since-version <= N. Versions 22..28
 * of the claimed ops only widen the element types (bfloat16, float8, float4, float6, int2/uint2,
 * which qgc refuses where a tensor carries them, see `NEWER_ELEMENT_TYPES`), except for the
 * attributes listed in `attrs`: one added by a version newer than the model's opset is refused
 * (ONNX does not define it there), and one whose meaning qgc implements only for some values
 * is refused for the others, naming the opset and the attribute. `checkOpsetFacts` (called by
 * the importer for every node, before the op's own importer) applies the table. */
import { ErrorCode } from '../errors.js';
import type { CompileError } from '../errors.js';
import type { Tensor } from '../ir/graph.js';
import type { AttrReader } from './attrs.js';

/** Lowest default-domain opset qgc imports. */
export const MIN_OPSET = 1;
/** Highest default-domain opset qgc imports (onnx 1.23's newest). */
export const MAX_OPSET = 28;

/** Highest opset for an op that has an importer but no row in `OP_FACTS`. */
export const UNCHECKED_MAX_OPSET = 21;

/** An attribute that appeared in a later version of an op, or whose values qgc implements only in part. */
export interface AttrFact {
  /** First opset whose schema of the op defines the attribute. */
  since: number;
  /** The attribute's kind, to read its value. */
  kind: 'int' | 'string';
  /** Whether qgc implements this value (given the node's inputs); absent: the op's importer decides. */
  implemented?: (value: number | string, inputs: readonly (Tensor | undefined)[]) => boolean;
  /** What qgc implements, for the error when `implemented` says no. */
  supported?: string;
}

/** One op's version history as far as qgc depends on it. */
export interface OpFacts {
  /** since_version of each of the op's schemas up to opset 28, ascending. */
  versions: readonly number[];
  /** For each version after 21: what changed (all accepted, unless `attrs` says otherwise). */
  changes?: Readonly<Record<number, string>>;
  attrs?: Readonly<Record<string, AttrFact>>;
}

const BF16 = 'adds bfloat16 (not an IR dtype)';
const NEW_TYPES = 'adds element types only (float8/float4/int2 and the like, not IR dtypes)';

/** ONNX element-type codes (TensorProto.DataType) of the float types qgc holds. */
const FLOAT_CODE: Readonly<Record<string, number>> = { float32: 1, float16: 10, float64: 11 };

/** True when `code` is 0 (unset) or names the dtype of input `i` (the default the attribute overrides). */
const sameAsInput = (i: number) => (value: number | string, inputs: readonly (Tensor | undefined)[]): boolean => {
  const t = inputs[i];
  return value === 0 || (t !== undefined && FLOAT_CODE[t.dtype] === value);
};

/** The claimed ops' version facts (keys: ONNX op types). */
export const OP_FACTS: Readonly<Record<string, OpFacts>> = {
  Add: { versions: [1, 6, 7, 13, 14] },
  Sub: { versions: [1, 6, 7, 13, 14] },
  Mul: { versions: [1, 6, 7, 13, 14] },
  Div: { versions: [1, 6, 7, 13, 14] },
  AveragePool: { versions: [1, 7, 10, 11, 19, 22], changes: { 22: BF16 }, attrs: { dilations: { since: 19, kind: 'int' } } },
  BatchNormalization: { versions: [1, 6, 7, 9, 14, 15], attrs: { training_mode: { since: 14, kind: 'int' } } },
  Cast: {
    versions: [1, 6, 9, 13, 19, 21, 23, 24, 25, 28],
    changes: { 23: 'adds float4e2m1', 24: 'adds float8e8m0 and round_mode', 25: 'adds int2/uint2', 28: 'adds float6' },
    attrs: {
      saturate: { since: 19, kind: 'int' },
      // Only casts to float8e8m0 round by it; qgc has no such dtype, so every valid value means the same.
      round_mode: { since: 24, kind: 'string', implemented: (v) => v === 'up' || v === 'down' || v === 'nearest', supported: "'up', 'down' or 'nearest'" },
    },
  },
  Clip: { versions: [1, 6, 11, 12, 13] },
  Concat: { versions: [1, 4, 11, 13] },
  Constant: { versions: [1, 9, 11, 12, 13, 19, 21, 23, 24, 25], changes: { 23: NEW_TYPES, 24: NEW_TYPES, 25: NEW_TYPES } },
  Conv: { versions: [1, 11, 22], changes: { 22: BF16 } },
  ConvInteger: { versions: [10] },
  DequantizeLinear: {
    versions: [10, 13, 19, 21, 23, 24, 25, 28],
    changes: { 23: 'adds output_dtype and float4e2m1', 24: 'adds float8e8m0 scales', 25: 'adds int2/uint2', 28: 'adds float6' },
    attrs: {
      block_size: { since: 21, kind: 'int' },
      // The output type (and the multiplication's precision); qgc computes in the scale's type.
      output_dtype: { since: 23, kind: 'int', implemented: sameAsInput(1), supported: "0 (unset) or x_scale's own type" },
    },
  },
  Dropout: { versions: [1, 6, 7, 10, 12, 13, 22], changes: { 22: 'adds bfloat16 and float8' } },
  Flatten: { versions: [1, 9, 11, 13, 21, 23, 24, 25], changes: { 23: NEW_TYPES, 24: NEW_TYPES, 25: NEW_TYPES } },
  Gather: { versions: [1, 11, 13] },
  Gemm: { versions: [1, 6, 7, 9, 11, 13] },
  GlobalAveragePool: { versions: [1, 22], changes: { 22: BF16 } },
  HardSigmoid: { versions: [1, 6, 22], changes: { 22: BF16 } },
  HardSwish: { versions: [14, 22], changes: { 22: BF16 } },
  Identity: { versions: [1, 13, 14, 16, 19, 21, 23, 24, 25], changes: { 23: NEW_TYPES, 24: NEW_TYPES, 25: NEW_TYPES } },
  LeakyRelu: { versions: [1, 6, 16] },
  MatMul: { versions: [1, 9, 13] },
  MatMulInteger: { versions: [10] },
  MaxPool: { versions: [1, 8, 10, 11, 12, 22], changes: { 22: BF16 } },
  Pad: { versions: [1, 2, 11, 13, 18, 19, 21, 23, 24, 25], changes: { 23: NEW_TYPES, 24: NEW_TYPES, 25: NEW_TYPES } },
  QLinearConv: { versions: [10] },
  QLinearMatMul: { versions: [10, 21] },
  QuantizeLinear: {
    versions: [10, 13, 19, 21, 23, 24, 25, 28],
    changes: { 23: 'adds precision and float4e2m1', 24: 'adds float8e8m0 scales', 25: 'adds int2/uint2', 28: 'adds float6' },
    attrs: {
      saturate: { since: 19, kind: 'int' },
      block_size: { since: 21, kind: 'int' },
      output_dtype: { since: 21, kind: 'int' },
      // The type x / y_scale is computed in; qgc divides in the scale's type (the default).
      precision: { since: 23, kind: 'int', implemented: sameAsInput(1), supported: "0 (unset) or y_scale's own type" },
    },
  },
  Relu: { versions: [1, 6, 13, 14] },
  Reshape: { versions: [1, 5, 13, 14, 19, 21, 23, 24, 25], changes: { 23: NEW_TYPES, 24: NEW_TYPES, 25: NEW_TYPES }, attrs: { allowzero: { since: 14, kind: 'int' } } },
  Shape: {
    versions: [1, 13, 15, 19, 21, 23, 24, 25],
    changes: { 23: NEW_TYPES, 24: NEW_TYPES, 25: NEW_TYPES },
    attrs: { start: { since: 15, kind: 'int' }, end: { since: 15, kind: 'int' } },
  },
  Sigmoid: { versions: [1, 6, 13] },
  Softmax: { versions: [1, 11, 13] },
  Squeeze: { versions: [1, 11, 13, 21, 23, 24, 25], changes: { 23: NEW_TYPES, 24: NEW_TYPES, 25: NEW_TYPES } },
  Tanh: { versions: [1, 6, 13] },
  Transpose: { versions: [1, 13, 21, 23, 24, 25], changes: { 23: NEW_TYPES, 24: NEW_TYPES, 25: NEW_TYPES } },
  Unsqueeze: { versions: [1, 11, 13, 21, 23, 24, 25], changes: { 23: NEW_TYPES, 24: NEW_TYPES, 25: NEW_TYPES } },
  // Float-only ops of real small networks (no int8 form yet).
  Abs: { versions: [1, 6, 13] },
  Neg: { versions: [1, 6, 13] },
  Exp: { versions: [1, 6, 13] },
  Log: { versions: [1, 6, 13] },
  Sqrt: { versions: [1, 6, 13] },
  Pow: { versions: [1, 7, 12, 13, 15] },
  Reciprocal: { versions: [1, 6, 13] },
  Erf: { versions: [9, 13] },
  Gelu: { versions: [20] },
  PRelu: { versions: [1, 6, 7, 9, 16] },
  Softplus: { versions: [1, 22], changes: { 22: BF16 } },
  Max: { versions: [1, 6, 8, 12, 13] },
  Min: { versions: [1, 6, 8, 12, 13] },
  ReduceMean: { versions: [1, 11, 13, 18], attrs: { noop_with_empty_axes: { since: 18, kind: 'int' } } },
  ReduceMax: { versions: [1, 11, 12, 13, 18, 20], attrs: { noop_with_empty_axes: { since: 18, kind: 'int' } } },
  ReduceMin: { versions: [1, 11, 12, 13, 18, 20], attrs: { noop_with_empty_axes: { since: 18, kind: 'int' } } },
  ReduceSum: { versions: [1, 11, 13], attrs: { noop_with_empty_axes: { since: 13, kind: 'int' } } },
  ReduceL2: { versions: [1, 11, 13, 18], attrs: { noop_with_empty_axes: { since: 18, kind: 'int' } } },
  GlobalMaxPool: { versions: [1, 22], changes: { 22: BF16 } },
  LayerNormalization: { versions: [17] },
  Where: { versions: [9, 16] },
  Equal: { versions: [1, 7, 11, 13, 19] },
  Greater: { versions: [1, 7, 9, 13] },
  Slice: { versions: [1, 10, 11, 13] },
  Split: { versions: [1, 2, 11, 13, 18], attrs: { num_outputs: { since: 18, kind: 'int' } } },
  Expand: { versions: [8, 13] },
  Tile: { versions: [1, 6, 13] },
  Resize: {
    versions: [10, 11, 13, 18, 19],
    // Only `since` is checked for these (no `implemented`), so `kind` is not read; the importer refuses the values it lacks.
    attrs: {
      coordinate_transformation_mode: { since: 11, kind: 'string' },
      nearest_mode: { since: 11, kind: 'string' },
      cubic_coeff_a: { since: 11, kind: 'int' },
      exclude_outside: { since: 11, kind: 'int' },
      extrapolation_value: { since: 11, kind: 'int' },
      antialias: { since: 18, kind: 'int' },
      axes: { since: 18, kind: 'int' },
      keep_aspect_ratio_policy: { since: 18, kind: 'string' },
    },
  },
  DepthToSpace: { versions: [1, 11, 13, 28], changes: { 28: 'no type or attribute change (re-versioned with SpaceToDepth, whose mode it already had)' }, attrs: { mode: { since: 11, kind: 'string' } } },
  SpaceToDepth: { versions: [1, 13, 28], changes: { 28: 'adds mode (DCR or CRD, as DepthToSpace)' }, attrs: { mode: { since: 28, kind: 'string' } } },
  ConvTranspose: { versions: [1, 11, 22], changes: { 22: BF16 } },
  ConstantOfShape: { versions: [9, 20, 21, 23, 24, 25], changes: { 23: NEW_TYPES, 24: NEW_TYPES, 25: NEW_TYPES } },
  Range: { versions: [11, 27], changes: { 27: 'adds float16/bfloat16 and stash_type (float16 is computed in float64, rounded once)' }, attrs: { stash_type: { since: 27, kind: 'int' } } },
  Size: { versions: [1, 13, 19, 21, 23, 24, 25], changes: { 23: NEW_TYPES, 24: NEW_TYPES, 25: NEW_TYPES } },
};

/** Element types of ONNX 1.16+ that qgc has no dtype for, with the opset that introduced them
 * (the older ones, bfloat16 and float8, have names in the bundled onnx.proto). */
export const NEWER_ELEMENT_TYPES: Readonly<Record<number, { name: string; opset: number }>> = {
  23: { name: 'FLOAT4E2M1', opset: 23 },
  24: { name: 'FLOAT8E8M0', opset: 24 },
  25: { name: 'UINT2', opset: 25 },
  26: { name: 'INT2', opset: 25 },
  27: { name: 'FLOAT6E2M3', opset: 28 },
  28: { name: 'FLOAT6E3M2', opset: 28 },
};

/** The schema version of `op` in effect at `opset` (undefined: the op is not in the table, or not yet defined). */
export function schemaVersion(op: string, opset: number): number | undefined {
  const facts = OP_FACTS[op];
  if (!facts) return undefined;
  let v: number | undefined;
  for (const s of facts.versions) if (s <= opset) v = s;
  return v;
}

/** What `checkOpsetFacts` needs of the node being imported. */
export interface OpsetCheckContext {
  opType: string;
  opset: number;
  attrs: AttrReader;
  inputs: readonly (Tensor | undefined)[];
  error(code: (typeof ErrorCode)[keyof typeof ErrorCode], message: string, hint?: string): CompileError;
}

/** Refuses what the table says the model's opset does not define, or qgc does not implement:
 * an op before its first version, an attribute before the version that added it, an
 * attribute value qgc does not implement. An op outside the table is taken up to opset 21 only
 * (`UNCHECKED_MAX_OPSET`), the range its importer was written for. */
export function checkOpsetFacts(ctx: OpsetCheckContext): void {
  const facts = OP_FACTS[ctx.opType];
  if (!facts) {
    // An importer without a row here was checked against opsets up to 21 only.
    if (ctx.opset > UNCHECKED_MAX_OPSET) {
      throw ctx.error(ErrorCode.UnsupportedOpset, `${ctx.opType} at opset ${ctx.opset} is not supported (qgc's opset table has no row for it; it imports ${ctx.opType} up to opset ${UNCHECKED_MAX_OPSET})`,
        `Convert the model with onnx.version_converter.convert_version(model, ${UNCHECKED_MAX_OPSET}), or add ${ctx.opType}'s row to src/onnx/opsets.ts.`);
    }
    return;
  }
  if (schemaVersion(ctx.opType, ctx.opset) === undefined) {
    throw ctx.error(ErrorCode.UnsupportedOpset, `${ctx.opType} is not defined at opset ${ctx.opset} (ONNX adds it in opset ${facts.versions[0]})`,
      `The model is inconsistent; declare opset ${facts.versions[0]} or later (onnx.version_converter.convert_version).`);
  }
  for (const [name, fact] of Object.entries(facts.attrs ?? {})) {
    if (!ctx.attrs.has(name)) continue;
    if (ctx.opset < fact.since) {
      throw ctx.attrs.bad(name, `is not defined for ${ctx.opType} at opset ${ctx.opset} (ONNX adds it in opset ${fact.since})`,
        `Remove the attribute, or declare opset ${fact.since} or later.`);
    }
    if (!fact.implemented) continue;
    const value = fact.kind === 'int' ? ctx.attrs.int(name) : ctx.attrs.string(name);
    if (value !== undefined && !fact.implemented(value, ctx.inputs)) {
      throw ctx.attrs.bad(name, `= ${typeof value === 'string' ? `'${value}'` : value} (${ctx.opType}, opset ${ctx.opset}) is not implemented; qgc implements ${fact.supported ?? 'the default'}`,
        'Remove the attribute or re-export the model with its default.');
    }
  }
}
