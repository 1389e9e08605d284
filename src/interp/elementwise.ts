/** Kernels for the elementwise family: Add, Sub, Mul, Div with numpy broadcasting (float
 * and integer dtypes, ONNX/C integer semantics) and Cast. */
import { allocate, intRange, isBigInt, isFloat, type DType, type NumericData, type TensorData } from '../ir/dtype.js';
import { elementCount, stridesOf } from '../ir/graph.js';
import type { Kernel, KernelTable, Value } from './types.js';
import { broadcastShape, req, roundToFloat16 } from './util.js';

type BinaryOp = 'Add' | 'Sub' | 'Mul' | 'Div';

/** A broadcast iteration plan: `outer` blocks of `inner` contiguous output elements; within a
 * block input a advances by `aStep` (0 or 1) per element, input b by `bStep`. */
interface Plan {
  outShape: number[];
  n: number;
  inner: number;
  aStep: number;
  bStep: number;
  /** Outer dims (outermost first) with each input's stride along them. */
  dims: number[];
  aStrides: number[];
  bStrides: number[];
}

/** Plans a broadcast of shapes a and b, merging adjacent dims that are contiguous (or
 * broadcast) in both inputs so the inner loop is as long as possible. */
export function planBroadcast(aShape: readonly number[], bShape: readonly number[]): Plan {
  const outShape = broadcastShape(aShape, bShape);
  const rank = outShape.length;
  const n = elementCount(outShape);
  const strideIn = (shape: readonly number[]): number[] => {
    const s = stridesOf(shape);
    const out = new Array<number>(rank).fill(0);
    for (let i = 0; i < shape.length; i++) out[rank - shape.length + i] = shape[i] === 1 ? 0 : s[i];
    return out;
  };
  const sa = strideIn(aShape);
  const sb = strideIn(bShape);
  // Drop size-1 output dims: they contribute nothing to the iteration.
  const dims: number[] = [];
  const as: number[] = [];
  const bs: number[] = [];
  for (let d = 0; d < rank; d++) {
    if (outShape[d] === 1) continue;
    dims.push(outShape[d]);
    as.push(sa[d]);
    bs.push(sb[d]);
  }
  let inner = 1;
  let aStep = 1;
  let bStep = 1;
  if (dims.length > 0) {
    inner = dims.pop()!;
    aStep = as.pop()!;
    bStep = bs.pop()!;
    // Merge outer dims while both inputs stay contiguous (step 1) or broadcast (step 0).
    while (dims.length > 0) {
      const d = dims.length - 1;
      const aOk = aStep === 1 ? as[d] === inner : as[d] === 0;
      const bOk = bStep === 1 ? bs[d] === inner : bs[d] === 0;
      if (!aOk || !bOk) break;
      inner *= dims.pop()!;
      as.pop();
      bs.pop();
    }
  }
  return { outShape, n, inner, aStep, bStep, dims, aStrides: as, bStrides: bs };
}

/** Runs `block(outOffset, aOffset, bOffset)` once per inner block of the plan. */
function forEachBlock(p: Plan, block: (o: number, a: number, b: number) => void): void {
  if (p.n === 0) return;
  const rank = p.dims.length;
  const counter = new Array<number>(rank).fill(0);
  let ao = 0;
  let bo = 0;
  for (let o = 0; o < p.n; o += p.inner) {
    block(o, ao, bo);
    for (let d = rank - 1; d >= 0; d--) {
      counter[d]++;
      ao += p.aStrides[d];
      bo += p.bStrides[d];
      if (counter[d] < p.dims[d]) break;
      ao -= p.aStrides[d] * counter[d];
      bo -= p.bStrides[d] * counter[d];
      counter[d] = 0;
    }
  }
}

type NumBlock = (o: NumericData | Float64Array, oo: number, a: NumericData, ao: number, as: number, b: NumericData, bo: number, bs: number, len: number) => void;
type BigBlock = (o: BigInt64Array | BigUint64Array, oo: number, a: BigInt64Array | BigUint64Array, ao: number, as: number,
  b: BigInt64Array | BigUint64Array, bo: number, bs: number, len: number) => void;

