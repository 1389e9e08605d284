/** TensorProto → IR tensor data: dtype codes, byte order, packing, external data. */
import { allocate, type DType, type TensorData } from '../ir/dtype.js';
import { elementCount, type Tensor } from '../ir/graph.js';
import { CompileError, ErrorCode, type ErrorLocation } from '../errors.js';
import { int64ToNumber, type Int64Like, type TensorProto } from './proto.js';
import { NEWER_ELEMENT_TYPES } from './opsets.js';

/** Largest tensor qgc accepts: 2^28 elements (1 GiB of float32). A model for a
 * microcontroller or a browser has nothing near this; a larger declared size is
 * a corrupted or hostile file and is refused before anything is allocated. */
export const MAX_TENSOR_ELEMENTS = 2 ** 28;

/** ONNX TensorProto.DataType codes. onnx-proto 8.0.1 stops at BFLOAT16 = 16, so the
 * newer codes are named here. */
export const OnnxDataType = {
  UNDEFINED: 0,
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
  COMPLEX64: 14,
  COMPLEX128: 15,
  BFLOAT16: 16,
  FLOAT8E4M3FN: 17,
  FLOAT8E4M3FNUZ: 18,
  FLOAT8E5M2: 19,
  FLOAT8E5M2FNUZ: 20,
  UINT4: 21,
  INT4: 22,
  FLOAT4E2M1: 23,
} as const;

const CODE_TO_DTYPE: Record<number, DType> = {
  [OnnxDataType.FLOAT]: 'float32',
  [OnnxDataType.UINT8]: 'uint8',
  [OnnxDataType.INT8]: 'int8',
  [OnnxDataType.UINT16]: 'uint16',
  [OnnxDataType.INT16]: 'int16',
  [OnnxDataType.INT32]: 'int32',
  [OnnxDataType.INT64]: 'int64',
  [OnnxDataType.BOOL]: 'bool',
  [OnnxDataType.FLOAT16]: 'float16',
  [OnnxDataType.DOUBLE]: 'float64',
  [OnnxDataType.UINT32]: 'uint32',
  [OnnxDataType.UINT64]: 'uint64',
  [OnnxDataType.UINT4]: 'uint4',
  [OnnxDataType.INT4]: 'int4',
};

const CODE_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(OnnxDataType).map(([k, v]) => [v, k]),
);

export function dtypeFromOnnx(code: number, where: ErrorLocation): DType {
  const dt = CODE_TO_DTYPE[code];
  if (dt === undefined) {
    const newer = NEWER_ELEMENT_TYPES[code];
    const name = CODE_NAMES[code] ?? (newer ? `${newer.name} (ONNX opset ${newer.opset})` : `unknown code ${code}`);
    throw new CompileError(
      ErrorCode.UnsupportedDType,
      `element type ${name} is not supported`,
      where,
      'qgc handles float32/float16/float64, the integer types, int4/uint4 and bool; convert the model (e.g. onnxconverter-common) first.',
    );
  }
  return dt;
}

export function onnxCodeOf(dtype: DType): number {
  for (const [code, dt] of Object.entries(CODE_TO_DTYPE)) if (dt === dtype) return Number(code);
  throw new Error(`internal: no ONNX code for ${dtype}`);
}

/** Bytes of one element in ONNX's raw_data encoding (int4 is half a byte: handled apart). */
function rawElementBytes(dtype: DType): number {
  switch (dtype) {
    case 'float64':
    case 'int64':
    case 'uint64':
      return 8;
    case 'float32':
    case 'int32':
    case 'uint32':
      return 4;
    case 'float16':
    case 'int16':
    case 'uint16':
      return 2;
    default:
      return 1;
  }
}

