/**
 * Kernels for the quantized ops with ONNX semantics, computed the way ONNX's reference
 * implementation (onnx/reference/ops) computes them so results match bit for bit:
 * float32 arithmetic where numpy stays in float32 (float16 where it stays in float16),
 * float64 where numpy promotes (int32 accumulator times a float scale), rounding half to
 * even, and saturation to the output type. Integer accumulation wraps like int32.
 */
import { allocate, intRange, type DType, type NumericData } from '../ir/dtype.js';
import { elementCount } from '../ir/graph.js';
import type { ConvAttrs } from '../ir/ops.js';
import type { Kernel, KernelTable, Value } from './types.js';
import { broadcastIndex, broadcastShape, req } from './util.js';

/** Rounds to the nearest integer, ties to even (numpy.rint / numpy.round). */
export function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Rounds a number to the nearest float16 value (ties to even), returned as a JS number. */
export function f16round(v: number): number {
  if (!Number.isFinite(v) || v === 0) return v;
  const a = Math.abs(v);
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  else if (2 ** (e + 1) <= a) e++;
  if (e < -14) e = -14; // subnormals share the smallest exponent
  const ulp = 2 ** (e - 10);
  const r = roundHalfEven(a / ulp) * ulp;
  if (r > 65504) return v > 0 ? Infinity : -Infinity;
  return v > 0 ? r : -r;
}

/** The float width numpy computes in: float16 op float16 stays float16, float16/float32
 * mixes give float32, anything with float64 or an integer array gives float64. */
type Precision = 16 | 32 | 64;

function precisionOf(dtype: DType): Precision {
  return dtype === 'float16' ? 16 : dtype === 'float32' ? 32 : 64;
}

function combine(a: Precision, b: Precision): Precision {
  return a === 16 && b === 16 ? 16 : a <= 32 && b <= 32 ? 32 : 64;
}

/** Rounds a (double) result of a numpy operation to the precision numpy stores it in;
 * float16 operations run in float32 and round to float16, as numpy does. */
function roundTo(p: Precision, v: number): number {
  return p === 32 ? Math.fround(v) : p === 16 ? f16round(Math.fround(v)) : v;
}

/**
 * Walks x in runs that share a quantization parameter pattern and calls
 * `run(start, len, pBase, pStep)`: elements start..start+len-1 use parameters
 * pBase, pBase+pStep, ... Per-tensor: one run; per-axis: one run per slice along axis;
 * blocked: one run per (outer, axis) position stepping through the scale's inner dims.
 */
function forEachParamRun(
  shape: readonly number[],
  pShape: readonly number[],
  axis: number,
  blockSize: number,
  run: (start: number, len: number, pBase: number, pStep: number) => void,
): void {
  const n = elementCount(shape);
  if (elementCount(pShape) === 1) {
    run(0, n, 0, 0);
    return;
  }
  let outer = 1;
  for (let i = 0; i < axis; i++) outer *= shape[i];
  let inner = 1;
  for (let i = axis + 1; i < shape.length; i++) inner *= shape[i];
  const dim = shape[axis];
  if (blockSize > 0) {
    const pDim = pShape[axis];
    for (let o = 0; o < outer; o++) {
      for (let c = 0; c < dim; c++) run((o * dim + c) * inner, inner, (o * pDim + Math.floor(c / blockSize)) * inner, 1);
    }
    return;
  }
  for (let o = 0; o < outer; o++) for (let c = 0; c < dim; c++) run((o * dim + c) * inner, inner, c, 0);
}

const quantizeLinear: Kernel<'QuantizeLinear'> = (n, inputs) => {
  const x = req(inputs, 0);
  const s = req(inputs, 1);
  const z = inputs[2];
  const { axis, blockSize, outputDtype } = n.attrs;
  const [lo, hi] = intRange(outputDtype);
  const xd = x.data as NumericData;
  const sd = s.data as NumericData;
  const zd = z ? (z.data as NumericData) : undefined;
  const out = allocate(outputDtype, xd.length) as NumericData;
  // x / y_scale: float32 for float inputs, float64 for int32 x (numpy promotion).
  const p = x.dtype === 'int32' ? 64 : combine(precisionOf(x.dtype), precisionOf(s.dtype));
  forEachParamRun(x.shape, s.shape, axis, blockSize, (start, len, pBase, pStep) => {
    for (let i = 0; i < len; i++) {
      const pi = pBase + i * pStep;
      const q = roundHalfEven(roundTo(p, xd[start + i] / sd[pi])) + (zd ? zd[pi] : 0);
      // Saturate; NaN goes to the low end, as the reference's int32 cast does.
      out[start + i] = q >= lo ? (q <= hi ? q : hi) : lo;
    }
  });
  return [{ dtype: outputDtype, shape: x.shape, data: out }];
};