// Number loops. Typed-array stores give the integer semantics: values are truncated toward
// zero and wrapped to the dtype (ToInt8/ToUint32/...), NaN and ±Infinity (integer division
// by zero) store as 0. Integer Mul uses Math.imul so 32-bit products wrap exactly.
const addN: NumBlock = (o, oo, a, ao, as, b, bo, bs, len) => {
  for (let i = 0; i < len; i++) o[oo + i] = a[ao + i * as] + b[bo + i * bs];
};
const subN: NumBlock = (o, oo, a, ao, as, b, bo, bs, len) => {
  for (let i = 0; i < len; i++) o[oo + i] = a[ao + i * as] - b[bo + i * bs];
};
const mulF: NumBlock = (o, oo, a, ao, as, b, bo, bs, len) => {
  for (let i = 0; i < len; i++) o[oo + i] = a[ao + i * as] * b[bo + i * bs];
};
const mulI: NumBlock = (o, oo, a, ao, as, b, bo, bs, len) => {
  for (let i = 0; i < len; i++) o[oo + i] = Math.imul(a[ao + i * as], b[bo + i * bs]);
};
const divN: NumBlock = (o, oo, a, ao, as, b, bo, bs, len) => {
  for (let i = 0; i < len; i++) o[oo + i] = a[ao + i * as] / b[bo + i * bs];
};

// BigInt loops: BigInt64Array/BigUint64Array stores wrap modulo 2^64; BigInt division
// truncates toward zero; division by zero gives 0 (it is undefined behaviour in ONNX/C).
const addB: BigBlock = (o, oo, a, ao, as, b, bo, bs, len) => {
  for (let i = 0; i < len; i++) o[oo + i] = a[ao + i * as] + b[bo + i * bs];
};
const subB: BigBlock = (o, oo, a, ao, as, b, bo, bs, len) => {
  for (let i = 0; i < len; i++) o[oo + i] = a[ao + i * as] - b[bo + i * bs];
};
const mulB: BigBlock = (o, oo, a, ao, as, b, bo, bs, len) => {
  for (let i = 0; i < len; i++) o[oo + i] = a[ao + i * as] * b[bo + i * bs];
};
const divB: BigBlock = (o, oo, a, ao, as, b, bo, bs, len) => {
  for (let i = 0; i < len; i++) {
    const d = b[bo + i * bs];
    o[oo + i] = d === 0n ? 0n : a[ao + i * as] / d;
  }
};

const BIG: Record<BinaryOp, BigBlock> = { Add: addB, Sub: subB, Mul: mulB, Div: divB };

/** Elementwise binary op of two same-dtype values with numpy broadcasting. */
export function binary(op: BinaryOp, a: Value, b: Value): Value {
  const dtype = a.dtype;
  const p = planBroadcast(a.shape, b.shape);
  const { inner, aStep, bStep } = p;
  if (isBigInt(dtype)) {
    const out = allocate(dtype, p.n) as BigInt64Array | BigUint64Array;
    const ad = a.data as BigInt64Array | BigUint64Array;
    const bd = b.data as BigInt64Array | BigUint64Array;
    const f = BIG[op];
    forEachBlock(p, (o, ao, bo) => f(out, o, ad, ao, aStep, bd, bo, bStep, inner));
    return { dtype, shape: p.outShape, data: out };
  }
  const float = isFloat(dtype);
  const f = op === 'Add' ? addN : op === 'Sub' ? subN : op === 'Div' ? divN : float ? mulF : mulI;
  // float16 is computed in float64 and rounded once, so results match IEEE half arithmetic.
  const out = dtype === 'float16' ? new Float64Array(p.n) : (allocate(dtype, p.n) as NumericData);
  const ad = a.data as NumericData;
  const bd = b.data as NumericData;
  forEachBlock(p, (o, ao, bo) => f(out, o, ad, ao, aStep, bd, bo, bStep, inner));
  let data: TensorData = out;
  if (dtype === 'float16') {
    const r = new Float32Array(p.n);
    for (let i = 0; i < p.n; i++) r[i] = roundToFloat16(out[i]);
    data = r;
  }
  return { dtype, shape: p.outShape, data };
}

const binaryKernel = <K extends BinaryOp>(op: K): Kernel<K> => (_n, inputs) => [binary(op, req(inputs, 0), req(inputs, 1))];

/** Bits of each bounded integer dtype (for wrapping conversions). */
function intBits(dtype: DType): number {
  switch (dtype) {
    case 'int4':
    case 'uint4':
      return 4;
    case 'int8':
    case 'uint8':
      return 8;
    case 'int16':
    case 'uint16':
      return 16;
    default:
      return 32;
  }
}

