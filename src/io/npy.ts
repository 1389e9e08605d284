/** NumPy .npy files (format versions 1.0 to 3.0), read and written as IR values. */
import { closeSync, openSync, readFileSync, readSync, writeFileSync } from 'node:fs';
import { CompileError, ErrorCode } from '../errors.js';
import { allocate, type DType, type TensorData } from '../ir/dtype.js';
import { elementCount } from '../ir/graph.js';
import type { Value } from '../interp/types.js';
import { halfToFloat, MAX_TENSOR_ELEMENTS } from '../onnx/tensor.js';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** numpy descr (without byte-order char) ↔ dtype. */
const DESCR: Record<string, DType> = {
  f4: 'float32',
  f8: 'float64',
  f2: 'float16',
  i1: 'int8',
  u1: 'uint8',
  i2: 'int16',
  u2: 'uint16',
  i4: 'int32',
  u4: 'uint32',
  i8: 'int64',
  u8: 'uint64',
  b1: 'bool',
};

function bad(file: string, why: string): CompileError {
  return new CompileError(ErrorCode.BadInput, `not a usable .npy file: ${why}`, { file }, 'Save the array with numpy.save (little-endian, C order).');
}

/** What a .npy header states, and where the data starts. */
interface NpyHeader {
  descr: string;
  shape: number[];
  dataStart: number;
}

/** Parses the header of `bytes` (the whole file, or only its start: the data is not looked at). */
function parseHeader(bytes: Uint8Array, file: string): NpyHeader {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw bad(file, 'missing the \\x93NUMPY magic');
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLen: number;
  let headerStart: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw bad(file, 'truncated header');
    headerLen = view.getUint32(8, true);
    headerStart = 12;
  } else {
    throw bad(file, `format version ${major} is unknown`);
  }
  if (headerStart + headerLen > bytes.length) throw bad(file, 'truncated header');
  const header = Buffer.from(bytes.subarray(headerStart, headerStart + headerLen)).toString(major === 3 ? 'utf8' : 'latin1');
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) throw bad(file, `header '${header.trim()}' lacks descr, fortran_order or shape`);
  if (fortran === 'True') throw bad(file, 'Fortran order is not supported');
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => Number(s));
  if (shape.some((d) => !Number.isSafeInteger(d) || d < 0)) throw bad(file, `shape (${shapeText}) is invalid`);
  return { descr, shape, dataStart: headerStart + headerLen };
}

export function parseNpy(bytes: Uint8Array, file = '<npy>'): Value {
  const { descr, shape, dataStart } = parseHeader(bytes, file);
  const shapeText = shape.join(', ');
  const order = descr[0];
  const dtype = DESCR[descr.slice(1)];
  if (!dtype || order === '>') throw bad(file, `dtype '${descr}' is not supported (use little-endian float32/64, int8..int64, uint8..uint64 or bool)`);
  const count = elementCount(shape);
  if (count > MAX_TENSOR_ELEMENTS) throw bad(file, `shape (${shapeText}) is too large`);
  const itemSize = Number(descr.slice(2));
  if (bytes.length - dataStart !== count * itemSize) {
    throw bad(file, `holds ${bytes.length - dataStart} data bytes, the shape needs ${count * itemSize}`);
  }
  // Copy to an aligned buffer, then view it with the right typed array.
  // new Uint8Array(view) copies: Buffer#slice would return a view into Node's shared pool.
  const raw = new Uint8Array(bytes.subarray(dataStart, dataStart + count * itemSize));
  let data: TensorData;
  if (dtype === 'float16') {
    const half = new Uint16Array(raw.buffer, 0, count);
    const f = new Float32Array(count);
    for (let i = 0; i < count; i++) f[i] = halfToFloat(half[i]);
    return { dtype: 'float32', shape, data: f };
  } else if (dtype === 'bool') {
    data = new Uint8Array(raw.buffer, 0, count);
  } else {
    const ctor = allocate(dtype, 0).constructor as new (b: ArrayBuffer, o: number, n: number) => TensorData;
    data = new ctor(raw.buffer, 0, count);
  }
  return { dtype, shape, data };
}

export function readNpy(path: string): Value {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new CompileError(ErrorCode.FileRead, `cannot read file (${(e as NodeJS.ErrnoException).code ?? String(e)})`, { file: path }, 'Check the path.');
  }
  return parseNpy(bytes, path);
}

const DTYPE_DESCR: Partial<Record<DType, string>> = {
  float32: '<f4',
  float64: '<f8',
  int8: '|i1',
  uint8: '|u1',
  int16: '<i2',
  uint16: '<u2',
  int32: '<i4',
  uint32: '<u4',
  int64: '<i8',
  uint64: '<u8',
  bool: '|b1',
  int4: '|i1',
  uint4: '|u1',
};

export function encodeNpy(v: Value): Uint8Array {
  const descr = DTYPE_DESCR[v.dtype === 'float16' ? 'float32' : v.dtype];
  if (!descr) throw new CompileError(ErrorCode.BadInput, `cannot write ${v.dtype} to .npy`);
  const shape = v.shape.length === 1 ? `(${v.shape[0]},)` : `(${v.shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const head = new Uint8Array(10 + header.length);
  head.set(MAGIC, 0);
  head[6] = 1;
  head[7] = 0;
  new DataView(head.buffer).setUint16(8, header.length, true);
  head.set(Buffer.from(header, 'latin1'), 10);
  const body = new Uint8Array(v.data.buffer, v.data.byteOffset, v.data.byteLength);
  const out = new Uint8Array(head.length + body.length);
  out.set(head);
  out.set(body, head.length);
  return out;
}

export function writeNpy(path: string, v: Value): void {
  try {
    writeFileSync(path, encodeNpy(v));
  } catch (e) {
    if (e instanceof CompileError) throw e;
    throw new CompileError(ErrorCode.FileWrite, `cannot write file (${(e as NodeJS.ErrnoException).code ?? String(e)})`, { file: path }, 'Check that the folder exists and is writable.');
  }
}

/** The shape a .npy file states, read from its header only (the data is not read). */
export function readNpyShape(path: string): number[] {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const head = new Uint8Array(12);
    const n = readSync(fd, head, 0, 12, 0);
    const len = n >= 10 && head[6] === 1 ? 10 + (head[8] | (head[9] << 8)) : n >= 12 ? 12 + new DataView(head.buffer).getUint32(8, true) : n;
    const bytes = new Uint8Array(Math.min(len, 1 << 20));
    const got = readSync(fd, bytes, 0, bytes.length, 0);
    return parseHeader(bytes.subarray(0, got), path).shape;
  } catch (e) {
    if (e instanceof CompileError) throw e;
    throw new CompileError(ErrorCode.FileRead, `cannot read file (${(e as NodeJS.ErrnoException).code ?? String(e)})`, { file: path }, 'Check the path.');
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
