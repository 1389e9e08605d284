/**
 * Errors of the verifier (building and running generated code on a host or under QEMU).
 * A VerifyError is a CompileError (one type, one code table in src/diagnostics.ts) in the
 * QGC4xxx range: a failure of the tool chain or of the generated program, not of the user's
 * model. It also carries the tool output that explains it, which the one-line format leaves out.
 */
import { CompileError, ErrorCode } from '../errors.js';

/** The verifier's codes: a subset of ErrorCode, under the same names. */
export const VerifyErrorCode = {
  /** A required tool (arm-none-eabi-gcc, newlib, qemu-system-arm, host cc, ar) is not installed. */
  ToolMissing: ErrorCode.ToolMissing,
  /** CMSIS-NN sources were not found (CMSIS_NN_ROOT). */
  CmsisNnMissing: ErrorCode.CmsisNnMissing,
  /** The compiler or linker failed. */
  BuildFailed: ErrorCode.BuildFailed,
  /** The program does not fit the target's flash or RAM. */
  DoesNotFit: ErrorCode.DoesNotFit,
  /** The program ran past its time limit. */
  Timeout: ErrorCode.Timeout,
  /** The emulator or program could not be started or crashed. */
  RunFailed: ErrorCode.RunFailed,
  /** The generated code's output differs from the integer interpreter's (`qgc verify`). */
  Mismatch: ErrorCode.Mismatch,
} as const;

/** One of the verifier's codes, e.g. `'QGC4001'`. */
export type VerifyErrorCodeValue = (typeof VerifyErrorCode)[keyof typeof VerifyErrorCode];

/** A CompileError of the verifier, with the tool output (compiler diagnostics, program stdout) attached. */
export class VerifyError extends CompileError {
  declare readonly code: VerifyErrorCodeValue;
  /** Tool output (compiler diagnostics, program stdout) that explains the failure. */
  readonly output: string;

  /** `message` is one line; `output` follows it in `.message` but not in `format()`. */
  constructor(code: VerifyErrorCodeValue, message: string, hint?: string, output = '') {
    super(code, output ? `${message}\n${output}` : message, {}, hint);
    this.name = 'VerifyError';
    this.output = output;
  }

  /** The first line of the message: the tool output is not part of the one-line format. */
  protected override headline(): string {
    return this.message.split('\n')[0];
  }
}