const isSigned = (dtype: DType) => dtype === 'int4' || dtype === 'int8' || dtype === 'int16' || dtype === 'int32' || dtype === 'int64';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/**
 * ONNX Cast between float, integer and bool types:
 * - float → float: rounded to nearest (float16 half-to-even); out of range gives ±Infinity;
 * - float → integer: truncated toward zero; out of range (undefined in ONNX) saturates to the
 *   dtype's range, NaN gives 0;
 * - integer → integer: the low bits are kept (two's complement wrap), e.g. 200 int16 → -56 int8;
 * - integer → float: nearest value (±Infinity when out of float16's range);
 * - anything → bool: zero is false, everything else (NaN included) true; bool → x: 0 or 1.
 */
export function cast(x: Value, to: DType): Value {
  const from = x.dtype;
  const n = x.data.length;
  const src = x.data;
  if (to === 'bool') {
    const out = new Uint8Array(n);
    if (isBigInt(from)) {
      const s = src as BigInt64Array | BigUint64Array;
      for (let i = 0; i < n; i++) out[i] = s[i] !== 0n ? 1 : 0;
    } else {
      const s = src as NumericData;
      for (let i = 0; i < n; i++) out[i] = s[i] !== 0 ? 1 : 0;
    }
    return { dtype: to, shape: x.shape, data: out };
  }
  if (isFloat(to)) {
    const out = allocate(to, n) as Float32Array | Float64Array;
    const half = to === 'float16';
    if (isBigInt(from)) {
      const s = src as BigInt64Array | BigUint64Array;
      for (let i = 0; i < n; i++) out[i] = half ? roundToFloat16(Number(s[i])) : Number(s[i]);
    } else {
      const s = src as NumericData;
      if (half) for (let i = 0; i < n; i++) out[i] = roundToFloat16(s[i]);
      else out.set(s);
    }
    return { dtype: to, shape: x.shape, data: out };
  }
  if (isBigInt(to)) {
    const out = allocate(to, n) as BigInt64Array | BigUint64Array;
    if (isBigInt(from)) {
      // 64-bit → 64-bit: the store wraps modulo 2^64.
      const s = src as BigInt64Array | BigUint64Array;
      for (let i = 0; i < n; i++) out[i] = s[i];
    } else if (isFloat(from)) {
      const s = src as NumericData;
      const lo = to === 'int64' ? INT64_MIN : 0n;
      const hi = to === 'int64' ? INT64_MAX : UINT64_MAX;
      for (let i = 0; i < n; i++) {
        const v = s[i];
        if (Number.isNaN(v)) out[i] = 0n;
        else if (v <= -Infinity || v >= Infinity) out[i] = v > 0 ? hi : lo;
        else {
          const b = BigInt(Math.trunc(v));
          out[i] = b < lo ? lo : b > hi ? hi : b;
        }
      }
    } else {
      const s = src as NumericData;
      for (let i = 0; i < n; i++) out[i] = BigInt(s[i]);
    }
    return { dtype: to, shape: x.shape, data: out };
  }
  // Bounded integer destination (int4 .. uint32).
  const out = allocate(to, n) as NumericData;
  const bits = intBits(to);
  const signed = isSigned(to);
  if (isFloat(from)) {
    const [lo, hi] = intRange(to);
    const s = src as NumericData;
    for (let i = 0; i < n; i++) {
      const v = Math.trunc(s[i]);
      out[i] = v < lo ? lo : v > hi ? hi : v === v ? v : 0;
    }
  } else if (isBigInt(from)) {
    const s = src as BigInt64Array | BigUint64Array;
    for (let i = 0; i < n; i++) out[i] = Number(signed ? BigInt.asIntN(bits, s[i]) : BigInt.asUintN(bits, s[i]));
  } else if (bits === 4) {
    const s = src as NumericData;
    for (let i = 0; i < n; i++) {
      const v = s[i] & 15;
      out[i] = signed && v > 7 ? v - 16 : v;
    }
  } else {
    // The typed-array store keeps the low bits (ToInt8, ToUint16, ...).
    out.set(src as NumericData);
  }
  return { dtype: to, shape: x.shape, data: out };
}

export const elementwiseKernels = {
  Add: binaryKernel('Add'),
  Sub: binaryKernel('Sub'),
  Mul: binaryKernel('Mul'),
  Div: binaryKernel('Div'),
  Cast: (n, inputs) => [cast(req(inputs, 0), n.attrs.to)],
} satisfies Partial<KernelTable>;
