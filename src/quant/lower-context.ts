/**
 * The state of one float → int8 lowering (`qgc quantize`): the graph being built, the int8
 * tensor standing for each float activation and its parameters. It is the calibration's
 * ScaleSource for the rows of src/quant/lowering/: activations get calibrated parameters,
 * constants their own min/max, weights symmetric per-channel scales, biases s_in * s_w[c].
 */
import { CompileError, ErrorCode, type ErrorCodeValue } from '../errors.js';
import { isFloat, toNumbers, type NumericData } from '../ir/dtype.js';
import type { Graph, Node, QuantParams, Tensor } from '../ir/graph.js';
import { FreshNames } from '../ir/names.js';
import { QUANT_BITS } from '../ir/qops.js';
import type { OpAttrMap, OpName } from '../ir/ops.js';
import type { Range } from './histogram.js';
import { DEFAULT_WIDTHS, widthsOf, type WidthPlan } from './widths.js';
import type { LayerInputs } from './layer-inputs.js';
import { roundWeights, type RoundedWeights, type RoundingMethod } from './rounding.js';
import { isRowRefusal, type LinearOperands, type Operand, type Output, type OutputRule, type Params, type ScaleSource, type WeightSpec } from './lowering/source.js';
import {
  activationParams,
  activationParamsAtLeast,
  biasScales,
  fitBiasScales,
  fromQuantParams,
  quantizeBias,
  quantizeValue,
  toQuantParams,
  weightMax,
  weightScales,
  type ActParams,
} from './params.js';

/** Options of the quantizer. */
export interface QuantizeOptions {
  /** One weight scale per tensor instead of one per output channel. */
  perTensorWeights?: boolean;
  /** The bit-widths of each layer (default: int8 weights and activations everywhere). */
  widths?: WidthPlan;
  /** How weights are rounded (default nearest; the others need `layerInputs`). */
  rounding?: RoundingMethod;
  /** The calibration activations at each layer's input, by float node name
   * (LayerInputCollector), for bias correction and AdaRound. */
  layerInputs?: ReadonlyMap<string, LayerInputs>;
  /** AdaRound's asymmetric inputs: the patches the quantized network feeds a layer, at the
   * positions of its `layerInputs` (src/passes/quantize-rounded.ts). */
  quantizedInputs?: ReadonlyMap<string, LayerInputs>;
  /** Integer weights (and bias shifts) decided earlier, by float node name: used as they are. */
  fixedWeights?: ReadonlyMap<string, RoundedWeights>;
  /** Refuse any op without an int8 form (today's error) instead of running it in float. */
  int8Only?: boolean;
  /** Nodes (of the optimized float graph) to keep in float even where an int8 row takes them. */
  floatNodes?: ReadonlySet<string>;
}

/** A node the quantizer kept in float, and why (for the warning and the report). */
export interface FloatNodeNote {
  node: string;
  op: string;
  reason: string;
}

/** An int8 operand: its tensor name and per-tensor parameters. */
export interface Int8Operand {
  name: string;
  params: ActParams;
}

/** A constant float operand (weights, biases) as float32 data. */
export interface FloatConst {
  name: string;
  shape: readonly number[];
  data: Float32Array;
}

/** The int8 weight and int32 bias tensors of a Conv/FullyConnected, and the weight scales. */
export interface LinearWeights {
  weight: string;
  /** '' when the op has no bias. */
  bias: string;
  scales: Float32Array;
}

export class LowerContext implements ScaleSource {
  readonly tensors = new Map<string, Tensor>();
  readonly nodes: Node[] = [];
  /** Float activation name → name of the int8 tensor standing for it. */
  readonly int8Of = new Map<string, string>();
  /** Things the user may want to know (adjusted scales, flushed multipliers). */
  readonly warnings: string[] = [];
  /** The integer weights of each layer, by float node name. */
  readonly weights = new Map<string, RoundedWeights>();
  /** Float activation name → the float32 tensor standing for it where a float node reads or
   * writes it (between a Dequantize and a Quantize). */
  readonly floatOf = new Map<string, string>();
  /** The nodes kept in float, in graph order. */
  readonly floatNodes: FloatNodeNote[] = [];
  private readonly nodeNames = new Set<string>();
  /** While `attempt` runs a row: how to undo each change it made, newest last (a log, not a
   * copy of the maps, so that trying a row costs what the row does, not the graph's size). */
  private undo: (() => void)[] | undefined;
  private readonly constCache = new Map<string, Int8Operand>();
  private readonly freshTensors = new FreshNames((n) => this.src.tensors.has(n) || this.tensors.has(n));
  private readonly freshNodes = new FreshNames((n) => this.nodeNames.has(n));