const dequantizeLinear: Kernel<'DequantizeLinear'> = (n, inputs) => {
  const x = req(inputs, 0);
  const s = req(inputs, 1);
  const z = inputs[2];
  const { axis, blockSize, outputDtype } = n.attrs;
  const xd = x.data as NumericData;
  const sd = s.data as NumericData;
  const zd = z ? (z.data as NumericData) : undefined;
  const out = allocate(outputDtype, xd.length) as NumericData;
  // (float32(x) - zero_point) * scale, stored in the scale's type.
  const wide = x.dtype === 'int32';
  const p = precisionOf(s.dtype);
  forEachParamRun(x.shape, s.shape, axis, blockSize, (start, len, pBase, pStep) => {
    for (let i = 0; i < len; i++) {
      const pi = pBase + i * pStep;
      const v = wide ? Math.fround(xd[start + i]) : xd[start + i];
      out[start + i] = roundTo(p, (v - (zd ? zd[pi] : 0)) * sd[pi]);
    }
  });
  return [{ dtype: outputDtype, shape: x.shape, data: out }];
};

/** data - zeroPoint as int32, with the zero point per tensor (one value) or, when
 * `perBlock` > 0, one value per consecutive block of `perBlock` elements. */
function subtractZeroPoint(data: NumericData, zp: Value | undefined, perBlock = 0): Int32Array {
  const out = new Int32Array(data.length);
  if (!zp) {
    out.set(data);
    return out;
  }
  const z = zp.data as NumericData;
  if (z.length === 1 || perBlock === 0) {
    const z0 = z[0];
    for (let i = 0; i < data.length; i++) out[i] = data[i] - z0;
    return out;
  }
  for (let i = 0; i < data.length; i++) out[i] = data[i] - z[Math.floor(i / perBlock)];
  return out;
}

/** Output spatial dims from the resolved window (pads are explicit after import). */
function convOutSpatial(inSp: readonly number[], a: ConvAttrs): number[] {
  const r = inSp.length;
  return inSp.map((d, i) => Math.floor((d + a.pads[i] + a.pads[i + r] - ((a.kernel[i] - 1) * a.dilations[i] + 1)) / a.strides[i]) + 1);
}

/**
 * Integer convolution of zero-point-corrected operands, with an optional int32 bias:
 * out[n, m, ...] = bias[m] + sum(x * w) over the window, wrapping like int32. Padding
 * contributes nothing (it is the zero point in the quantized domain).
 */