/** Checks dims are sane integers and the element count is below the limit. */
export function checkedShape(dims: readonly Int64Like[], where: ErrorLocation): number[] {
  const shape = dims.map((d) => int64ToNumber(d));
  let count = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) {
      throw new CompileError(ErrorCode.AbsurdSize, `dimension ${d} is not a valid size`, where,
        'The file is probably corrupted; re-export the model.');
    }
    count *= d;
    if (count > MAX_TENSOR_ELEMENTS) {
      throw new CompileError(
        ErrorCode.AbsurdSize,
        `shape [${shape.join(', ')}] declares more than ${MAX_TENSOR_ELEMENTS} elements`,
        where,
        'The file is probably corrupted; qgc refuses tensors this large before allocating them.',
      );
    }
  }
  return shape;
}

export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

/** Decodes little-endian raw bytes into a typed array of `dtype`. */
export function decodeRaw(raw: Uint8Array, dtype: DType, count: number, where: ErrorLocation): TensorData {
  const packed4 = dtype === 'int4' || dtype === 'uint4';
  const expected = packed4 ? Math.ceil(count / 2) : count * rawElementBytes(dtype);
  if (raw.byteLength !== expected) {
    throw new CompileError(
      ErrorCode.AbsurdSize,
      `raw data has ${raw.byteLength} bytes, but the shape needs ${expected}`,
      where,
      'The file is probably truncated or corrupted; re-export the model.',
    );
  }
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const out = allocate(dtype, count);
  switch (dtype) {
    case 'float32':
      for (let i = 0; i < count; i++) (out as Float32Array)[i] = view.getFloat32(i * 4, true);
      break;
    case 'float64':
      for (let i = 0; i < count; i++) (out as Float64Array)[i] = view.getFloat64(i * 8, true);
      break;
    case 'float16':
      for (let i = 0; i < count; i++) (out as Float32Array)[i] = halfToFloat(view.getUint16(i * 2, true));
      break;
    case 'int8':
      for (let i = 0; i < count; i++) (out as Int8Array)[i] = view.getInt8(i);
      break;
    case 'uint8':
    case 'bool':
      (out as Uint8Array).set(raw);
      if (dtype === 'bool') for (let i = 0; i < count; i++) (out as Uint8Array)[i] = raw[i] ? 1 : 0;
      break;
    case 'int16':
      for (let i = 0; i < count; i++) (out as Int16Array)[i] = view.getInt16(i * 2, true);
      break;
    case 'uint16':
      for (let i = 0; i < count; i++) (out as Uint16Array)[i] = view.getUint16(i * 2, true);
      break;
    case 'int32':
      for (let i = 0; i < count; i++) (out as Int32Array)[i] = view.getInt32(i * 4, true);
      break;
    case 'uint32':
      for (let i = 0; i < count; i++) (out as Uint32Array)[i] = view.getUint32(i * 4, true);
      break;
    case 'int64':
      for (let i = 0; i < count; i++) (out as BigInt64Array)[i] = view.getBigInt64(i * 8, true);
      break;
    case 'uint64':
      for (let i = 0; i < count; i++) (out as BigUint64Array)[i] = view.getBigUint64(i * 8, true);
      break;
    case 'int4':
    case 'uint4':
      unpack4(raw, count, dtype === 'int4', out as Int8Array | Uint8Array);
      break;
  }
  return out;
}

/** Unpacks 4-bit values, low nibble first (ONNX's and CMSIS-NN's order). */
function unpack4(bytes: ArrayLike<number>, count: number, signed: boolean, out: Int8Array | Uint8Array): void {
  for (let i = 0; i < count; i++) {
    const byte = bytes[i >> 1] & 0xff;
    let v = i & 1 ? byte >> 4 : byte & 0x0f;
    if (signed && v > 7) v -= 16;
    out[i] = v;
  }
}

