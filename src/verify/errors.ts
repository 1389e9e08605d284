/**
 * Errors of the verifier (building and running generated code on a host or under QEMU).
 * Same shape as CompileError (stable code, message, hint, one-line format), in their own
 * QGC4xxx range: they are failures of the tool chain or of the generated program, not of
 * the user's model.
 */

export const VerifyErrorCode = {
  /** A required tool (arm-none-eabi-gcc, newlib, qemu-system-arm, host cc, ar) is not installed. */
  ToolMissing: 'QGC4001',
  /** CMSIS-NN sources were not found (CMSIS_NN_ROOT). */
  CmsisNnMissing: 'QGC4002',
  /** The compiler or linker failed. */
  BuildFailed: 'QGC4003',
  /** The program does not fit the target's flash or RAM. */
  DoesNotFit: 'QGC4004',
  /** The program ran past its time limit. */
  Timeout: 'QGC4005',
  /** The emulator or program could not be started or crashed. */
  RunFailed: 'QGC4006',
  /** The generated code's output differs from the integer interpreter's (`qgc verify`). */
  Mismatch: 'QGC4007',
} as const;

export type VerifyErrorCodeValue = (typeof VerifyErrorCode)[keyof typeof VerifyErrorCode];

export class VerifyError extends Error {
  readonly code: VerifyErrorCodeValue;
  /** What the user can do about it. */
  readonly hint: string | undefined;
  /** Tool output (compiler diagnostics, program stdout) that explains the failure. */
  readonly output: string;

  constructor(code: VerifyErrorCodeValue, message: string, hint?: string, output = '') {
    super(output ? `${message}\n${output}` : message);
    this.name = 'VerifyError';
    this.code = code;
    this.hint = hint;
    this.output = output;
  }

  /** One line for the terminal: `error QGC4001: message. hint` (tool output not included). */
  format(): string {
    const first = this.message.split('\n')[0];
    const message = this.hint && !/[.!?:]$/.test(first) ? `${first}.` : first;
    return `error ${this.code}: ${message}${this.hint ? ` ${this.hint}` : ''}`;
  }
}
