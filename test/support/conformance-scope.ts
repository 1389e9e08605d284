/** ONNX node conformance cases of claimed ops that qgc deliberately does not handle, with why.
 * The conformance test fails if one of these starts passing (so the list stays honest) or if
 * any other case of a claimed op fails. */
export const OUT_OF_SCOPE: Record<string, string> = {
  test_batchnorm_epsilon_training_mode: 'training-mode BatchNormalization (running statistics update); qgc compiles inference graphs',
  test_batchnorm_example_training_mode: 'training-mode BatchNormalization (running statistics update); qgc compiles inference graphs',
  test_cast_BFLOAT16_to_FLOAT: 'bfloat16 is not an IR dtype (no microcontroller or WebGPU kernel uses it)',
  test_cast_FLOAT_to_BFLOAT16: 'bfloat16 is not an IR dtype',
  test_cast_FLOAT_to_STRING: 'string tensors are not an IR dtype',
  test_cast_STRING_to_FLOAT: 'string tensors are not an IR dtype',
  test_castlike_BFLOAT16_to_FLOAT_expanded: 'bfloat16 is not an IR dtype',
  test_castlike_FLOAT_to_BFLOAT16_expanded: 'bfloat16 is not an IR dtype',
  test_castlike_FLOAT_to_STRING_expanded: 'string tensors are not an IR dtype',
  test_castlike_STRING_to_FLOAT_expanded: 'string tensors are not an IR dtype',
  // onnx 1.23's node set (not in Debian's 1.12 one):
  test_equal_string: 'string tensors are not an IR dtype',
  test_equal_string_broadcast: 'string tensors are not an IR dtype',
  test_identity_opt: 'optional-typed input (not a tensor)',
  test_identity_sequence: 'sequence-typed input (not a tensor)',
  test_maxpool_with_argmax_2d_precomputed_pads: "MaxPool's Indices output (argmax) is not produced; inference models do not use it",
  test_maxpool_with_argmax_2d_precomputed_strides: "MaxPool's Indices output (argmax) is not produced; inference models do not use it",
  test_training_dropout: 'training-mode Dropout with ratio > 0 is random',
  test_training_dropout_default: 'training-mode Dropout with ratio > 0 is random',
  test_training_dropout_default_mask: 'training-mode Dropout with ratio > 0 is random',
  test_training_dropout_mask: 'training-mode Dropout with ratio > 0 is random',
};