  constructor(
    readonly src: Graph,
    readonly ranges: ReadonlyMap<string, Range>,
    readonly opts: QuantizeOptions,
  ) {
    for (const n of src.nodes) this.nodeNames.add(n.name);
  }

  /** A CompileError about `node`. */
  error(node: Node, code: ErrorCodeValue, message: string, hint?: string): CompileError {
    return new CompileError(code, message, { node: node.name, op: node.op }, hint);
  }

  /** A tensor name used by neither the float graph nor the graph being built. */
  freshTensor(base: string): string {
    return this.freshTensors.pick(base);
  }

  /** A node name not used yet. */
  freshNode(base: string): string {
    const name = this.freshNodes.pick(base);
    this.addUndoably(this.nodeNames, name);
    return name;
  }

  /** Appends a node to the graph being built. */
  emit(node: Node): void {
    this.nodes.push(node);
  }

  /** Adds a tensor to the graph being built and returns its name. */
  addTensor(t: Tensor): string {
    this.setUndoably(this.tensors, t.name, t);
    return t.name;
  }

  /** The calibrated parameters of float activation `name`. */
  calibrated(node: Node | undefined, name: string): ActParams {
    const r = this.ranges.get(name);
    if (!r) {
      throw new CompileError(ErrorCode.Internal, `tensor '${name}' has no calibration range`, node ? { node: node.name, op: node.op, tensor: name } : { tensor: name },
        'Calibrate the same optimized float graph that is quantized; this is a qgc bug if it came from the CLI.');
    }
    try {
      return activationParams(r);
    } catch (e) {
      throw new CompileError(ErrorCode.BadInput, `tensor '${name}' cannot be quantized: ${(e as Error).message}`, node ? { node: node.name, op: node.op, tensor: name } : { tensor: name },
        'The float model produces values near the float32 limits on the calibration data; check the data and the model.');
    }
  }

  /**
   * Declares the int8 tensor standing for float activation `floatName` with `params`. It
   * keeps the float name, except for graph outputs (their float name is the Dequantize's).
   */
  defineInt8(floatName: string, params: ActParams): string {
    const src = this.src.tensors.get(floatName)!;
    const taken = this.src.outputs.includes(floatName) || this.src.inputs.includes(floatName) || this.tensors.has(floatName);
    const name = taken ? this.freshTensor(`${floatName}_int8`) : floatName;
    this.addTensor({ name, dtype: 'int8', shape: src.shape, quant: toQuantParams(params) });
    this.setUndoably(this.int8Of, floatName, name);
    return name;
  }

  /** The int8 operand for a float input of `node`: an activation lowered earlier, or a
   * constant quantized per tensor over its own min/max. */
  input(node: Node | undefined, floatName: string): Int8Operand {
    const mapped = this.int8Of.get(floatName) ?? this.quantizeFloat(node, floatName);
    if (mapped) return { name: mapped, params: fromQuantParams(this.tensors.get(mapped)!.quant!) };
    const t = this.src.tensors.get(floatName);
    if (t?.data && isFloat(t.dtype)) return this.constInt8(t);
    throw new CompileError(ErrorCode.UnsupportedDType, `input '${floatName}' is ${t?.dtype ?? 'unknown'}, not a float activation qgc can quantize`,
      node ? { node: node.name, op: node.op, tensor: floatName } : { tensor: floatName },
      'Only float tensors computed from the graph inputs (or float constants) can become int8; fold shape computations with --input-shape.');
  }

  /** A Quantize of the float32 tensor a float node wrote for `floatName` (with its calibrated
   * parameters), once per tensor; undefined when no float node wrote it. */
  private quantizeFloat(node: Node | undefined, floatName: string): string | undefined {
    const f = this.floatOf.get(floatName);
    if (f === undefined) return undefined;
    const params = this.calibrated(node, floatName);
    const q = this.defineInt8(floatName, params);
    this.emit({ name: this.freshNode(`${floatName}_quantize`), op: 'Quantize', inputs: [f], outputs: [q], attrs: { ...params } });
    return q;
  }

