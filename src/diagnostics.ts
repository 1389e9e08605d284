/**
 * Every diagnostic qgc reports, as data: one row per stable code. `ErrorCode` (src/errors.ts)
 * is derived from this table, a CompileError thrown without a hint gets the row's `action`,
 * and docs/errors.md is generated from it (`npx tsx scripts/gen-errors-doc.ts`).
 *
 * Codes never change once released: users and scripts match on them. Add a row for a new
 * failure; remove one only when no code in src/ uses it (test/errors-table.test.ts checks both).
 */

/** One row of the table. */
export interface Diagnostic {
  /** The stable code users see, e.g. `QGC1101`. */
  readonly code: `QGC${number}`;
  /** One line: what went wrong. */
  readonly title: string;
  /** A paragraph: what causes it. */
  readonly cause: string;
  /** What to do: the hint printed when the error itself carries none. */
  readonly action: string;
}

/** The ranges of codes, for the generated docs: the first code of each range and its title. */
export const diagnosticRanges: readonly { readonly from: number; readonly title: string }[] = [
  { from: 1000, title: 'Files' },
  { from: 1100, title: 'The model' },
  { from: 1200, title: 'Command line, input data and target files' },
  { from: 4000, title: 'Verification (building and running the generated code)' },
  { from: 9000, title: 'Bugs in qgc' },
];

