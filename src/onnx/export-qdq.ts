/**
 * Quantized IR → a standard QDQ ONNX model (opset 13 or later): every int8 op becomes its
 * float ONNX op between DequantizeLinear (inputs) and QuantizeLinear (output), with
 * - int8 weights as initializers behind a DequantizeLinear, per output channel via `axis`;
 *   4-bit weights (QuantParams.bits 4) as INT4 initializers, which needs opset 21 (the default
 *   for such graphs);
 * - int32 biases behind a DequantizeLinear with scale s_in * s_w[c];
 * - fused output clamps ([actMin, actMax]) as a Relu or Clip before the QuantizeLinear;
 * - the boundary Quantize/Dequantize as QuantizeLinear/DequantizeLinear on int8.
 *
 * A QDQ file states scales, not multipliers: the exporter refuses a graph whose multipliers,
 * shifts or clamps do not follow from its tensors' scales the way qgc computes them
 * (src/ir/intmath.ts), so `lowerQdq(import(exportQdq(g)))` gives back the same ops,
 * multipliers, shifts, zero points and weights. Names are kept: each int8 tensor of the IR is
 * the tensor of that name in the model, each int8 op's ONNX node has the op's name. The
 * bytes are a function of the graph alone (same graph, same bytes).
 */
import { CompileError, ErrorCode } from '../errors.js';
import type { Graph, Node, NodeOf, Tensor } from '../ir/graph.js';
import type { ActClamp, Requant } from '../ir/qops.js';
import {
  LUT_FUNCTIONS, activationClamp, addParams, batchMatMulParams, concatOperand, convRequant, hardSwishParams, leakyReluParams, lookupTable, meanParams, mulParams, preluParams,
  softmaxParams, subParams,
} from '../ir/intmath.js';
import { inGroup } from '../ir/ops.js';
import { attr, GraphBuilder, valueInfo } from './export-proto.js';
import { onnx } from './proto.js';

export interface ExportQdqOptions {
  /** Default-domain opset of the model, 13 to 21 (default 13; 14 for a graph with HardSwish; 21 when a weight has 4 bits). */
  opset?: number;
}

/** IR version that goes with each opset (onnx/helper.py's VERSION_TABLE). */
const IR_VERSION: Record<number, number> = { 13: 7, 14: 7, 15: 8, 16: 8, 17: 8, 18: 8, 19: 9, 20: 9, 21: 10 };

type Params = { scale: number; zeroPoint: number };

/** JSON with typed arrays as arrays and object keys sorted, for comparing parameter records. */
function canonical(v: unknown): string {
  return JSON.stringify(v, (_, x: unknown) => {
    if (ArrayBuffer.isView(x)) return Array.from(x as Int32Array);
    if (x && typeof x === 'object' && !Array.isArray(x)) return Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : 1)));
    return x;
  });
}
const same = (a: unknown, b: unknown): boolean => canonical(a) === canonical(b);

/** The ONNX element type of a quantized tensor: its storage type, or INT4 for 4-bit values. */
function onnxTypeOf(t: Tensor): 'int4' | 'int8' | 'int32' {
  if (t.quant?.bits === 4) return 'int4';
  return t.dtype === 'int32' ? 'int32' : 'int8';
}

/** True when the graph has 4-bit tensors (INT4 in ONNX: opset 21). */
function hasInt4(g: Graph): boolean {
  for (const t of g.tensors.values()) if (t.quant?.bits === 4) return true;
  return false;
}

class QdqWriter {
  readonly b: GraphBuilder;
  private readonly dqCache = new Map<string, string>();
  private readonly paramCache = new Map<string, [string, string]>();

  constructor(readonly g: Graph, readonly opset = 13) {
    this.b = new GraphBuilder(g.tensors.keys(), g.nodes.map((n) => n.name));
  }

  fail(n: Node, message: string, hint = 'Export graphs produced by qgc\'s quantizer or by lowerQdq.'): CompileError {
    return new CompileError(ErrorCode.BadGraph, `cannot be written as QDQ: ${message}`, { node: n.name, op: n.op }, hint);
  }

