/** Element types the IR knows, with their typed-array storage. */

export type DType =
  | 'float32'
  | 'float64'
  | 'float16'
  | 'int8'
  | 'uint8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'uint64'
  | 'bool'
  | 'int4'
  | 'uint4';

/** The typed array each dtype is stored in. float16 is widened to float32 on import;
 * int4/uint4 are unpacked one element per byte; bool is 0/1 bytes. */
export interface DTypeStorage {
  float32: Float32Array;
  float64: Float64Array;
  float16: Float32Array;
  int8: Int8Array;
  uint8: Uint8Array;
  int16: Int16Array;
  uint16: Uint16Array;
  int32: Int32Array;
  uint32: Uint32Array;
  int64: BigInt64Array;
  uint64: BigUint64Array;
  bool: Uint8Array;
  int4: Int8Array;
  uint4: Uint8Array;
}

export type TensorData = DTypeStorage[DType];

/** Typed arrays whose elements are JS numbers (everything but the 64-bit integer types). */
export type NumericData = Exclude<TensorData, BigInt64Array | BigUint64Array>;

/** Bytes per element in qgc's in-memory storage (not the packed ONNX encoding). */
export function storageBytes(dtype: DType): number {
  switch (dtype) {
    case 'float64':
    case 'int64':
    case 'uint64':
      return 8;
    case 'float32':
    case 'float16':
    case 'int32':
    case 'uint32':
      return 4;
    case 'int16':
    case 'uint16':
      return 2;
    default:
      return 1;
  }
}

export function allocate<D extends DType>(dtype: D, length: number): DTypeStorage[D] {
  const ctor = storageCtor(dtype);
  return new ctor(length) as DTypeStorage[D];
}

type AnyCtor = new (n: number) => TensorData;

export function storageCtor(dtype: DType): AnyCtor {
  switch (dtype) {
    case 'float32':
    case 'float16':
      return Float32Array;
    case 'float64':
      return Float64Array;
    case 'int8':
    case 'int4':
      return Int8Array;
    case 'uint8':
    case 'uint4':
    case 'bool':
      return Uint8Array;
    case 'int16':
      return Int16Array;
    case 'uint16':
      return Uint16Array;
    case 'int32':
      return Int32Array;
    case 'uint32':
      return Uint32Array;
    case 'int64':
      return BigInt64Array;
    case 'uint64':
      return BigUint64Array;
  }
}

export function isFloat(dtype: DType): boolean {
  return dtype === 'float32' || dtype === 'float64' || dtype === 'float16';
}

export function isBigInt(dtype: DType): dtype is 'int64' | 'uint64' {
  return dtype === 'int64' || dtype === 'uint64';
}

/** Integer range of a (non-64-bit) integer dtype. */
export function intRange(dtype: DType): [number, number] {
  switch (dtype) {
    case 'int8':
      return [-128, 127];
    case 'uint8':
      return [0, 255];
    case 'int16':
      return [-32768, 32767];
    case 'uint16':
      return [0, 65535];
    case 'int32':
      return [-2147483648, 2147483647];
    case 'uint32':
      return [0, 4294967295];
    case 'int4':
      return [-8, 7];
    case 'uint4':
      return [0, 15];
    case 'bool':
      return [0, 1];
    default:
      throw new Error(`intRange: ${dtype} is not a bounded integer type`);
  }
}

/** Reads element i as a JS number, whatever the storage (int64 via Number()). */
export function getNumber(data: TensorData, i: number): number {
  const v = data[i];
  return typeof v === 'bigint' ? Number(v) : (v as number);
}

/** Converts any tensor data to a plain number array (for shape tensors, axes, etc.). */
export function toNumbers(data: TensorData): number[] {
  const out = new Array<number>(data.length);
  for (let i = 0; i < data.length; i++) out[i] = getNumber(data, i);
  return out;
}

/** Copies `src` into a new array of `dtype`, converting values (saturation is the caller's job). */
export function convertData(src: TensorData, dtype: DType): TensorData {
  const out = allocate(dtype, src.length);
  if (isBigInt(dtype)) {
    const o = out as BigInt64Array | BigUint64Array;
    for (let i = 0; i < src.length; i++) {
      const v = src[i];
      o[i] = typeof v === 'bigint' ? v : BigInt(Math.trunc(v as number));
    }
  } else {
    const o = out as NumericData;
    for (let i = 0; i < src.length; i++) o[i] = getNumber(src, i);
  }
  return out;
}

/** 4-bit values packed two per byte, element 2i in the low nibble and 2i + 1 in the high one
 * (ONNX's INT4 raw_data and CMSIS-NN's `_s4` weights agree); an odd count leaves the last high
 * nibble 0. */
export function packInt4(values: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(Math.ceil(values.length / 2));
  for (let i = 0; i < values.length; i++) out[i >> 1] |= (values[i] & 0xf) << ((i & 1) * 4);
  return out;
}