function convInt(
  xs: Int32Array,
  xShape: readonly number[],
  ws: Int32Array,
  wShape: readonly number[],
  a: ConvAttrs,
  bias: NumericData | undefined,
): { data: Int32Array; shape: number[] } {
  const [nb, c] = xShape;
  const [m, cg] = wShape;
  const inSp = xShape.slice(2);
  const outSp = convOutSpatial(inSp, a);
  const shape = [nb, m, ...outSp];
  const out = new Int32Array(elementCount(shape));
  const mg = m / a.group;
  const r = inSp.length;
  if (r <= 2) {
    // 1-D runs as 2-D with a height of 1.
    const two = r === 2;
    const H = two ? inSp[0] : 1;
    const W = inSp[r - 1];
    const KH = two ? a.kernel[0] : 1;
    const KW = a.kernel[r - 1];
    const OH = two ? outSp[0] : 1;
    const OW = outSp[r - 1];
    const sH = two ? a.strides[0] : 1;
    const sW = a.strides[r - 1];
    const dH = two ? a.dilations[0] : 1;
    const dW = a.dilations[r - 1];
    const pT = two ? a.pads[0] : 0;
    const pL = a.pads[r - 1];
    const HW = H * W;
    const KK = KH * KW;
    const plane = OH * OW;
    // Weight-stationary loops: for each weight, a multiply-add over the output rows it
    // reaches, so the innermost loop is a plain strided sweep with no bounds checks.
    const acc = new Float64Array(plane);
    for (let b = 0; b < nb; b++) {
      for (let oc = 0; oc < m; oc++) {
        const g = Math.floor(oc / mg);
        acc.fill(bias ? bias[oc] : 0);
        for (let ci = 0; ci < cg; ci++) {
          const xc = (b * c + g * cg + ci) * HW;
          const wc = (oc * cg + ci) * KK;
          for (let kh = 0; kh < KH; kh++) {
            const dh = kh * dH - pT; // ih = oh * sH + dh
            const ohLo = dh < 0 ? Math.ceil(-dh / sH) : 0;
            const ohHi = Math.min(OH, Math.floor((H - 1 - dh) / sH) + 1);
            for (let kw = 0; kw < KW; kw++) {
              const wv = ws[wc + kh * KW + kw];
              if (wv === 0) continue;
              const dw = kw * dW - pL; // iw = ow * sW + dw
              const owLo = dw < 0 ? Math.ceil(-dw / sW) : 0;
              const owHi = Math.min(OW, Math.floor((W - 1 - dw) / sW) + 1);
              for (let oh = ohLo; oh < ohHi; oh++) {
                const xr = xc + (oh * sH + dh) * W + dw;
                const ar = oh * OW;
                for (let ow = owLo; ow < owHi; ow++) acc[ar + ow] += wv * xs[xr + ow * sW];
              }
            }
          }
        }
        // Sums of 8-bit products are exact in a double; the Int32Array store wraps like int32.
        out.set(acc, (b * m + oc) * plane);
      }
    }
    return { data: out, shape };
  }
  // Three or more spatial dims: a table of input offsets (-1: padding) per output
  // position and kernel position.
  const inCount = elementCount(inSp);
  const kCount = elementCount(a.kernel);
  const oCount = elementCount(outSp);
  const offs = new Int32Array(oCount * kCount);
  const oIdx = new Array<number>(r);
  const kIdx = new Array<number>(r);
  for (let p = 0; p < oCount; p++) {
    let rem = p;
    for (let d = r - 1; d >= 0; d--) {
      oIdx[d] = rem % outSp[d];
      rem = Math.floor(rem / outSp[d]);
    }
    for (let k = 0; k < kCount; k++) {
      let kr = k;
      for (let d = r - 1; d >= 0; d--) {
        kIdx[d] = kr % a.kernel[d];
        kr = Math.floor(kr / a.kernel[d]);
      }
      let off = 0;
      for (let d = 0; d < r; d++) {
        const i = oIdx[d] * a.strides[d] - a.pads[d] + kIdx[d] * a.dilations[d];
        if (i < 0 || i >= inSp[d]) {
          off = -1;
          break;
        }
        off = off * inSp[d] + i;
      }
      offs[p * kCount + k] = off;
    }
  }
  for (let b = 0; b < nb; b++) {
    for (let oc = 0; oc < m; oc++) {
      const g = Math.floor(oc / mg);
      const xBase = (b * c + g * cg) * inCount;
      const wBase = oc * cg * kCount;
      const b0 = bias ? bias[oc] : 0;
      const oBase = (b * m + oc) * oCount;
      for (let p = 0; p < oCount; p++) {
        let acc = b0;
        const tb = p * kCount;
        for (let ci = 0; ci < cg; ci++) {
          const xc = xBase + ci * inCount;
          const wc = wBase + ci * kCount;
          for (let k = 0; k < kCount; k++) {
            const off = offs[tb + k];
            if (off >= 0) acc += xs[xc + off] * ws[wc + k];
          }
        }
        out[oBase + p] = acc;
      }
    }
  }
  return { data: out, shape };
}

/** Zero-point-corrected conv operands: x minus its (per-tensor) zero point, w minus its
 * per-tensor or per-output-channel zero point. */
function convOperands(x: Value, xZp: Value | undefined, w: Value, wZp: Value | undefined): [Int32Array, Int32Array] {
  const perChannel = elementCount(w.shape) / w.shape[0];
  return [subtractZeroPoint(x.data as NumericData, xZp), subtractZeroPoint(w.data as NumericData, wZp, perChannel)];
}

const convInteger: Kernel<'ConvInteger'> = (n, inputs) => {
  const x = req(inputs, 0);
  const w = req(inputs, 1);
  const [xs, ws] = convOperands(x, inputs[2], w, inputs[3]);
  const { data, shape } = convInt(xs, x.shape, ws, w.shape, n.attrs, undefined);
  return [{ dtype: 'int32', shape, data }];
};

/** The float multiplier in_scale * w_scale / out_scale, rounded at each step as numpy does. */
function multiplier(sa: number, sb: number, sy: number, pab: Precision, py: Precision): number {
  return roundTo(py, roundTo(pab, sa * sb) / sy);
}

