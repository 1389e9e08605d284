/**
 * The one error type qgc reports to users. Every failure a user can cause (a bad
 * model file, an unsupported op, a wrong input shape) ends in a CompileError that
 * names the node and op involved and says what to do about it.
 */

/** Stable diagnostic codes: tests and users can match on them; the text may change. */
export const ErrorCode = {
  /** The file could not be read (missing, unreadable, too large). */
  FileRead: 'QGC1001',
  /** An output file could not be written. */
  FileWrite: 'QGC1005',
  /** The bytes are not a valid ONNX protobuf (truncated, corrupted). */
  MalformedModel: 'QGC1002',
  /** A declared size (dimension, element count, tensor bytes) is absurd or inconsistent. */
  AbsurdSize: 'QGC1003',
  /** External data points outside the model's folder or cannot be read. */
  ExternalData: 'QGC1004',
  /** The model uses an op qgc does not import. */
  UnsupportedOp: 'QGC1101',
  /** The op is known but its opset version is outside the supported range. */
  UnsupportedOpset: 'QGC1102',
  /** An attribute is missing, has the wrong type, or a value qgc does not support. */
  BadAttribute: 'QGC1103',
  /** Input/output count or shapes are inconsistent. */
  ShapeMismatch: 'QGC1104',
  /** A dtype qgc does not support for this op. */
  UnsupportedDType: 'QGC1105',
  /** The graph is malformed (dangling tensor, duplicate output, cycle). */
  BadGraph: 'QGC1106',
  /** Bad command-line usage or a bad user-supplied input file (e.g. .npy). */
  BadInput: 'QGC1201',
  /** An internal invariant failed: a bug in qgc. */
  Internal: 'QGC9000',
} as const;

export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface ErrorLocation {
  /** Node name (or a synthesized `op#index` when the model leaves it empty). */
  node?: string;
  /** Op type, e.g. `Conv`. */
  op?: string;
  /** A tensor name, when the problem is about one tensor. */
  tensor?: string;
  /** A file path, when the problem is about a file. */
  file?: string;
}

export class CompileError extends Error {
  readonly code: ErrorCodeValue;
  readonly where: ErrorLocation;
  /** What the user can do about it. */
  readonly hint: string | undefined;

  constructor(code: ErrorCodeValue, message: string, where: ErrorLocation = {}, hint?: string) {
    super(message);
    this.name = 'CompileError';
    this.code = code;
    this.where = where;
    this.hint = hint;
  }

  /** One line for the terminal: `error QGC1101: node 'conv1' (Conv): message. hint`. */
  format(): string {
    const parts: string[] = [];
    if (this.where.file) parts.push(`${this.where.file}`);
    if (this.where.node !== undefined || this.where.op !== undefined) {
      parts.push(`node '${this.where.node ?? '?'}' (${this.where.op ?? '?'})`);
    }
    if (this.where.tensor !== undefined) parts.push(`tensor '${this.where.tensor}'`);
    const loc = parts.length ? parts.join(', ') + ': ' : '';
    const message = this.hint && !/[.!?:]$/.test(this.message) ? `${this.message}.` : this.message;
    const hint = this.hint ? ` ${this.hint}` : '';
    return `error ${this.code}: ${loc}${message}${hint}`.replace(/\s*\n\s*/g, ' ');
  }
}

/** Throws a CompileError when `cond` is false. */
export function check(
  cond: unknown,
  code: ErrorCodeValue,
  message: string,
  where: ErrorLocation = {},
  hint?: string,
): asserts cond {
  if (!cond) throw new CompileError(code, message, where, hint);
}
