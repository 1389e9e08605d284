/**
 * The JSON form of every op's attributes (src/ir/ops.ts, src/ir/qops.ts): one record codec per
 * op, type-checked against its attribute interface, so an op added to the IR without a row here
 * does not compile. Reading requires exactly these fields.
 */
import type { DType } from './dtype.js';
import { arrayOf, bool, float, int, malformed, readObject, stringCodec, typedArrayCodec, type Codec, type Json } from './json-codec.js';
import type { OpAttrMap, OpName, PadAttrs, PoolAttrs, WindowAttrs } from './ops.js';
import type { ActClamp, OperandRequant } from './qops.js';

/** One codec per field of A, in the order they are written. */
type Fields<A> = { [P in keyof A]-?: Codec<A[P]> };

/** An object with exactly the fields of `fields`, in the object's own order: the order an
 * op's attributes were built in shows in printGraph, so it survives the round trip (and the
 * text still depends only on the graph). Writing an object with other fields is a qgc bug. */
export function record<A>(fields: Fields<A>): Codec<A> {
  const keys = Object.keys(fields) as (keyof A & string)[];
  return {
    write(value) {
      const own = Object.keys(value as object) as (keyof A & string)[];
      const odd = [...own.filter((k) => !keys.includes(k)).map((k) => `unexpected '${k}'`), ...keys.filter((k) => !own.includes(k)).map((k) => `no '${k}'`)];
      if (odd.length > 0) throw new Error(`internal: the attributes do not match the op's fields (${odd.join(', ')})`);
      const out: Record<string, Json> = {};
      for (const k of own) out[k] = fields[k].write(value[k]);
      return out;
    },
    read(v, at, ctx) {
      const o = readObject(v, at, ctx, keys);
      const out = {} as A;
      for (const k of Object.keys(o) as (keyof A & string)[]) out[k] = fields[k].read(o[k], `${at}.${k}`, ctx);
      return out;
    },
  };
}

const DTYPES: Record<DType, true> = {
  float32: true, float64: true, float16: true, int8: true, uint8: true, int16: true, uint16: true,
  int32: true, uint32: true, int64: true, uint64: true, bool: true, int4: true, uint4: true,
};

/** A DType name. */
export const dtypeCodec: Codec<DType> = stringCodec(Object.keys(DTYPES) as DType[]);

const ints = arrayOf(int);
const int32s = typedArrayCodec(['int32']);
const int8s = typedArrayCodec(['int8']);
const multiplier = record<{ multiplier: number; shift: number }>({ multiplier: int, shift: int });
const none = record<Record<string, never>>({});

const window: Fields<WindowAttrs> = { kernel: ints, strides: ints, dilations: ints, pads: ints };
const pool: Fields<PoolAttrs> = { ...window, countIncludePad: bool, ceilMode: bool };
const clamp: Fields<ActClamp> = { actMin: int, actMax: int };
const operand = record<OperandRequant>({ zeroPoint: int, multiplier: int, shift: int });
const conv = record<OpAttrMap['Conv']>({ ...window, group: int });
const axis = record<OpAttrMap['Flatten']>({ axis: int });
const shape = record<OpAttrMap['Reshape']>({ shape: ints });
const quantizeLinear = record<OpAttrMap['QuantizeLinear']>({ axis: int, saturate: bool, blockSize: int, outputDtype: dtypeCodec });
const boundary = record<OpAttrMap['Quantize']>({ scale: float, zeroPoint: int });
const padMode = stringCodec<PadAttrs['mode']>(['constant', 'reflect', 'edge', 'wrap']);
const block = record<OpAttrMap['DepthToSpace']>({ blocksize: int, mode: stringCodec<OpAttrMap['DepthToSpace']['mode']>(['DCR', 'CRD']) });
const reduce = record<OpAttrMap['ReduceMean']>({ axes: ints, keepdims: bool });