/** Saturating requantization of an int32 accumulator: round_half_even(acc * mult + zp),
 * computed in float64 like numpy (int32 array times a float scale). */
function requant(acc: number, mult: number, zp: number, lo: number, hi: number): number {
  const r = acc * mult + zp;
  const c = r >= lo ? (r <= hi ? r : hi) : lo;
  return roundHalfEven(c);
}

const qlinearConv: Kernel<'QLinearConv'> = (n, inputs) => {
  const x = req(inputs, 0);
  const w = req(inputs, 3);
  const xScale = req(inputs, 1);
  const wScale = req(inputs, 4);
  const yScale = req(inputs, 6);
  const yZp = inputs[7];
  const bias = inputs[8];
  const [xs, ws] = convOperands(x, inputs[2], w, inputs[5]);
  const { data: acc, shape } = convInt(xs, x.shape, ws, w.shape, n.attrs, bias?.data as NumericData | undefined);
  const outDtype = yZp ? yZp.dtype : x.dtype;
  const [lo, hi] = intRange(outDtype);
  const pab = combine(precisionOf(xScale.dtype), precisionOf(wScale.dtype));
  const py = combine(pab, precisionOf(yScale.dtype));
  const sx = getParam(xScale, 0);
  const sy = getParam(yScale, 0);
  const zy = yZp ? getParam(yZp, 0) : 0;
  const wsd = wScale.data as NumericData;
  const m = w.shape[0];
  const plane = acc.length / (shape[0] * m);
  const out = allocate(outDtype, acc.length) as NumericData;
  for (let oc = 0; oc < m; oc++) {
    const mult = multiplier(sx, wsd[wsd.length === 1 ? 0 : oc], sy, pab, py);
    for (let b = 0; b < shape[0]; b++) {
      const base = (b * m + oc) * plane;
      for (let i = base; i < base + plane; i++) out[i] = requant(acc[i], mult, zy, lo, hi);
    }
  }
  return [{ dtype: outDtype, shape, data: out }];
};

function getParam(v: Value, i: number): number {
  return (v.data as NumericData)[i];
}

/** numpy.matmul operand shapes with 1-D operands promoted to matrices. */
function promoted(shape: readonly number[], side: 'a' | 'b'): number[] {
  if (shape.length !== 1) return [...shape];
  return side === 'a' ? [1, shape[0]] : [shape[0], 1];
}

/** Shape a matmul parameter (zero point or scale) broadcasts with: a 1-D parameter is
 * per row of a ([M, 1]) or per column of b ([N]); an N-D one broadcasts as it is. */
function paramShape(p: Value, side: 'a' | 'b'): readonly number[] {
  if (elementCount(p.shape) === 1) return [];
  return p.shape.length === 1 && side === 'a' ? [p.shape[0], 1] : p.shape;
}

/** Flat index into parameter `p` for every element of `target` (null: a single value). */
function paramIndex(p: Value | undefined, pShape: readonly number[], target: readonly number[]): Int32Array | null {
  if (!p || elementCount(p.shape) === 1) return null;
  const idx = broadcastIndex(pShape, target);
  if (idx) return idx;
  const id = new Int32Array(elementCount(target));
  for (let i = 0; i < id.length; i++) id[i] = i;
  return id;
}

/** Operand minus its zero point (broadcast per row/column/N-D as the spec allows). */
function matmulOperand(v: Value, zp: Value | undefined, shape: readonly number[], side: 'a' | 'b'): Int32Array {
  const d = v.data as NumericData;
  if (!zp || elementCount(zp.shape) === 1) return subtractZeroPoint(d, zp);
  const z = zp.data as NumericData;
  const idx = paramIndex(zp, paramShape(zp, side), shape)!;
  const out = new Int32Array(d.length);
  for (let i = 0; i < d.length; i++) out[i] = d[i] - z[idx[i]];
  return out;
}

/** Batched int32 matmul with numpy broadcasting over the batch dims (promoted shapes);
 * accumulation wraps like int32. */