  tensor(name: string): Tensor {
    return this.g.tensors.get(name)!;
  }

  /** Per-tensor parameters of int8 tensor `name`. */
  act(n: Node, name: string): Params {
    const t = this.tensor(name);
    if (t.dtype !== 'int8' || !t.quant || t.quant.scale.length !== 1) {
      throw this.fail(n, `'${name}' is ${t.dtype}${t.quant ? ` with ${t.quant.scale.length} scales` : ' without quantization parameters'}; expected a per-tensor int8 activation`);
    }
    return { scale: t.quant.scale[0], zeroPoint: t.quant.zeroPoint[0] };
  }

  /** Scale and zero-point initializers of a quantized tensor (1-D with `axis` when per axis). */
  params(name: string): [string, string, number | undefined] {
    const t = this.tensor(name);
    const q = t.quant!;
    const perAxis = q.scale.length > 1 || q.axis !== undefined;
    const cached = this.paramCache.get(name);
    const dims = perAxis ? [q.scale.length] : [];
    const zpType = onnxTypeOf(t);
    const pair = cached ?? [
      this.b.constant(`${name}_scale`, 'float32', dims, q.scale),
      this.b.constant(`${name}_zero_point`, zpType, dims, zpType === 'int32' ? Int32Array.from(q.zeroPoint) : Int8Array.from(q.zeroPoint)),
    ] as [string, string];
    this.paramCache.set(name, pair);
    return [pair[0], pair[1], perAxis ? (q.axis ?? 0) : undefined];
  }

  /** The float (dequantized) form of int8/int32 tensor `name`; constants become initializers. */
  dq(n: Node, name: string): string {
    const cached = this.dqCache.get(name);
    if (cached) return cached;
    const t = this.tensor(name);
    if (!t.quant || (t.dtype !== 'int8' && t.dtype !== 'int32')) throw this.fail(n, `input '${name}' is ${t.dtype} without int8/int32 quantization parameters`);
    if (t.data) this.b.init(name, onnxTypeOf(t), t.shape, t.data);
    const [s, z, axis] = this.params(name);
    const out = this.b.fresh(`${name}_dq`);
    this.b.helper('DequantizeLinear', `${name}_dequantize`, [name, s, z], [out], axis === undefined ? [] : [attr.int('axis', axis)]);
    this.dqCache.set(name, out);
    return out;
  }

  /** QuantizeLinear of float tensor `f` into int8 tensor `name`. */
  quantize(f: string, name: string): void {
    const [s, z] = this.params(name);
    this.b.helper('QuantizeLinear', `${name}_quantize`, [f, s, z], [name]);
  }

  /** Relu/Clip for an output clamp (none for the full int8 range, unless `exact` names the
   * node: an unfused QClamp); returns the clamped tensor. */
  clamp(n: Node, f: string, y: Params, c: ActClamp, exact?: string): string {
    if (c.actMin <= -128 && c.actMax >= 127 && !exact) return f;
    const real = (q: number) => Math.fround((q - y.zeroPoint) * y.scale);
    const lo = c.actMin > -128 ? real(c.actMin) : -Infinity;
    const hi = c.actMax < 127 ? real(c.actMax) : Infinity;
    if (!same(activationClamp(y.scale, y.zeroPoint, lo, hi), { actMin: Math.max(c.actMin, -128), actMax: Math.min(c.actMax, 127) })) {
      throw this.fail(n, `clamp [${c.actMin}, ${c.actMax}] is not a real-valued bound at the output scale`);
    }
    const out = this.b.fresh(`${n.outputs[0]}_act`);
    const put = (op: string, inputs: string[]) => (exact ? this.b.node(op, exact, inputs, [out]) : this.b.helper(op, `${n.name}_${op.toLowerCase()}`, inputs, [out]));
    if (c.actMin === y.zeroPoint && c.actMax >= 127) put('Relu', [f]);
    else {
      const bound = (v: number, base: string) => (Number.isFinite(v) ? this.b.constant(`${n.name}_${base}`, 'float32', [], Float32Array.of(v)) : '');
      put('Clip', [f, bound(lo, 'min'), bound(hi, 'max')]);
    }
    return out;
  }

