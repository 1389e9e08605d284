/**
 * The building blocks of the IR's JSON form (src/ir/serialize.ts): a codec per value kind that
 * writes plain JSON and reads it back checking everything, typed arrays as base64 of their
 * little-endian bytes, and the one error every malformed document ends in.
 */
import { CompileError, ErrorCode } from '../errors.js';

/** A JSON value as JSON.stringify writes it. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Where a value is read from: the file (for the error) and, inside a node, its name and op. */
export interface ReadContext {
  file: string;
  node?: string;
  op?: string;
}

/** Writes a value of type T as JSON, and reads one back from `at` (a path such as
 * `graph.nodes[3].attrs.pads`) or throws a CompileError saying what is wrong there. */
export interface Codec<T> {
  write(value: T): Json;
  read(value: unknown, at: string, ctx: ReadContext): T;
}

/** The error of a malformed document: what is wrong at `at`, and to recompile. */
export function malformed(ctx: ReadContext, at: string, what: string): CompileError {
  const where = { file: ctx.file, ...(ctx.node !== undefined ? { node: ctx.node } : {}), ...(ctx.op !== undefined ? { op: ctx.op } : {}) };
  return new CompileError(ErrorCode.BadInput, `${at}: ${what}`, where, 'The file is not one this qgc wrote, or was edited: recompile with qgc compile.');
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v)}`;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return typeof v === 'object' ? 'an object' : typeof v;
}

/** True when `o` has its own field `key` (never one inherited from Object.prototype). */
export function has(o: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, key);
}

/** Reads a JSON object with exactly the keys `required` plus any of `optional`. */
export function readObject(v: unknown, at: string, ctx: ReadContext, required: readonly string[], optional: readonly string[] = []): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw malformed(ctx, at, `expected an object, found ${describe(v)}`);
  const o = v as Record<string, unknown>;
  for (const k of required) if (!has(o, k)) throw malformed(ctx, at, `the field '${k}' is missing`);
  for (const k of Object.keys(o)) if (!required.includes(k) && !optional.includes(k)) throw malformed(ctx, at, `unknown field '${k}'`);
  return o;
}

/** Reads a JSON array, each element with `item`. */
export function readArray<T>(v: unknown, at: string, ctx: ReadContext, item: (x: unknown, at: string) => T): T[] {
  if (!Array.isArray(v)) throw malformed(ctx, at, `expected an array, found ${describe(v)}`);
  return v.map((x, i) => item(x, `${at}[${i}]`));
}

/** A string (any, or one of `allowed`). */
export function stringCodec<S extends string = string>(allowed?: readonly S[]): Codec<S> {
  return {
    write: (s) => s,
    read(v, at, ctx) {
      if (typeof v !== 'string') throw malformed(ctx, at, `expected a string, found ${describe(v)}`);
      if (allowed && !allowed.includes(v as S)) throw malformed(ctx, at, `${describe(v)} is not one of ${allowed.join(', ')}`);
      return v as S;
    },
  };
}

export const str: Codec<string> = stringCodec();

/** A whole number that JavaScript holds exactly (shapes, axes, shifts, multipliers). A -0 (the
 * quantizer's Math.round can leave one in a zero point) is written "-0", so it comes back as is. */
export const int: Codec<number> = {
  write: (n) => (Object.is(n, -0) ? '-0' : n),
  read(v, at, ctx) {
    if (v === '-0') return -0;
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw malformed(ctx, at, `expected a whole number, found ${describe(v)}`);
    return v;
  },
};

/** A whole number >= 0 (dimensions). */
export const count: Codec<number> = {
  write: (n) => n,
  read(v, at, ctx) {
    const n = int.read(v, at, ctx);
    if (n < 0) throw malformed(ctx, at, `expected a whole number >= 0, found ${n}`);
    return n;
  },
};

const SPECIAL = ['Infinity', '-Infinity', 'NaN', '-0'] as const;

/** Any double, exactly: JSON numbers, and the strings Infinity, -Infinity, NaN and -0 for what
 * JSON has no number for (a fused Relu clamps to [0, Infinity]). */
export const float: Codec<number> = {
  write: (n) => (Number.isFinite(n) && !Object.is(n, -0) ? n : Object.is(n, -0) ? '-0' : String(n)),
  read(v, at, ctx) {
    if (typeof v === 'number') return v;
    if (typeof v === 'string' && (SPECIAL as readonly string[]).includes(v)) return Number(v);
    throw malformed(ctx, at, `expected a number, found ${describe(v)}`);
  },
};

export const bool: Codec<boolean> = {
  write: (b) => b,
  read(v, at, ctx) {
    if (typeof v !== 'boolean') throw malformed(ctx, at, `expected true or false, found ${describe(v)}`);
    return v;
  },
};

/** An array of values of one codec. */
export function arrayOf<T>(c: Codec<T>): Codec<T[]> {
  return {
    write: (a) => a.map((x) => c.write(x)),
    read: (v, at, ctx) => readArray(v, at, ctx, (x, a) => c.read(x, a, ctx)),
  };
}

/** The typed arrays the IR stores data in, by the element type the JSON names. */
const TYPED = {
  float32: Float32Array,
  float64: Float64Array,
  int8: Int8Array,
  uint8: Uint8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  int64: BigInt64Array,
  uint64: BigUint64Array,
};

/** The element type of a typed array in the JSON (`int32` for an Int32Array). */
export type ArrayType = keyof typeof TYPED;
interface TypedArrays {
  float32: Float32Array;
  float64: Float64Array;
  int8: Int8Array;
  uint8: Uint8Array;
  int16: Int16Array;
  uint16: Uint16Array;
  int32: Int32Array;
  uint32: Uint32Array;
  int64: BigInt64Array;
  uint64: BigUint64Array;
}
export type TypedArrayOf<K extends ArrayType> = TypedArrays[K];
export type AnyTypedArray = TypedArrayOf<ArrayType>;
export const ARRAY_TYPES = Object.keys(TYPED) as ArrayType[];

/** The element type name of a typed array. */
export function arrayTypeOf(a: AnyTypedArray): ArrayType {
  const t = ARRAY_TYPES.find((k) => a instanceof TYPED[k]);
  if (t === undefined) throw new Error('internal: not a typed array the IR stores');
  return t;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The bytes of `a`, little-endian, whatever the host's byte order. */
function littleEndianBytes(a: AnyTypedArray): Buffer {
  const bytes = Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  if (LITTLE_ENDIAN || a.BYTES_PER_ELEMENT === 1) return bytes;
  const copy = Buffer.from(bytes);
  for (let i = 0; i < copy.length; i += a.BYTES_PER_ELEMENT) copy.subarray(i, i + a.BYTES_PER_ELEMENT).reverse();
  return copy;
}

/** A typed array as `{ "type": "int32", "base64": "..." }`; reading checks the type (one of
 * `types`), that the base64 is canonical, and that the bytes are whole elements. */
export function typedArrayCodec<K extends ArrayType>(types: readonly K[]): Codec<TypedArrayOf<K>> {
  return {
    write: (a) => ({ type: arrayTypeOf(a), base64: littleEndianBytes(a).toString('base64') }),
    read(v, at, ctx) {
      const o = readObject(v, at, ctx, ['type', 'base64']);
      const type = stringCodec(types).read(o.type, `${at}.type`, ctx);
      const b64 = str.read(o.base64, `${at}.base64`, ctx);
      const bytes = Buffer.from(b64, 'base64');
      if (bytes.toString('base64') !== b64) throw malformed(ctx, `${at}.base64`, 'not valid base64');
      const ctor = TYPED[type];
      if (bytes.length % ctor.BYTES_PER_ELEMENT !== 0) throw malformed(ctx, `${at}.base64`, `${bytes.length} bytes are not a whole number of ${type} elements`);
      const own = new Uint8Array(bytes); // a copy: aligned, and not Node's shared pool
      if (!LITTLE_ENDIAN) for (let i = 0; i < own.length; i += ctor.BYTES_PER_ELEMENT) own.subarray(i, i + ctor.BYTES_PER_ELEMENT).reverse();
      return new ctor(own.buffer) as TypedArrayOf<K>;
    },
  };
}

/** An optional field: read when present, absent (undefined) otherwise. */
export function optional<T>(o: Record<string, unknown>, key: string, c: Codec<T>, at: string, ctx: ReadContext): T | undefined {
  return has(o, key) ? c.read(o[key], `${at}.${key}`, ctx) : undefined;
}
