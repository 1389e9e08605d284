/** ONNX node conformance cases of claimed ops that qgc deliberately does not handle, with why.
 * One row per reason; a row names its cases exactly or by a pattern over the case name, and
 * may be limited to one case set. The conformance test fails if a case a row names starts
 * passing, if a row names no failing case (so the list stays honest), or if any other case of
 * a claimed op fails. */
import type { CaseSet } from './conformance.js';

export interface ScopeRow {
  /** Case names, or a pattern over them. */
  cases: readonly string[] | RegExp;
  reason: string;
  /** The sets the row applies to (default: both). */
  sets?: readonly CaseSet['id'][];
}

const training = (op: string) => `training-mode ${op} (random, or updating running statistics); qgc compiles inference graphs`;

export const OUT_OF_SCOPE: readonly ScopeRow[] = [
  { cases: ['test_batchnorm_epsilon_training_mode', 'test_batchnorm_example_training_mode'], reason: training('BatchNormalization') },
  { cases: /^test_training_dropout(_default)?(_mask)?$/, reason: training('Dropout with ratio > 0') },
  { cases: /BFLOAT16/, reason: 'bfloat16 is not an IR dtype (no microcontroller or WebGPU kernel uses it)' },
  { cases: /_STRING(_|$)/, reason: 'string tensors are not an IR dtype' },
  { cases: /FLOAT8E4M3FN|FLOAT8E5M2|_e4m3fn|_e5m2/, reason: 'float8 (e4m3fn, e4m3fnuz, e5m2, e5m2fnuz) is not an IR dtype (opset 19 types; no integer kernel uses them)' },
  { cases: /FLOAT4E2M1|float4e2m1/, reason: 'float4e2m1 is not an IR dtype (opset 23 type)' },
  { cases: /FLOAT8E8M0|_e8m0_/, reason: 'float8e8m0 is not an IR dtype (opset 24 type, a scale format for microscaling)' },
  { cases: /(^|_)U?INT2(_|$)|_u?int2$/, reason: 'int2/uint2 are not IR dtypes (opset 25 types; CMSIS-NN has no 2-bit kernels)' },
  { cases: ['test_equal_string', 'test_equal_string_broadcast'], sets: ['onnx-1.23'], reason: 'string tensors are not an IR dtype' },
  { cases: ['test_range_bfloat16_type_positive_delta'], sets: ['onnx-1.23'], reason: 'bfloat16 is not an IR dtype (no microcontroller or WebGPU kernel uses it)' },
  { cases: /^test_resize_.*cubic/, reason: "Resize mode 'cubic' is not implemented (the small CNNs qgc targets upsample by nearest or linear; no int8 kernel does cubic)" },
  { cases: /^test_resize_tf_crop_and_resize/, reason: "Resize's tf_crop_and_resize (a region of interest and an extrapolation value) is not implemented; it comes only from TensorFlow's crop_and_resize" },
  {
    cases: ['test_resize_downsample_scales_linear_antialias', 'test_resize_downsample_sizes_linear_antialias'],
    sets: ['onnx-1.23'],
    reason: "antialiased linear downsampling (Resize opset 18's antialias = 1) is not implemented; torch exports antialias only when asked (interpolate(antialias=True))",
  },
  {
    cases: [
      'test_center_crop_pad_crop_and_pad_expanded', 'test_center_crop_pad_crop_axes_chw_expanded', 'test_center_crop_pad_crop_axes_hwc_expanded',
      'test_center_crop_pad_crop_expanded', 'test_center_crop_pad_crop_negative_axes_hwc_expanded', 'test_center_crop_pad_pad_expanded',
    ],
    sets: ['onnx-1.23'],
    reason: "CenterCropPad's function body computes Pad's pads and Slice's starts from the target shape, a graph input (data, not a constant); qgc compiles static shapes",
  },
  { cases: ['test_identity_opt'], reason: 'optional-typed input (not a tensor)' },
  { cases: ['test_identity_sequence'], reason: 'sequence-typed input (not a tensor)' },
  {
    cases: ['test_maxpool_with_argmax_2d_precomputed_pads', 'test_maxpool_with_argmax_2d_precomputed_strides'],
    reason: "MaxPool's Indices output (argmax) is not produced; inference models do not use it",
  },
  {
    cases: [
      'test_cast_FLOAT16_to_INT4', 'test_cast_FLOAT16_to_UINT4', 'test_cast_FLOAT_to_INT4', 'test_cast_FLOAT_to_UINT4',
      'test_castlike_FLOAT16_to_INT4_expanded', 'test_castlike_FLOAT16_to_UINT4_expanded',
      'test_castlike_FLOAT_to_INT4_expanded', 'test_castlike_FLOAT_to_UINT4_expanded',
    ],
    sets: ['onnx-1.23'],
    reason: 'float → int4/uint4 out of range is undefined in the Cast spec; onnx 1.23 wraps modulo 16 (-9 → 7), qgc saturates as it does for every float → integer cast (the in-range elements agree)',
  },
];

/** The reason `name` of `set` is out of scope, or undefined. */
export function outOfScope(set: CaseSet['id'], name: string): string | undefined {
  return scopeRow(set, name)?.reason;
}

/** The row that puts `name` of `set` out of scope, or undefined. */
export function scopeRow(set: CaseSet['id'], name: string): ScopeRow | undefined {
  return OUT_OF_SCOPE.find((r) => (!r.sets || r.sets.includes(set)) && (r.cases instanceof RegExp ? r.cases.test(name) : r.cases.includes(name)));
}
