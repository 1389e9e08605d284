/**
 * The one error type qgc reports to users. Every failure a user can cause (a bad
 * model file, an unsupported op, a wrong input shape) ends in a CompileError that
 * names the node and op involved and says what to do about it.
 */

import { diagnostics, type Diagnostic, type DiagnosticName } from './diagnostics.js';

type Codes = { readonly [K in DiagnosticName]: (typeof diagnostics)[K]['code'] };

/**
 * Stable diagnostic codes by name (`ErrorCode.UnsupportedOp` is `'QGC1101'`): tests and users
 * can match on them; the text may change. Derived from the table in src/diagnostics.ts, which
 * says for each what causes it and what to do.
 */
export const ErrorCode: Codes = Object.freeze(
  Object.fromEntries(Object.entries(diagnostics).map(([name, d]) => [name, d.code])) as Codes,
);

/** One of the codes, e.g. `'QGC1101'`. */
export type ErrorCodeValue = Codes[DiagnosticName];

const byCode = new Map<string, Diagnostic>(Object.values(diagnostics).map((d) => [d.code, d]));

/** The table's row for a code: its title, cause and default action. */
export function diagnosticFor(code: ErrorCodeValue): Diagnostic {
  const d = byCode.get(code);
  if (!d) throw new Error(`no diagnostic ${code} in src/diagnostics.ts`);
  return d;
}

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

/** A failure the user can act on: a stable code, where it happened, and what to do. */
export class CompileError extends Error {
  readonly code: ErrorCodeValue;
  readonly where: ErrorLocation;
  /** What the user can do about it: the hint given where it was thrown, else the table's default. */
  readonly hint: string;

  constructor(code: ErrorCodeValue, message: string, where: ErrorLocation = {}, hint?: string) {
    super(message);
    this.name = 'CompileError';
    this.code = code;
    this.where = where;
    this.hint = hint ?? diagnosticFor(code).action;
  }

  /** The message as the one-line format shows it (a subclass may leave out attached detail). */
  protected headline(): string {
    return this.message;
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
    const head = this.headline();
    const message = this.hint && !/[.!?:]$/.test(head) ? `${head}.` : head;
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