  /** The float32 tensor a float node reads for `floatName`: one written by a float node, a float
   * constant (kept as it is), or a Dequantize of its int8 tensor (once per tensor). */
  floatInput(node: Node, floatName: string): string {
    const known = this.floatOf.get(floatName);
    if (known !== undefined) return known;
    const t = this.src.tensors.get(floatName);
    if (t?.data) {
      if (!this.tensors.has(floatName)) this.addTensor(t);
      return floatName;
    }
    const q = this.int8Of.get(floatName);
    if (q === undefined) {
      throw this.error(node, ErrorCode.Internal, `input '${floatName}' is computed by no node before it`, 'This is a qgc bug; report it.');
    }
    const qp = fromQuantParams(this.tensors.get(q)!.quant!);
    const f = this.addTensor({ name: this.freshTensor(`${floatName}_float`), dtype: 'float32', shape: t!.shape });
    this.emit({ name: this.freshNode(`${floatName}_dequantize`), op: 'Dequantize', inputs: [q], outputs: [f], attrs: { scale: qp.scale, zeroPoint: qp.zeroPoint } });
    this.floatOf.set(floatName, f);
    return f;
  }

  /** Keeps `node` in float: its inputs as float32 tensors (dequantized where int8), its output a
   * float32 tensor that int8 consumers quantize with its calibrated range. With a `reason` it is
   * a float node (warned about, in `floatNodes`); without, a view between float nodes. */
  lowerFloat(node: Node, reason?: string): void {
    const inputs = node.inputs.map((i) => (i === '' ? '' : this.floatInput(node, i)));
    const uses = (name: string) => this.src.outputs.includes(name) || this.src.nodes.some((m) => m.inputs.includes(name));
    const outputs = node.outputs.map((o, k) => {
      if (k === 0) return o;
      if (o !== '' && uses(o)) {
        throw this.error(node, ErrorCode.UnsupportedOp, `output ${k + 1} ('${o}') of ${node.op} is used; qgc's float kernels write the first output only`,
          'Use only the first output of this op (LayerNormalization: Y).');
      }
      return '';
    });
    const first = outputs[0];
    const t = this.src.tensors.get(first)!;
    const y = this.addTensor({ name: this.src.outputs.includes(first) || this.tensors.has(first) ? this.freshTensor(`${first}_float`) : first, dtype: 'float32', shape: t.shape });
    this.floatOf.set(first, y);
    this.emit({ ...node, inputs, outputs: [y, ...outputs.slice(1)] } as Node);
    if (reason === undefined) return;
    this.floatNodes.push({ node: node.name, op: node.op, reason });
    this.warnings.push(`node '${node.name}' (${node.op}) runs in float: ${reason}`);
  }

  /** Runs `lower` (an int8 row); when the row refuses the node (isRowRefusal), undoes what it
   * added and returns the refusal. */
  attempt(lower: () => void): CompileError | undefined {
    const outer = this.undo;
    const log: (() => void)[] = [];
    const saved = { nodes: this.nodes.length, warnings: this.warnings.length };
    this.undo = log;
    try {
      lower();
      outer?.push(...log); // an enclosing attempt that is refused undoes these too
      return undefined;
    } catch (e) {
      if (!isRowRefusal(e)) throw e;
      for (let i = log.length - 1; i >= 0; i--) log[i]();
      this.nodes.length = saved.nodes;
      this.warnings.length = saved.warnings;
      return e;
    } finally {
      this.undo = outer;
    }
  }

  private setUndoably<K, V>(m: Map<K, V>, key: K, value: V): void {
    if (this.undo) {
      const had = m.has(key);
      const old = m.get(key);
      this.undo.push(() => (had ? m.set(key, old as V) : m.delete(key)));
    }
    m.set(key, value);
  }

  private addUndoably<T>(s: Set<T>, value: T): void {
    if (this.undo && !s.has(value)) this.undo.push(() => s.delete(value));
    s.add(value);
  }

  private constInt8(t: Tensor): Int8Operand {
    const cached = this.constCache.get(t.name);
    if (cached) return cached;
    const data = toNumbers(t.data!);
    let min = 0;
    let max = 0;
    for (const v of data) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    const params = activationParams({ min, max });
    const q = new Int8Array(data.length);
    data.forEach((v, i) => (q[i] = quantizeValue(v, params)));
    const name = this.addTensor({ name: this.freshTensor(`${t.name}_int8`), dtype: 'int8', shape: t.shape, data: q, quant: toQuantParams(params) });
    const op = { name, params };
    this.setUndoably(this.constCache, t.name, op);
    return op;
  }