/** The attribute codec of every op. */
export const ATTR_CODECS: { [K in OpName]: Codec<OpAttrMap[K]> } = {
  Conv: conv,
  ConvInteger: conv,
  QLinearConv: conv,
  Gemm: record({ alpha: float, beta: float, transA: bool, transB: bool }),
  MatMul: none,
  MatMulInteger: none,
  QLinearMatMul: none,
  Add: none,
  Sub: none,
  Mul: none,
  Div: none,
  Relu: none,
  Clip: record({ min: float, max: float }),
  LeakyRelu: record({ alpha: float }),
  Sigmoid: none,
  HardSigmoid: record({ alpha: float, beta: float }),
  HardSwish: none,
  Tanh: none,
  Softmax: record({ axis: int, coerce2d: bool }),
  MaxPool: record(pool),
  AveragePool: record(pool),
  GlobalAveragePool: none,
  BatchNormalization: record({ epsilon: float }),
  Flatten: axis,
  Reshape: shape,
  Transpose: record({ perm: ints }),
  Concat: axis,
  Squeeze: shape,
  Unsqueeze: shape,
  Pad: record({ mode: padMode, pads: ints, value: float }),
  Identity: none,
  Shape: none,
  Gather: record({ axis: int }),
  Cast: record({ to: dtypeCodec }),
  Abs: none,
  Neg: none,
  Exp: none,
  Log: none,
  Sqrt: none,
  Reciprocal: none,
  Erf: none,
  Softplus: none,
  Gelu: record({ approximate: stringCodec<OpAttrMap['Gelu']['approximate']>(['none', 'tanh']) }),
  Pow: none,
  PRelu: none,
  Max: none,
  Min: none,
  ReduceMean: reduce,
  ReduceMax: reduce,
  ReduceMin: reduce,
  ReduceSum: reduce,
  ReduceL2: reduce,
  GlobalMaxPool: none,
  LayerNormalization: record({ axis: int, epsilon: float }),
  Where: none,
  Equal: none,
  Greater: none,
  Slice: record({ starts: ints, steps: ints, shape: ints }),
  Split: record({ axis: int, splits: ints }),
  Expand: shape,
  Tile: record({ repeats: ints }),
  DepthToSpace: block,
  SpaceToDepth: block,
  Resize: record({
    mode: stringCodec<OpAttrMap['Resize']['mode']>(['nearest', 'linear']),
    coordinateMode: stringCodec<OpAttrMap['Resize']['coordinateMode']>(['half_pixel', 'half_pixel_symmetric', 'pytorch_half_pixel', 'align_corners', 'asymmetric', 'tf_half_pixel_for_nn']),
    nearestMode: stringCodec<OpAttrMap['Resize']['nearestMode']>(['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil', 'simple']),
    scales: arrayOf(float),
    shape: ints,
  }),
  ConvTranspose: record({ ...window, group: int, outputPadding: ints }),
  ConstantOfShape: record({ dtype: dtypeCodec, value: float }),
  Range: none,
  QuantizeLinear: quantizeLinear,
  DequantizeLinear: quantizeLinear,
  QConv: record({ ...window, group: int, ...clamp, multiplier: int32s, shift: int32s, inputZeroPoint: int, outputZeroPoint: int }),
  QFullyConnected: record({ ...clamp, multiplier: int32s, shift: int32s, inputZeroPoint: int, outputZeroPoint: int }),
  QAdd: record({ ...clamp, leftShift: int, input1: operand, input2: operand, output: operand }),
  QBatchMatMul: record({ ...clamp, lhsZeroPoint: int, rhsZeroPoint: int, outputZeroPoint: int, multiplier: int, shift: int }),
  QMul: record({ ...clamp, input1ZeroPoint: int, input2ZeroPoint: int, outputZeroPoint: int, multiplier: int, shift: int }),
  QMaxPool: record({ ...pool, ...clamp }),
  QAveragePool: record({ ...pool, ...clamp }),
  QSoftmax: record({ multiplier: int, shift: int, diffMin: int }),
  QConcat: record({ axis: int, inputs: arrayOf(operand), outputZeroPoint: int }),
  QClamp: record(clamp),
  QSigmoid: record({ table: int8s }),
  QTanh: record({ table: int8s }),
  QHardSigmoid: record({ alpha: float, beta: float, table: int8s }),
  QHardSwish: record({ inputZeroPoint: int, outputZeroPoint: int, outputMultiplier: int, outputShift: int, reluishMultiplier: int, reluishShift: int }),
  QLeakyRelu: record({ alpha: float, inputZeroPoint: int, outputZeroPoint: int, identity: multiplier, negative: multiplier }),
  QPRelu: record({ inputZeroPoint: int, slopeZeroPoint: int, outputZeroPoint: int, identity: multiplier, negative: multiplier }),
  QMean: record({ axes: ints, keepdims: bool, inputZeroPoint: int, outputZeroPoint: int, multiplier: int, shift: int }),
  QReduceMax: record({ axes: ints, keepdims: bool }),
  Quantize: boundary,
  Dequantize: boundary,
};

/** True when `op` names an IR op. */
export function isOpName(op: string): op is OpName {
  return Object.prototype.hasOwnProperty.call(ATTR_CODECS, op);
}

/** Reads the op name of a node, refusing one the IR does not have. */
export const opCodec: Codec<OpName> = {
  write: (op) => op,
  read(v, at, ctx) {
    const op = stringCodec().read(v, at, ctx);
    if (!isOpName(op)) throw malformed(ctx, at, `unknown op '${op}'`);
    return op;
  },
};