  /** Writes op `opType` on float inputs, then the clamp and the QuantizeLinear of its output. */
  op(n: Node, opType: string, inputs: string[], attrs: ReturnType<typeof attr.int>[], c?: ActClamp): void {
    const y = n.outputs[0];
    const f = this.b.fresh(`${y}_float`);
    this.b.node(opType, n.name, inputs, [f], attrs);
    this.quantize(c ? this.clamp(n, f, this.act(n, y), c) : f, y);
  }

  checkRequant(n: Node, x: Params, w: Tensor, y: Params, r: Requant & { inputZeroPoint: number; outputZeroPoint: number }): void {
    if (w.dtype !== 'int8' || !w.quant || w.quant.zeroPoint.some((z) => z !== 0)) throw this.fail(n, `weight '${w.name}' is not int8 with zero point 0`);
    const want = convRequant(x.scale, w.quant.scale, y.scale);
    if (!same(want, { multiplier: r.multiplier, shift: r.shift }) || r.inputZeroPoint !== x.zeroPoint || r.outputZeroPoint !== y.zeroPoint) {
      throw this.fail(n, 'its multipliers, shifts or zero points do not follow from the scales of its tensors');
    }
  }

  /** The dequantized bias of a QConv/QFullyConnected ('' when it has none). */
  bias(n: Node, name: string | undefined): string {
    if (!name) return '';
    const t = this.tensor(name);
    if (t.dtype !== 'int32' || !t.quant) throw this.fail(n, `bias '${name}' is not int32 with a scale`);
    return this.dq(n, name);
  }

  linear(n: NodeOf<'QConv'> | NodeOf<'QFullyConnected'>): void {
    const [xn, wn, bn] = n.inputs;
    const x = this.act(n, xn);
    const y = this.act(n, n.outputs[0]);
    this.checkRequant(n, x, this.tensor(wn), y, n.attrs);
    const inputs = [this.dq(n, xn), this.dq(n, wn)];
    const b = this.bias(n, bn);
    if (b) inputs.push(b);
    if (n.op === 'QFullyConnected') {
      if (this.tensor(xn).shape.length !== 2) throw this.fail(n, `input '${xn}' is not 2-D`);
      this.op(n, 'Gemm', inputs, [attr.int('transB', 1)], n.attrs);
      return;
    }
    const a = n.attrs;
    this.op(n, 'Conv', inputs, [attr.ints('dilations', a.dilations), attr.int('group', a.group), attr.ints('kernel_shape', a.kernel), attr.ints('pads', a.pads), attr.ints('strides', a.strides)], a);
  }

  /** An op whose output keeps its input's parameters. */
  keeps(n: Node): Params {
    const x = this.act(n, n.inputs[0]);
    const y = this.act(n, n.outputs[0]);
    if (x.scale !== y.scale || x.zeroPoint !== y.zeroPoint) throw this.fail(n, 'input and output parameters differ');
    return x;
  }

  /** QSigmoid, QTanh, QHardSigmoid: their float op, once the table is the one its scales give. */
  lookup(n: NodeOf<'QSigmoid'> | NodeOf<'QTanh'> | NodeOf<'QHardSigmoid'>): void {
    const x = this.act(n, n.inputs[0]);
    const y = this.act(n, n.outputs[0]);
    const f = n.op === 'QSigmoid' ? LUT_FUNCTIONS.sigmoid : n.op === 'QTanh' ? LUT_FUNCTIONS.tanh : LUT_FUNCTIONS.hardSigmoid(n.attrs.alpha, n.attrs.beta);
    if (!same(lookupTable(f, x.scale, x.zeroPoint, y.scale, y.zeroPoint), n.attrs.table)) throw this.fail(n, 'its table does not follow from its tensors\' scales');
    const inputs = [this.dq(n, n.inputs[0])];
    if (n.op === 'QHardSigmoid') return this.op(n, 'HardSigmoid', inputs, [attr.float('alpha', n.attrs.alpha), attr.float('beta', n.attrs.beta)]);
    return this.op(n, n.op === 'QSigmoid' ? 'Sigmoid' : 'Tanh', inputs, []);
  }