function matmulInt(a: Int32Array, ap: readonly number[], b: Int32Array, bp: readonly number[]): { data: Int32Array; shape: number[] } {
  const M = ap[ap.length - 2];
  const K = ap[ap.length - 1];
  const N = bp[bp.length - 1];
  const aBatch = ap.slice(0, -2);
  const bBatch = bp.slice(0, -2);
  const batch = broadcastShape(aBatch, bBatch);
  const nb = elementCount(batch);
  const ia = broadcastIndex(aBatch, batch);
  const ib = broadcastIndex(bBatch, batch);
  const out = new Int32Array(nb * M * N);
  const row = new Float64Array(N);
  for (let t = 0; t < nb; t++) {
    const aOff = (ia ? ia[t] : t) * M * K;
    const bOff = (ib ? ib[t] : t) * K * N;
    const oOff = t * M * N;
    for (let i = 0; i < M; i++) {
      row.fill(0);
      for (let k = 0; k < K; k++) {
        const av = a[aOff + i * K + k];
        if (av === 0) continue;
        const bRow = bOff + k * N;
        for (let j = 0; j < N; j++) row[j] += av * b[bRow + j];
      }
      // Sums of 8-bit products stay far below 2^53: exact; the store wraps like int32.
      out.set(row, oOff + i * N);
    }
  }
  return { data: out, shape: [...batch, M, N] };
}

function matmulOutShape(a: readonly number[], b: readonly number[], pshape: readonly number[]): number[] {
  const out = pshape.slice(0, -2);
  if (a.length > 1) out.push(pshape[pshape.length - 2]);
  if (b.length > 1) out.push(pshape[pshape.length - 1]);
  return out;
}

const matMulInteger: Kernel<'MatMulInteger'> = (_n, inputs) => {
  const a = req(inputs, 0);
  const b = req(inputs, 1);
  const ap = promoted(a.shape, 'a');
  const bp = promoted(b.shape, 'b');
  const { data, shape } = matmulInt(matmulOperand(a, inputs[2], ap, 'a'), ap, matmulOperand(b, inputs[3], bp, 'b'), bp);
  return [{ dtype: 'int32', shape: matmulOutShape(a.shape, b.shape, shape), data }];
};

const qlinearMatMul: Kernel<'QLinearMatMul'> = (_n, inputs) => {
  const a = req(inputs, 0);
  const b = req(inputs, 3);
  const aScale = req(inputs, 1);
  const bScale = req(inputs, 4);
  const yScale = req(inputs, 6);
  const yZp = inputs[7];
  const ap = promoted(a.shape, 'a');
  const bp = promoted(b.shape, 'b');
  const { data: acc, shape: pshape } = matmulInt(matmulOperand(a, inputs[2], ap, 'a'), ap, matmulOperand(b, inputs[5], bp, 'b'), bp);
  const shape = matmulOutShape(a.shape, b.shape, pshape);
  const outDtype = yZp ? yZp.dtype : a.dtype;
  const [lo, hi] = intRange(outDtype);
  const pab = combine(precisionOf(aScale.dtype), precisionOf(bScale.dtype));
  const py = combine(pab, precisionOf(yScale.dtype));
  const out = allocate(outDtype, acc.length) as NumericData;
  // a's and b's parameters index the promoted [..., M, N] layout, y's the output shape;
  // both describe the same flat order.
  const iaS = paramIndex(aScale, paramShape(aScale, 'a'), pshape);
  const ibS = paramIndex(bScale, paramShape(bScale, 'b'), pshape);
  const iyS = paramIndex(yScale, yScale.shape, shape);
  const iyZ = yZp ? paramIndex(yZp, yZp.shape, shape) : null;
  const asd = aScale.data as NumericData;
  const bsd = bScale.data as NumericData;
  const ysd = yScale.data as NumericData;
  const yzd = yZp ? (yZp.data as NumericData) : undefined;
  if (!iaS && !ibS && !iyS && !iyZ) {
    const mult = multiplier(asd[0], bsd[0], ysd[0], pab, py);
    const zy = yzd ? yzd[0] : 0;
    for (let i = 0; i < acc.length; i++) out[i] = requant(acc[i], mult, zy, lo, hi);
  } else {
    for (let i = 0; i < acc.length; i++) {
      const mult = multiplier(asd[iaS ? iaS[i] : 0], bsd[ibS ? ibS[i] : 0], ysd[iyS ? iyS[i] : 0], pab, py);
      out[i] = requant(acc[i], mult, yzd ? yzd[iyZ ? iyZ[i] : 0] : 0, lo, hi);
    }
  }
  return [{ dtype: outDtype, shape, data: out }];
};

export const quantKernels = {
  QuantizeLinear: quantizeLinear,
  DequantizeLinear: dequantizeLinear,
  QLinearConv: qlinearConv,
  ConvInteger: convInteger,
  MatMulInteger: matMulInteger,
  QLinearMatMul: qlinearMatMul,
} satisfies Partial<KernelTable>;