/** The table, keyed by the stable name code uses (`ErrorCode.UnsupportedOp`). */
export const diagnostics = {
  FileRead: {
    code: 'QGC1001',
    title: 'A file could not be read.',
    cause: 'A file qgc was asked to read (a model, a .npy or .pb input, calibration data, a target file) ' +
      'does not exist, is not a regular file, or cannot be opened with the current permissions.',
    action: 'Check the path and its permissions.',
  },
  MalformedModel: {
    code: 'QGC1002',
    title: 'The file is not a valid ONNX model.',
    cause: 'The bytes do not decode as an ONNX ModelProto (the file is truncated, corrupted, or another ' +
      'format such as a bare GraphProto or TensorProto), or the model lacks what every ONNX model has ' +
      '(a graph, a default-domain opset).',
    action: 'Re-export the model; if it passes onnx.checker.check_model, report this as a qgc bug.',
  },
  AbsurdSize: {
    code: 'QGC1003',
    title: 'A declared size is absurd or inconsistent.',
    cause: 'A dimension, element count or byte count in the model is negative, too large to be real, ' +
      'or disagrees with the data stored next to it (raw data shorter than the shape needs). This is ' +
      'almost always a corrupted or truncated file; qgc refuses it before allocating anything.',
    action: 'The file is probably corrupted; re-export the model.',
  },
  ExternalData: {
    code: 'QGC1004',
    title: 'External tensor data cannot be used.',
    cause: 'A tensor stores its data in an external file, and that file is missing, lies outside the ' +
      "model's folder (an absolute path, `..`, a symbolic link leading out), has a bad offset or length, " +
      'or the model was not loaded from a file so there is no folder to look in.',
    action: "Keep the external data files inside the model's folder, referenced by relative paths " +
      '(onnx.save_model(..., save_as_external_data=True) writes them so).',
  },
  FileWrite: {
    code: 'QGC1005',
    title: 'An output file could not be written.',
    cause: 'The output path is not writable, its folder does not exist, it is a file where a folder is ' +
      'needed, or the output folder already holds files qgc did not write (qgc does not overwrite ' +
      'them without --force).',
    action: 'Check that the output folder exists and is writable, or choose a new one.',
  },
  UnsupportedOp: {
    code: 'QGC1101',
    title: 'The model uses an op qgc does not support.',
    cause: 'An op type (in its domain) has no importer, or a later stage (int8 lowering, a backend) has no implementation for it. The message ' +
      'names the node and lists what is supported.',
    action: 'Replace the op with supported ones when exporting the model, or open an issue asking for it.',
  },
  UnsupportedOpset: {
    code: 'QGC1102',
    title: "The model's opset version is not supported.",
    cause: 'The model imports an ai.onnx opset outside the range qgc reads, or an op is used in a form ' +
      'that only an older opset had.',
    action: 'Convert the model with onnx.version_converter.convert_version to a supported opset.',
  },
  BadAttribute: {
    code: 'QGC1103',
    title: 'An attribute is missing, mistyped or has an unsupported value.',
    cause: "A node's attribute is required but absent, has a different type than the ONNX spec says, " +
      'or has a value qgc does not implement (for example a padding mode or a dilation it does not ' +
      'support).',
    action: 'Re-export the model with standard attribute values.',
  },
  ShapeMismatch: {
    code: 'QGC1104',
    title: 'Input or output counts or shapes are inconsistent.',
    cause: 'A node has the wrong number of inputs or outputs, or shapes that cannot work together ' +
      '(channels that do not match the weights, shapes that do not broadcast, a reshape to a different ' +
      'element count).',
    action: 'Check the model with onnx.shape_inference.infer_shapes and set symbolic dimensions with --input-shape.',
  },
  UnsupportedDType: {
    code: 'QGC1105',
    title: 'An element type is not supported here.',
    cause: 'A tensor has an element type qgc does not support for this op or this stage (for example ' +
      'BFLOAT16, or a float tensor where the int8 path needs a quantized one).',
    action: 'Export the model with float32 tensors (int8/uint8 for quantized ones).',
  },
  BadGraph: {
    code: 'QGC1106',
    title: 'The graph is malformed.',
    cause: 'The graph is not a valid dataflow graph: a tensor is used but never produced, two nodes ' +
      'produce the same tensor, the nodes form a cycle, or a value that must be a constant is computed ' +
      'at run time.',
    action: 'Check the model with onnx.checker.check_model and re-export it.',
  },
  InvalidModel: {
    code: 'QGC1110',
    title: 'The model breaks the ONNX specification.',
    cause: 'The model decodes, but something in it is not valid ONNX, and onnx.checker (with full_check) and ' +
      'onnxruntime refuse it too: an ir_version outside 3..14, a tensor written by two nodes, a graph input ' +
      'or output listed twice or without a type, a tensor storing its values in two fields or values outside ' +
      'its type, an attribute without a type, a window attribute out of range, auto_pad together with pads, ' +
      'inputs whose types the op requires to match, or a quantization scale that is not finite and positive.',
    action: 'Re-export the model; onnx.checker.check_model(model, full_check=True) points at the same problem.',
  },
  BadInput: {
    code: 'QGC1201',
    title: 'Bad command-line usage or a bad input file.',
    cause: 'An option is missing, contradicts another or has a bad value, or a file the user passed ' +
      '(a .npy or .pb input, calibration data, a target JSON file, a compiled output folder) has the ' +
      'wrong shape, type or content.',
    action: 'Check the command line and the files it names against `qgc <command> --help`.',
  },
  OverBudget: {
    code: 'QGC1220',
    title: "The compiled network does not fit the target part's memory.",
    cause: "Before writing, compile compares what it knows of the program with the part the target file " +
      "names (`part.flash`, `part.sram`): the weights and other constant arrays against the flash, the arena " +
      "planned for the activations plus the target's stack reservation (`board.stackSize`) against the SRAM. " +
      "The code is not counted (it is known only after linking), so the real figures are larger still. " +
      'With --strict-budget an overshoot is this error; without it, a warning.',
    action: 'Use fewer bits for the weights, a smaller model, or a target file whose part has more memory; ' +
      'without --strict-budget the overshoot is a warning.',
  },
  ToolMissing: {
    code: 'QGC4001',
    title: 'A tool that verification needs is not installed.',
    cause: '`qgc verify` builds and runs the generated code with the host C compiler, arm-none-eabi-gcc ' +
      'with newlib, ar and qemu-system-arm; one of them is not on PATH or is incomplete.',
    action: 'Install the tool the message names, e.g. apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm.',
  },
  CmsisNnMissing: {
    code: 'QGC4002',
    title: 'The CMSIS-NN sources were not found.',
    cause: 'Code compiled for the cmsis-nn kernels needs the CMSIS-NN library sources to build, and ' +
      'none were found at CMSIS_NN_ROOT (or the default location).',
    action: 'Set CMSIS_NN_ROOT to a CMSIS-NN checkout, or compile with --kernels portable.',
  },
  BuildFailed: {
    code: 'QGC4003',
    title: 'Compiling or linking the generated code failed.',
    cause: 'The C compiler or linker rejected the generated sources, the verify driver or the CMSIS-NN ' +
      'library. The error carries the compiler output.',
    action: 'Rerun with --keep to look at the build; this is a qgc bug unless the sources were edited.',
  },
  DoesNotFit: {
    code: 'QGC4004',
    title: "The program does not fit the target's flash or RAM.",
    cause: "The linked program (weights, code and arena) is larger than the flash or RAM of the target's board.",
    action: 'Choose a target with more memory, or a smaller model.',
  },
  Timeout: {
    code: 'QGC4005',
    title: 'The program ran past its time limit.',
    cause: 'The generated program did not finish on the host or under QEMU within the time limit; the ' +
      'error carries the output printed so far.',
    action: 'Verify fewer samples (--limit) or raise the limit (--timeout); a program that never ends is a qgc bug.',
  },
  RunFailed: {
    code: 'QGC4006',
    title: 'The emulator or the program could not start, or failed.',
    cause: 'QEMU or the host program could not be started, was killed, or exited with an error (a ' +
      'sanitizer report, a failed check in the verify driver), or the target has no board to run on.',
    action: 'Rerun with --keep to look at the build; this is a qgc bug unless the sources were edited.',
  },
  Mismatch: {
    code: 'QGC4007',
    title: "The generated code's output differs from the integer interpreter's.",
    cause: "`qgc verify` found an output byte where the compiled C disagrees with qgc's integer " +
      'interpreter. The message names the sample, the output, the node and the first differing element.',
    action: 'This is a qgc bug: report it with the model and the command line.',
  },
  Internal: {
    code: 'QGC9000',
    title: 'An internal invariant failed.',
    cause: 'qgc reached a state its own code rules out (an invalid graph after a pass, a value missing ' +
      'when it is needed). The input may be unusual, but the failure is a bug in qgc.',
    action: 'This is a qgc bug; rerun with --debug for the stack and report it.',
  },
} as const satisfies Record<string, Diagnostic>;

/** The stable name of a diagnostic, e.g. `UnsupportedOp`. */
export type DiagnosticName = keyof typeof diagnostics;