  /** ReduceMean/ReduceMax: axes an attribute before opset 18, an input from 18 on. */
  reduce(n: Node, opType: 'ReduceMean' | 'ReduceMax', axes: readonly number[], keepdims: boolean): void {
    const keep = attr.int('keepdims', keepdims ? 1 : 0);
    if (this.opset < 18) return this.op(n, opType, [this.dq(n, n.inputs[0])], [attr.ints('axes', axes), keep]);
    const a = this.b.constant(`${n.name}_axes`, 'int64', [axes.length], Float64Array.from(axes));
    return this.op(n, opType, [this.dq(n, n.inputs[0]), a], [keep]);
  }

  write(n: Node): void {
    switch (n.op) {
      case 'Quantize': {
        if (!same(this.act(n, n.outputs[0]), { scale: Math.fround(n.attrs.scale), zeroPoint: n.attrs.zeroPoint })) throw this.fail(n, 'attributes differ from its output\'s parameters');
        const [s, z] = this.params(n.outputs[0]);
        this.b.node('QuantizeLinear', n.name, [n.inputs[0], s, z], [n.outputs[0]]);
        return;
      }
      case 'Dequantize': {
        if (!same(this.act(n, n.inputs[0]), { scale: Math.fround(n.attrs.scale), zeroPoint: n.attrs.zeroPoint })) throw this.fail(n, 'attributes differ from its input\'s parameters');
        const [s, z] = this.params(n.inputs[0]);
        this.b.node('DequantizeLinear', n.name, [n.inputs[0], s, z], [n.outputs[0]]);
        return;
      }
      case 'QConv':
      case 'QFullyConnected':
        return this.linear(n);
      case 'QAdd': {
        const [a, b] = n.inputs.map((i) => this.act(n, i));
        const y = this.act(n, n.outputs[0]);
        const { actMin: _lo, actMax: _hi, ...params } = n.attrs;
        // A negated multiplier is a Sub (TFLite's form): of input 1 minus input 2, or (the
        // lowering put the subtrahend first) input 2 minus input 1.
        const swapSub = (p: ReturnType<typeof subParams>) => ({ ...p, input1: p.input2, input2: p.input1 });
        const forms: [string, string[], unknown][] = [
          ['Add', n.inputs, addParams(a.scale, a.zeroPoint, b.scale, b.zeroPoint, y.scale, y.zeroPoint)],
          ['Sub', n.inputs, subParams(a.scale, a.zeroPoint, b.scale, b.zeroPoint, y.scale, y.zeroPoint)],
          ['Sub', [...n.inputs].reverse(), swapSub(subParams(b.scale, b.zeroPoint, a.scale, a.zeroPoint, y.scale, y.zeroPoint))],
        ];
        const form = forms.find(([, , p]) => same(p, params));
        if (!form) throw this.fail(n, 'its parameters do not follow from its tensors\' scales');
        return this.op(n, form[0], form[1].map((i) => this.dq(n, i)), [], n.attrs);
      }
      case 'QBatchMatMul': {
        const [a, b] = n.inputs.map((i) => this.act(n, i));
        const y = this.act(n, n.outputs[0]);
        const { actMin: _lo, actMax: _hi, ...params } = n.attrs;
        if (!same(batchMatMulParams(a.scale, a.zeroPoint, b.scale, b.zeroPoint, y.scale, y.zeroPoint), params)) throw this.fail(n, 'its parameters do not follow from its tensors\' scales');
        return this.op(n, 'MatMul', n.inputs.map((i) => this.dq(n, i)), [], n.attrs);
      }
      case 'QMul': {
        const [a, b] = n.inputs.map((i) => this.act(n, i));
        const y = this.act(n, n.outputs[0]);
        const { actMin: _lo, actMax: _hi, ...params } = n.attrs;
        if (!same(mulParams(a.scale, a.zeroPoint, b.scale, b.zeroPoint, y.scale, y.zeroPoint), params)) throw this.fail(n, 'its parameters do not follow from its tensors\' scales');
        return this.op(n, 'Mul', n.inputs.map((i) => this.dq(n, i)), [], n.attrs);
      }
      case 'QMaxPool':
      case 'QAveragePool': {
        this.keeps(n);
        const a = n.attrs;
        const attrs = [attr.int('ceil_mode', a.ceilMode ? 1 : 0)];
        if (n.op === 'QAveragePool') {
          if (a.dilations.some((d) => d !== 1)) throw this.fail(n, 'dilated average pooling has no ONNX form before opset 19');
          attrs.push(attr.int('count_include_pad', a.countIncludePad ? 1 : 0));
        } else attrs.push(attr.ints('dilations', a.dilations));
        attrs.push(attr.ints('kernel_shape', a.kernel), attr.ints('pads', a.pads), attr.ints('strides', a.strides));
        return this.op(n, n.op === 'QMaxPool' ? 'MaxPool' : 'AveragePool', [this.dq(n, n.inputs[0])], attrs, a);
      }
      case 'QSoftmax': {
        const x = this.act(n, n.inputs[0]);
        if (!same(softmaxParams(x.scale), n.attrs) || !same(this.act(n, n.outputs[0]), { scale: 1 / 256, zeroPoint: -128 })) {
          throw this.fail(n, 'its parameters do not follow from its input scale, or its output is not scale 1/256, zero point -128');
        }
        return this.op(n, 'Softmax', [this.dq(n, n.inputs[0])], [attr.int('axis', -1)]);
      }
      case 'QConcat': {
        const y = this.act(n, n.outputs[0]);
        const want = n.inputs.map((i) => {
          const x = this.act(n, i);
          return concatOperand(x.scale, x.zeroPoint, y.scale);
        });
        if (!same(want, n.attrs.inputs) || n.attrs.outputZeroPoint !== y.zeroPoint) throw this.fail(n, 'its operands do not follow from its tensors\' scales');
        return this.op(n, 'Concat', n.inputs.map((i) => this.dq(n, i)), [attr.int('axis', n.attrs.axis)]);
      }
      case 'QClamp':
        return this.quantize(this.clamp(n, this.dq(n, n.inputs[0]), this.keeps(n), n.attrs, n.name), n.outputs[0]);
      case 'Reshape':
      case 'Flatten':
      case 'Squeeze':
      case 'Unsqueeze': {
        this.keeps(n);
        const shape = this.b.constant(`${n.name}_shape`, 'int64', [this.tensor(n.outputs[0]).shape.length], Float64Array.from(this.tensor(n.outputs[0]).shape));
        return this.op(n, 'Reshape', [this.dq(n, n.inputs[0]), shape], []);
      }
      case 'Transpose':
        this.keeps(n);
        return this.op(n, 'Transpose', [this.dq(n, n.inputs[0])], [attr.ints('perm', n.attrs.perm)]);
      case 'Slice': {
        this.keeps(n);
        const a = n.attrs;
        const dims = this.tensor(n.inputs[0]).shape;
        // ends one step past the last element read; before index 0 (a negative step reaching it)
        // is -(dim + 1), which ONNX clamps to -1.
        const ends = a.starts.map((s, i) => {
          const e = a.shape[i] === 0 ? s : s + a.steps[i] * (a.shape[i] - 1) + Math.sign(a.steps[i]);
          return e < 0 ? -(dims[i] + 1) : e;
        });
        const c = (what: string, v: number[]) => this.b.constant(`${n.name}_${what}`, 'int64', [v.length], Float64Array.from(v));
        return this.op(n, 'Slice', [this.dq(n, n.inputs[0]), c('starts', a.starts), c('ends', ends), c('axes', dims.map((_, i) => i)), c('steps', a.steps)], []);
      }
      case 'DepthToSpace':
      case 'SpaceToDepth':
        this.keeps(n);
        if (n.op === 'SpaceToDepth' && n.attrs.mode !== 'DCR') throw this.fail(n, 'SpaceToDepth has no mode attribute in ONNX (DCR only)');
        return this.op(n, n.op, [this.dq(n, n.inputs[0])], [attr.int('blocksize', n.attrs.blocksize), ...(n.op === 'DepthToSpace' ? [attr.string('mode', n.attrs.mode)] : [])]);
      case 'Resize': {
        this.keeps(n);
        const a = n.attrs;
        const dims = this.tensor(n.inputs[0]).shape;
        if (a.nearestMode === 'simple' || a.coordinateMode === 'tf_half_pixel_for_nn') throw this.fail(n, `Resize's ${a.nearestMode === 'simple' ? 'Resize-10 rounding' : 'tf_half_pixel_for_nn'} has no opset ${this.opset} form`);
        // sizes when the scales are out / in (the importer derives the same ones), else the scales.
        const bySizes = a.scales.every((sc, i) => sc === a.shape[i] / dims[i]);
        if (!bySizes && !a.scales.every((sc, i) => Math.fround(sc) === sc && Math.floor(dims[i] * sc) === a.shape[i])) throw this.fail(n, 'its scales are neither out / in nor float32');
        const x = this.dq(n, n.inputs[0]);
        const inputs = bySizes
          ? [x, '', '', this.b.constant(`${n.name}_sizes`, 'int64', [dims.length], Float64Array.from(a.shape))]
          : [x, '', this.b.constant(`${n.name}_scales`, 'float32', [dims.length], Float32Array.from(a.scales))];
        return this.op(n, 'Resize', inputs, [attr.string('mode', a.mode), attr.string('coordinate_transformation_mode', a.coordinateMode), attr.string('nearest_mode', a.nearestMode)]);
      }
      case 'Identity':
        this.keeps(n);
        return this.op(n, 'Identity', [this.dq(n, n.inputs[0])], []);
      case 'Pad': {
        const p = this.keeps(n);
        const pads = this.b.constant(`${n.name}_pads`, 'int64', [n.attrs.pads.length], Float64Array.from(n.attrs.pads));
        const value = this.b.constant(`${n.name}_value`, 'float32', [], Float32Array.of((n.attrs.value - p.zeroPoint) * p.scale));
        return this.op(n, 'Pad', [this.dq(n, n.inputs[0]), pads, value], [attr.string('mode', n.attrs.mode)]);
      }
      case 'QSigmoid':
      case 'QTanh':
      case 'QHardSigmoid':
        return this.lookup(n);
      case 'QHardSwish': {
        const x = this.act(n, n.inputs[0]);
        const y = this.act(n, n.outputs[0]);
        if (!same(hardSwishParams(x.scale, x.zeroPoint, y.scale, y.zeroPoint), n.attrs)) throw this.fail(n, 'its parameters do not follow from its tensors\' scales');
        if (this.opset < 14) throw this.fail(n, `HardSwish needs opset 14 (the export asks for ${this.opset})`, 'Export at opset 14 or later.');
        return this.op(n, 'HardSwish', [this.dq(n, n.inputs[0])], []);
      }
      case 'QLeakyRelu': {
        const x = this.act(n, n.inputs[0]);
        const y = this.act(n, n.outputs[0]);
        const a = n.attrs;
        if (!same(leakyReluParams(x.scale, y.scale, a.alpha), { identity: a.identity, negative: a.negative }) || a.inputZeroPoint !== x.zeroPoint || a.outputZeroPoint !== y.zeroPoint) {
          throw this.fail(n, 'its parameters do not follow from its tensors\' scales and alpha');
        }
        return this.op(n, 'LeakyRelu', [this.dq(n, n.inputs[0])], [attr.float('alpha', a.alpha)]);
      }
      case 'QPRelu': {
        const [x, slope] = n.inputs.map((i) => this.act(n, i));
        const y = this.act(n, n.outputs[0]);
        const a = n.attrs;
        if (!same(preluParams(x.scale, slope.scale, y.scale), { identity: a.identity, negative: a.negative })
          || a.inputZeroPoint !== x.zeroPoint || a.slopeZeroPoint !== slope.zeroPoint || a.outputZeroPoint !== y.zeroPoint) {
          throw this.fail(n, 'its parameters do not follow from its tensors\' scales');
        }
        return this.op(n, 'PRelu', n.inputs.map((i) => this.dq(n, i)), []);
      }
      case 'QMean': {
        const x = this.act(n, n.inputs[0]);
        const y = this.act(n, n.outputs[0]);
        const a = n.attrs;
        const count = a.axes.reduce((c, ax) => c * this.tensor(n.inputs[0]).shape[ax], 1);
        if (!same(meanParams(x.scale, y.scale, count), { multiplier: a.multiplier, shift: a.shift }) || a.inputZeroPoint !== x.zeroPoint || a.outputZeroPoint !== y.zeroPoint) {
          throw this.fail(n, 'its multiplier, shift or zero points do not follow from its tensors\' scales');
        }
        return this.reduce(n, 'ReduceMean', a.axes, a.keepdims);
      }
      case 'QReduceMax':
        this.keeps(n);
        return this.reduce(n, 'ReduceMax', n.attrs.axes, n.attrs.keepdims);
      default:
        if (inGroup('floatFallback', n.op)) {
          throw this.fail(n, `${n.op} runs in float (qgc has no int8 kernel that takes it)`,
            'A QDQ file cannot hold qgc\'s float fallback yet: compile the float model directly (qgc compile --calib), or give --int8-only to see which op needs an int8 form.');
        }
        throw this.fail(n, `${n.op} is not an int8 op`, 'exportQdq writes fully quantized graphs (int8 ops between Quantize and Dequantize); quantize the float ops first.');
    }
  }
}

