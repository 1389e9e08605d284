/** Field-by-field checks for target files: every failure is a CompileError that names the
 * file and the field (`invalid target: field 'board.ram.origin' must be ...`). */
import { CompileError, ErrorCode } from '../errors.js';

export interface MemoryRegion {
  /** Start address. */
  origin: number;
  /** Size in bytes. */
  length: number;
  /** What the region is on the board (free text). */
  what: string;
}

/** Checks one target file's fields; `hint` says where the format of this kind is described. */
export class Validator {
  constructor(readonly file: string, private readonly hint: string) {}

  fail(path: string, what: string): never {
    throw new CompileError(ErrorCode.BadInput, `invalid target: field '${path || '(root)'}' ${what}`, { file: this.file }, this.hint);
  }

  object(x: unknown, path: string): Record<string, unknown> {
    if (x === undefined) this.fail(path, 'is missing');
    if (typeof x !== 'object' || x === null || Array.isArray(x)) this.fail(path, 'must be an object');
    return x as Record<string, unknown>;
  }

  objectOrNull(x: unknown, path: string): Record<string, unknown> | null {
    if (x === null) return null;
    if (x === undefined) this.fail(path, 'is missing (use null when there is none)');
    return this.object(x, path);
  }

  string(x: unknown, path: string): string {
    if (x === undefined) this.fail(path, 'is missing');
    if (typeof x !== 'string' || x.length === 0) this.fail(path, 'must be a non-empty string');
    return x;
  }

  stringOrNull(x: unknown, path: string): string | null {
    if (x === null) return null;
    if (x === undefined) this.fail(path, 'is missing (use null when there is none)');
    return this.string(x, path);
  }

  boolean(x: unknown, path: string): boolean {
    if (x === undefined) this.fail(path, 'is missing');
    if (typeof x !== 'boolean') this.fail(path, 'must be true or false');
    return x;
  }

  /** An optional boolean: absent means `fallback`. */
  optionalBoolean(x: unknown, path: string, fallback: boolean): boolean {
    return x === undefined ? fallback : this.boolean(x, path);
  }

  oneOf<T extends string>(x: unknown, path: string, allowed: readonly T[]): T {
    if (x === undefined) this.fail(path, 'is missing');
    if (typeof x !== 'string' || !(allowed as readonly string[]).includes(x)) {
      this.fail(path, `must be one of ${allowed.map((a) => `'${a}'`).join(', ')}`);
    }
    return x as T;
  }

  positive(x: unknown, path: string): number {
    if (x === undefined) this.fail(path, 'is missing');
    if (typeof x !== 'number' || !Number.isFinite(x) || x <= 0) this.fail(path, 'must be a positive number');
    return x;
  }

  positiveOrNull(x: unknown, path: string): number | null {
    return x === null || x === undefined ? null : this.positive(x, path);
  }

  nonNegative(x: unknown, path: string): number {
    if (x === undefined) this.fail(path, 'is missing');
    if (typeof x !== 'number' || !Number.isFinite(x) || x < 0) this.fail(path, 'must be a number >= 0');
    return x;
  }

  /** A finite number of either sign (a fitted coefficient). */
  finite(x: unknown, path: string): number {
    if (x === undefined) this.fail(path, 'is missing');
    if (typeof x !== 'number' || !Number.isFinite(x)) this.fail(path, 'must be a finite number');
    return x;
  }

  /** A positive integer no larger than `max`. */
  count(x: unknown, path: string, max = Number.MAX_SAFE_INTEGER): number {
    if (x === undefined) this.fail(path, 'is missing');
    if (typeof x !== 'number' || !Number.isSafeInteger(x) || x <= 0 || x > max) this.fail(path, `must be a positive integer${max < Number.MAX_SAFE_INTEGER ? ` up to ${max}` : ''}`);
    return x;
  }

  countOrNull(x: unknown, path: string): number | null {
    if (x === null) return null;
    if (x === undefined) this.fail(path, 'is missing (use null when there is none)');
    return this.count(x, path);
  }

  /** A byte count or address: an integer, or a "0x..." hex string. */
  size(x: unknown, path: string, zeroOk = false): number {
    if (x === undefined) this.fail(path, 'is missing');
    let n: number = NaN;
    if (typeof x === 'number') n = x;
    else if (typeof x === 'string' && /^0x[0-9a-fA-F]+$/.test(x)) n = parseInt(x, 16);
    if (!Number.isSafeInteger(n) || n < 0 || (!zeroOk && n === 0) || n > 0xffffffff) {
      this.fail(path, `must be ${zeroOk ? 'a non-negative' : 'a positive'} integer (or a "0x..." hex string) below 2^32`);
    }
    return n;
  }

  region(x: unknown, path: string): MemoryRegion {
    const o = this.object(x, path);
    const origin = this.size(o.origin, `${path}.origin`, true);
    const length = this.size(o.length, `${path}.length`);
    if (origin + length > 0x1_0000_0000) this.fail(path, 'extends past the 4 GiB address space');
    return { origin, length, what: this.string(o.what, `${path}.what`) };
  }

  stringArray(x: unknown, path: string): string[] {
    if (!Array.isArray(x) || x.length === 0) this.fail(path, x === undefined ? 'is missing' : 'must be a non-empty array of strings');
    return x.map((e, i) => this.string(e, `${path}[${i}]`));
  }

  numberArray(x: unknown, path: string): number[] {
    if (!Array.isArray(x) || x.length === 0) this.fail(path, x === undefined ? 'is missing' : 'must be a non-empty array of numbers');
    return x.map((e, i) => this.positive(e, `${path}[${i}]`));
  }

  /** Every entry of `values` must be in `allowed`. */
  allIn(values: readonly number[], path: string, allowed: readonly number[]): void {
    for (const b of values) if (!allowed.includes(b)) this.fail(path, `has ${b}; allowed: ${allowed.join(', ')}`);
  }
}