  /** A constant float input of `node` (weights, bias) as float32 data. */
  constFloat(node: Node, name: string, what: string): FloatConst {
    const t = this.src.tensors.get(name);
    if (!t?.data || !isFloat(t.dtype)) {
      throw this.error(node, ErrorCode.UnsupportedOp, `${what} '${name}' is not a float constant`,
        `qgc's int8 ${node.op} needs constant ${what}s; export the model with its ${what}s as initializers.`);
    }
    const data = t.data instanceof Float32Array ? t.data : Float32Array.from(t.data as Exclude<NumericData, Float32Array>);
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i])) throw this.error(node, ErrorCode.BadInput, `${what} '${name}' holds ${data[i]} at element ${i}`, 'Repair the model: weights must be finite.');
    }
    return { name, shape: t.shape, data };
  }

  /**
   * Quantizes the weights [M, ...] and bias [M] of a Conv/FullyConnected whose input has
   * scale `inputScale`: symmetric weights of the node's width (WidthPlan; int8 or int4 values,
   * one per byte; per channel unless perTensorWeights) and an int32 bias at s_in * s_w[c];
   * weight scales rise where the bias would not fit.
   */
  linearWeights(node: Node, weight: FloatConst, wShape: readonly number[], bias: Float32Array | undefined, inputScale: number): LinearWeights {
    const channels = wShape[0];
    const perTensor = this.opts.perTensorWeights === true;
    const bits = widthsOf(this.opts.widths ?? DEFAULT_WIDTHS, node.name).weightBits;
    const qmax = weightMax(bits);
    const scales = fitBiasScales(bias, inputScale, weightScales(weight.data, channels, perTensor, qmax), (c, from, to) =>
      this.warnings.push(`node '${node.name}' (${node.op}): weight scale of channel ${c} raised from ${from.toPrecision(4)} to ${to.toPrecision(4)} so that its bias fits in int32`),
    );
    const wq: QuantParams = perTensor
      ? { scale: scales, zeroPoint: new Int32Array(1), bits }
      : { scale: scales, zeroPoint: new Int32Array(channels), axis: 0, bits };
    const rounded = this.round(node, weight.data, channels, scales, qmax);
    this.setUndoably(this.weights, node.name, rounded);
    const w = this.addTensor({ name: this.freshTensor(`${weight.name}_int${bits}`), dtype: 'int8', shape: wShape, data: rounded.q, quant: wq });
    let b = '';
    const shift = rounded.biasShift;
    if (bias || shift) {
      const bs = biasScales(inputScale, scales, channels);
      const corrected = shift ? Float32Array.from({ length: channels }, (_, c) => (bias?.[c] ?? 0) + shift[c]) : bias!;
      b = this.addTensor({
        name: this.freshTensor(`${node.name}_bias_int32`),
        dtype: 'int32',
        shape: [channels],
        data: quantizeBias(corrected, bs),
        quant: { scale: bs, zeroPoint: new Int32Array(channels), axis: 0, bits: QUANT_BITS.bias },
      });
    }
    return { weight: w, bias: b, scales };
  }

  /** The integer weights of `node` by the rounding method (and bias correction's shifts). */
  private round(node: Node, data: Float32Array, channels: number, scales: Float32Array, qmax: number): RoundedWeights {
    const method = this.opts.rounding ?? 'nearest';
    const inputs = this.opts.layerInputs?.get(node.name);
    const layer = { data, channels, fanIn: data.length / channels, groups: inputs?.groups ?? 1, scales, qmax };
    const fixed = this.opts.fixedWeights?.get(node.name);
    if (fixed && fixed.q.length === data.length) return fixed;
    if (method === 'nearest') return roundWeights('nearest', layer, undefined);
    if (!inputs || inputs.fanIn !== layer.fanIn) {
      this.warnings.push(`node '${node.name}' (${node.op}): --rounding ${method} has no calibration patches for this layer's shape; its weights are rounded to nearest`);
      return roundWeights('nearest', layer, undefined);
    }
    if (method === 'adaround' && inputs.rows < inputs.fanIn) {
      // Fewer rows than weights per channel: the Gram matrix of the patches is singular, so some
      // rounding errors are invisible to the loss and the choice among them is arbitrary.
      const perSample = Math.max(1, inputs.positions / Math.max(1, inputs.samples));
      this.warnings.push(`node '${node.name}' (${node.op}): AdaRound used ${inputs.rows} calibration rows (${inputs.samples} sample${inputs.samples === 1 ? '' : 's'}) ` +
        `for ${inputs.fanIn} weights per output channel; with fewer rows than weights the reconstruction error cannot tell every rounding apart and AdaRound may fit the calibration set; ` +
        `give at least ${Math.ceil(inputs.fanIn / perSample)} samples`);
    }
    return roundWeights(method, layer, inputs, this.opts.quantizedInputs?.get(node.name));
  }

  // ScaleSource: what the lowering rows ask for.

  shape(name: string): readonly number[] {
    return this.src.tensors.get(name)!.shape;
  }

  constant(name: string): Tensor | undefined {
    const t = this.src.tensors.get(name);
    return t?.data ? t : undefined;
  }

  isConstant(name: string): boolean {
    return this.constant(name) !== undefined;
  }

  activation(node: Node, name: string): Operand {
    const x = this.input(node, name);
    return { name: x.name, scale: x.params.scale, zeroPoint: x.params.zeroPoint };
  }

  operand(node: Node, name: string): Operand {
    return { ...this.activation(node, name), constant: this.constant(name) !== undefined };
  }

  addConstant(_node: Node, base: string, shape: readonly number[], data: Int8Array, p: Params): Operand {
    const name = this.addTensor({ name: this.freshTensor(base), dtype: 'int8', shape: [...shape], data, quant: toQuantParams(p) });
    return { name, ...p, constant: true };
  }

  /** Float weights (alpha folded, output channels first) and bias (beta folded), quantized. */
  linear(node: Node, x: Operand, w: WeightSpec): LinearOperands {
    const wf = this.constFloat(node, w.weight, 'weight');
    const m = w.shape[0];
    const data = weightRows(wf.data, m, wf.data.length / m, w.outAxis === 1, w.alpha);
    const bias = w.bias ? this.biasRows(node, this.constFloat(node, w.bias, 'bias'), m, w.beta) : undefined;
    return this.linearWeights(node, { name: wf.name, shape: w.shape, data }, w.shape, bias, x.scale);
  }

  /** One bias per output channel: beta * C, where C is [M], one value, or rows that all agree. */
  private biasRows(node: Node, c: FloatConst, m: number, beta: number): Float32Array {
    const rows = c.data.length / (c.data.length === 1 ? 1 : m);
    if (c.data.length !== 1 && !Number.isInteger(rows)) throw this.error(node, ErrorCode.ShapeMismatch, `bias '${c.name}' has ${c.data.length} elements for ${m} outputs`);
    const bias = new Float32Array(m);
    for (let j = 0; j < m; j++) bias[j] = beta * c.data[c.data.length === 1 ? 0 : j];
    for (let r = 1; c.data.length > 1 && r < rows; r++) {
      for (let j = 0; j < m; j++) {
        if (c.data[r * m + j] !== c.data[j]) {
          throw this.error(node, ErrorCode.UnsupportedOp, `bias '${c.name}' differs between rows; qgc's int8 fully connected layer takes one bias per output`,
            'Use a bias of shape [N] (torch.nn.Linear does).');
        }
      }
    }
    return bias;
  }

  /** Calibrated (own), the input's (keep) or fixed parameters; the fused clamp is the node's. */
  output(node: Node, rule: OutputRule): Output {
    if (!rule.clamps && node.clamp) {
      // The fusion pass only fuses into clamping producers.
      throw this.error(node, ErrorCode.Internal, `${node.op} carries a fused clamp qgc cannot lower`, 'This is a qgc bug; report it.');
    }
    let params: Params;
    if (rule.kind === 'keep') params = { scale: rule.input.scale, zeroPoint: rule.input.zeroPoint };
    else if (rule.kind === 'fixed') params = rule.params;
    else if (rule.preferred) params = rule.preferred;
    else {
      params = this.calibrated(node, node.outputs[0]);
      if (rule.minScale !== undefined && params.scale < rule.minScale) {
        params = activationParamsAtLeast(this.ranges.get(node.outputs[0])!, rule.minScale);
        this.warnings.push(`node '${node.name}' (${node.op}): output scale raised to ${params.scale.toPrecision(4)} (at least 2^-19 of the larger input scale)`);
      }
    }
    return { params, lo: node.clamp?.min ?? -Infinity, hi: node.clamp?.max ?? Infinity };
  }

  fill(_node: Node, _input: string, p: Params, value: number): number {
    return quantizeValue(value, p);
  }

  warn(message: string): void {
    this.warnings.push(message);
  }

  add<K extends OpName>(node: Node, op: K, attrs: OpAttrMap[K], inputs: string[], out: Output): void {
    const y = this.defineInt8(node.outputs[0], out.params);
    this.emit({ name: node.name, op, inputs, outputs: [y], attrs } as Node);
  }
}

/** W[m, k] = alpha * B[k, m] (transposed) or alpha * B[m, k]. */
function weightRows(b: Float32Array, rows: number, cols: number, transposed: boolean, alpha: number): Float32Array {
  const w = new Float32Array(rows * cols);
  for (let m = 0; m < rows; m++) {
    for (let k = 0; k < cols; k++) w[m * cols + k] = alpha * (transposed ? b[k * rows + m] : b[m * cols + k]);
  }
  return w;
}