/** Decodes the typed fields (float_data, int32_data, ...) when raw_data is absent. */
function decodeFields(t: TensorProto, dtype: DType, count: number, where: ErrorLocation): TensorData {
  const fail = (field: string, have: number, need: number) =>
    new CompileError(ErrorCode.AbsurdSize, `${field} has ${have} values, but the shape needs ${need}`, where,
      'The file is probably truncated or corrupted; re-export the model.');
  const out = allocate(dtype, count);
  switch (dtype) {
    case 'float32': {
      const src = t.floatData ?? [];
      if (src.length !== count) throw fail('float_data', src.length, count);
      (out as Float32Array).set(src);
      return out;
    }
    case 'float64': {
      const src = t.doubleData ?? [];
      if (src.length !== count) throw fail('double_data', src.length, count);
      (out as Float64Array).set(src);
      return out;
    }
    case 'int64': {
      const src = t.int64Data ?? [];
      if (src.length !== count) throw fail('int64_data', src.length, count);
      for (let i = 0; i < count; i++) (out as BigInt64Array)[i] = BigInt(int64ToNumber(src[i] as Int64Like));
      return out;
    }
    case 'uint32':
    case 'uint64': {
      const src = t.uint64Data ?? [];
      if (src.length !== count) throw fail('uint64_data', src.length, count);
      for (let i = 0; i < count; i++) {
        const v = int64ToNumber(src[i] as Int64Like);
        if (dtype === 'uint64') (out as BigUint64Array)[i] = BigInt(v);
        else (out as Uint32Array)[i] = v;
      }
      return out;
    }
    case 'int4':
    case 'uint4': {
      const src = t.int32Data ?? [];
      if (src.length !== Math.ceil(count / 2)) throw fail('int32_data', src.length, Math.ceil(count / 2));
      unpack4(src, count, dtype === 'int4', out as Int8Array | Uint8Array);
      return out;
    }
    default: {
      // int8, uint8, int16, uint16, int32, bool and float16 (as bits) travel in int32_data.
      const src = t.int32Data ?? [];
      if (src.length !== count) throw fail('int32_data', src.length, count);
      if (dtype === 'float16') for (let i = 0; i < count; i++) (out as Float32Array)[i] = halfToFloat(src[i] & 0xffff);
      else (out as Int32Array).set(src);
      return out;
    }
  }
}

export interface TensorReadOptions {
  /** Reads `length` bytes at `offset` of an external data file named by `location`. */
  readExternal?: (location: string, offset: number, length: number | undefined, where: ErrorLocation) => Uint8Array;
}

/** Converts a TensorProto (initializer, Constant value or conformance .pb) to an IR tensor. */
export function tensorFromProto(t: TensorProto, name: string, opts: TensorReadOptions = {}, where: ErrorLocation = {}): Tensor {
  const loc: ErrorLocation = { ...where, tensor: name };
  const dtype = dtypeFromOnnx(t.dataType ?? 0, loc);
  const shape = checkedShape((t.dims ?? []) as Int64Like[], loc);
  const count = elementCount(shape);
  let data: TensorData;
  if (t.dataLocation === 1) {
    const entries = new Map((t.externalData ?? []).map((e) => [e.key ?? '', e.value ?? '']));
    const location = entries.get('location');
    if (!location) {
      throw new CompileError(ErrorCode.ExternalData, 'external data without a location', loc,
        'The model is malformed; re-save it with onnx.save_model(..., save_as_external_data=True).');
    }
    const offset = Number(entries.get('offset') ?? '0');
    const lengthStr = entries.get('length');
    const length = lengthStr === undefined ? undefined : Number(lengthStr);
    if (!Number.isSafeInteger(offset) || offset < 0 || (length !== undefined && (!Number.isSafeInteger(length) || length < 0))) {
      throw new CompileError(ErrorCode.ExternalData, `bad external data offset/length (${offset}/${lengthStr})`, loc,
        'The model is malformed; re-save it with onnx.save_model.');
    }
    if (!opts.readExternal) {
      throw new CompileError(ErrorCode.ExternalData, 'tensor uses external data, but the model was not loaded from a file', loc,
        'Load the model from its path so its data files can be found next to it.');
    }
    data = decodeRaw(opts.readExternal(location, offset, length, loc), dtype, count, loc);
  } else if (t.rawData && t.rawData.byteLength > 0) {
    data = decodeRaw(t.rawData, dtype, count, loc);
  } else {
    data = decodeFields(t, dtype, count, loc);
  }
  return { name, dtype, shape, data };
}