/** Writes a quantized IR graph as a QDQ ONNX model (see the file comment). */
export function exportQdq(graph: Graph, opts: ExportQdqOptions = {}): Uint8Array {
  const int4 = hasInt4(graph);
  // HardSwish is an ONNX op from opset 14 on, INT4 weights from 21 on: the default is the lowest opset that has both.
  const opset = opts.opset ?? (int4 ? 21 : graph.nodes.some((n) => n.op === 'QHardSwish') ? 14 : 13);
  if (!(opset in IR_VERSION)) {
    throw new CompileError(ErrorCode.BadInput, `QDQ export opset ${opset} is not supported`, {}, 'Use an opset from 13 to 21 (per-channel DequantizeLinear needs 13).');
  }
  if (int4 && opset < 21) {
    throw new CompileError(ErrorCode.BadInput, `the graph has 4-bit weights, which QDQ ONNX writes as INT4 from opset 21 on (asked: ${opset})`, {}, 'Export at opset 21.');
  }
  const w = new QdqWriter(graph, opset);
  for (const n of graph.nodes) w.write(n);
  const io = (name: string) => {
    const t = graph.tensors.get(name)!;
    return valueInfo(name, t.dtype, t.shape);
  };
  const model = {
    irVersion: IR_VERSION[opset],
    producerName: 'qgc',
    opsetImport: [{ domain: '', version: opset }],
    graph: { name: graph.name, node: w.b.nodes, initializer: w.b.initializers, input: graph.inputs.map(io), output: graph.outputs.map(io) },
  };
  return new Uint8Array(onnx.ModelProto.encode(model).finish()); // a bulk copy that owns its buffer
}
