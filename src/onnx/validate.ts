/**
 * Validation at the door: a decoded model is checked against the ONNX specification for what
 * qgc reads, before the importer sees it. onnx.checker and onnxruntime refuse these models; so
 * does qgc, with a coded error naming the node, attribute or tensor and what to do, instead of
 * importing something the spec does not define (or failing later with an internal error).
 *
 * Checked here: the IR version; the graph's names (one producer per tensor, inputs and outputs
 * listed once, outputs typed); every tensor's data fields (exactly one, values in the declared
 * type's range); attributes (a type, window attributes in range, auto_pad without pads); the type
 * rules that tie an op's inputs together (Clip's bounds, BatchNormalization's parameters, Reshape's
 * shape, ...) where both types are known without inference; and quantization parameters (scales
 * finite and positive, zero points in range).
 */
import { CompileError, ErrorCode, type ErrorLocation } from '../errors.js';
import type { Graph } from '../ir/graph.js';
import { int64ToNumber, onnx, type AttributeProto, type GraphProto, type Int64Like, type ModelProto, type NodeProto, type TensorProto } from './proto.js';
import { onnxCodeOf } from './tensor.js';

/** IR versions of the ONNX releases qgc reads: 3 (ONNX 1.0) to 14 (ONNX 1.23). */
export const IR_VERSIONS = { min: 3, max: 14 } as const;

/** Largest window attribute (kernel, stride, dilation, pad) qgc accepts: far beyond any real
 * network, small enough that no size computed from it can overflow. */
export const MAX_WINDOW_VALUE = 2 ** 24;

const DT = onnx.TensorProto.DataType;
const AT = onnx.AttributeProto.AttributeType;

/** Ranges of the integer types whose values ONNX stores in `int32_data`. */
const INT32_DATA_RANGE: Partial<Record<number, [number, number]>> = {
  [DT.INT8]: [-128, 127], [DT.UINT8]: [0, 255], [DT.INT16]: [-32768, 32767], [DT.UINT16]: [0, 65535], [DT.BOOL]: [0, 1],
  [DT.FLOAT16]: [0, 65535], [DT.BFLOAT16]: [0, 65535], [DT.INT32]: [-(2 ** 31), 2 ** 31 - 1],
  /** INT4 / UINT4 (codes 22 / 21): two per int32_data entry, packed as a byte. */
  22: [0, 255], 21: [0, 255],
};

const TYPE_NAMES: Record<number, string> = Object.fromEntries(Object.entries(DT).map(([k, v]) => [v, k.toLowerCase()]));
const typeName = (t: number): string => TYPE_NAMES[t] ?? (t === 21 ? 'uint4' : t === 22 ? 'int4' : `type ${t}`);

/** Ops whose window attributes are checked. */
const WINDOW_OPS = new Set(['Conv', 'ConvInteger', 'QLinearConv', 'ConvTranspose', 'MaxPool', 'AveragePool', 'LpPool']);

/** Type rules between an op's inputs that the importers do not check themselves: `[a, b]` means
 * inputs a and b have one type. (Elementwise ops, MatMul, Gemm, Conv and Concat refuse mixed
 * types in their importers, with QGC1105.) */
const SAME_TYPE: Record<string, readonly (readonly [number, number])[]> = {
  Clip: [[0, 1], [0, 2]],
  // Opset 15 let scale/bias (T1) and mean/var (T2) differ from X; each pair still has one type.
  BatchNormalization: [[1, 2], [3, 4]],
};

/** Attributes the spec requires of early versions of an op. */
const REQUIRED_BEFORE: Record<string, { opset: number; attrs: readonly string[] }> = {
  BatchNormalization: { opset: 6, attrs: ['consumed_inputs'] },
};

/** Ops whose first N inputs are required (QOperator ops: zero points are not optional). */
const REQUIRED_INPUTS: Record<string, number> = { QLinearConv: 8, QLinearMatMul: 8 };

/** Element types that appeared after opset 1 and that qgc reads: a tensor of one of them in a
 * model of an earlier opset is not valid there. */
const TYPE_SINCE: Partial<Record<number, number>> = { 21: 21 /* UINT4 */, 22: 21 /* INT4 */ };

/** Inputs that must be int64 (a shape, axes, repeats). */
const INT64_INPUTS: Record<string, readonly number[]> = { Reshape: [1], Expand: [1], Tile: [1], ConstantOfShape: [0] };

/** QOperator ops whose scales are float32 by their schema (QuantizeLinear's may be float16 too). */
const FLOAT32_SCALES = new Set(['QLinearConv', 'QLinearMatMul']);

/** The scale inputs of the quantized ops (their zero points are range-checked with every tensor,
 * since an int8 or uint8 value in raw data cannot be out of range). */
const QUANT_SCALES: Record<string, readonly number[]> = {
  QuantizeLinear: [1], DequantizeLinear: [1], QLinearConv: [1, 4, 6], QLinearMatMul: [1, 4, 6],
};

function invalid(message: string, where: ErrorLocation, hint = 'The model breaks the ONNX specification; re-export it (onnx.checker.check_model(model, full_check=True) shows the same).'): CompileError {
  return new CompileError(ErrorCode.InvalidModel, message, where, hint);
}

/** Checks `model` (see the file comment); throws the first violation as a CompileError. */
export function validateModel(model: ModelProto, file?: string): void {
  const at = (w: ErrorLocation): ErrorLocation => (file === undefined ? w : { file, ...w });
  const ir = int64ToNumber(model.irVersion as Int64Like);
  if (!Number.isSafeInteger(ir) || ir < IR_VERSIONS.min || ir > IR_VERSIONS.max) {
    throw invalid(`ir_version ${ir} is outside ${IR_VERSIONS.min}..${IR_VERSIONS.max} (ONNX 1.0 to 1.23)`, at({}),
      ir > IR_VERSIONS.max ? 'The model comes from a newer ONNX than qgc knows; save it with onnx 1.23 or older.' : 'Set the model\'s ir_version (onnx.helper.make_model sets it), or re-export the model.');
  }
  const opset = int64ToNumber((model.opsetImport ?? []).find((o) => !o.domain)?.version as Int64Like);
  if (model.graph) validateGraph(model.graph, at, opset);
}

/** A tensor name with a NUL byte cannot cross a C API (onnxruntime's feeds, or the C qgc writes);
 * node names only appear in messages and comments, which escape it. */
function checkName(name: string, what: string, at: (w: ErrorLocation) => ErrorLocation): void {
  if (name.includes('\u0000')) throw invalid(`${what} '${name}' has a NUL character in its name`, at({}), 'Rename it: names cannot hold NUL characters.');
}

function validateGraph(g: GraphProto, at: (w: ErrorLocation) => ErrorLocation, opset: number): void {
  for (const t of g.initializer ?? []) checkName(t.name ?? '', 'initializer', at);
  for (const vi of [...(g.input ?? []), ...(g.output ?? [])]) checkName(vi.name ?? '', 'graph input or output', at);
  for (const n of g.node ?? []) for (const name of [...(n.input ?? []), ...(n.output ?? [])]) checkName(name, 'tensor', at);
  const initializers = new Map<string, TensorProto>();
  for (const t of g.initializer ?? []) {
    const name = t.name ?? '';
    if (name === '') throw invalid('an initializer has no name', at({}), 'Name every initializer.');
    if (initializers.has(name)) throw invalid(`two initializers are named '${name}'`, at({ tensor: name }));
    initializers.set(name, t);
    validateTensor(t, at({ tensor: name }));
    const since = TYPE_SINCE[t.dataType ?? 0];
    if (since !== undefined && opset < since) {
      throw invalid(`the tensor is ${typeName(t.dataType ?? 0)}, which ONNX defines from opset ${since} (the model declares ${opset})`, at({ tensor: name }), `Declare opset ${since} or later.`);
    }
  }
  const types = new Map<string, number>();
  for (const [name, t] of initializers) types.set(name, t.dataType ?? 0);

  const inputs = new Set<string>();
  for (const vi of g.input ?? []) {
    const name = vi.name ?? '';
    if (name === '') throw invalid('a graph input has no name', at({}), 'Name every graph input.');
    if (inputs.has(name)) throw invalid(`graph input '${name}' is listed twice`, at({ tensor: name }), 'List every graph input once.');
    inputs.add(name);
    const elem = vi.type?.tensorType?.elemType ?? 0;
    if (elem === 0 && !initializers.has(name)) throw invalid(`graph input '${name}' has no element type`, at({ tensor: name }), 'Declare the input\'s type (e.g. float32) and shape.');
    if (elem !== 0 && !types.has(name)) types.set(name, elem);
  }

  // One producer per tensor: graph inputs, initializers (which may also be listed as inputs,
  // IR < 4) and node outputs.
  const producer = new Map<string, string>();
  for (const name of inputs) producer.set(name, 'a graph input');
  for (const name of initializers.keys()) if (!inputs.has(name)) producer.set(name, 'an initializer');
  for (const [i, n] of (g.node ?? []).entries()) {
    const where = at({ node: n.name || `#${i}`, op: n.opType ?? '' });
    validateAttributes(n, where);
    validateNode(n, where, initializers, types, opset);
    for (const o of n.output ?? []) {
      if (o === '') continue;
      const before = producer.get(o);
      if (before !== undefined) throw invalid(`tensor '${o}' is written by this node and by ${before}`, where, 'Give every tensor exactly one producer (ONNX graphs are in SSA form).');
      producer.set(o, `node '${n.name || `#${i}`}'`);
    }
    if (n.opType === 'Constant') {
      const v = (n.attribute ?? []).find((a) => a.name === 'value')?.t;
      if (v && n.output?.[0]) types.set(n.output[0], v.dataType ?? 0);
    }
  }

  if ((g.output ?? []).length === 0) throw invalid('the graph has no outputs', at({}), 'Declare the tensors the model computes as graph outputs.');
  const outputs = new Set<string>();
  for (const vi of g.output ?? []) {
    const name = vi.name ?? '';
    if (name === '') throw invalid('a graph output has no name', at({}), 'Name every graph output.');
    if (outputs.has(name)) throw invalid(`graph output '${name}' is listed twice`, at({ tensor: name }), 'List every graph output once (add an Identity for a second name).');
    outputs.add(name);
    if ((vi.type?.tensorType?.elemType ?? 0) === 0) throw invalid(`graph output '${name}' has no element type`, at({ tensor: name }), 'Declare the output\'s type (onnx.helper.make_tensor_value_info).');
  }
}

/** Exactly one data field, and integer values stored in int32_data within the type's range. */
function validateTensor(t: TensorProto, where: ErrorLocation): void {
  const typed = ([
    ['float_data', t.floatData], ['int32_data', t.int32Data], ['int64_data', t.int64Data], ['double_data', t.doubleData],
    ['uint64_data', t.uint64Data], ['string_data', t.stringData],
  ] as const).filter(([, v]) => v !== undefined && v !== null && v.length > 0).map(([k]) => k);
  // protobuf presence: a raw_data field on the wire (even empty) is an own property after decoding.
  const raw = Object.prototype.hasOwnProperty.call(t, 'rawData') && t.rawData !== undefined && t.rawData !== null && (t.rawData.byteLength > 0 || typed.length > 0);
  const fields = [...(raw ? ['raw_data'] : []), ...typed, ...(t.dataLocation === 1 ? ['external data'] : [])];
  if (fields.length > 1) throw invalid(`the tensor stores its values twice (${fields.join(' and ')})`, where, 'Keep one data field: onnx.numpy_helper.from_array writes raw_data only.');
  const range = INT32_DATA_RANGE[t.dataType ?? 0];
  if (range && t.int32Data && t.int32Data.length > 0) {
    for (const v of t.int32Data) {
      if (v < range[0] || v > range[1]) {
        throw invalid(`int32_data holds ${v}, outside ${typeName(t.dataType ?? 0)}'s range ${range[0]}..${range[1]}`, where,
          'Store values the tensor\'s type can hold (a zero point of a uint8 tensor is 0..255, of an int8 tensor -128..127).');
      }
    }
  }
}

function validateAttributes(n: NodeProto, where: ErrorLocation): void {
  const seen = new Set<string>();
  for (const a of n.attribute ?? []) {
    const name = a.name ?? '';
    if (name === '') throw invalid('an attribute has no name', where);
    if (seen.has(name)) throw invalid(`attribute '${name}' appears twice`, where, 'Give every attribute once.');
    seen.add(name);
    validateAttribute(a, where);
  }
}

/** The value field each attribute type uses (protobufjs: scalars are own properties when present
 * on the wire, repeated fields are arrays). */
const ATTR_FIELDS: Record<number, string> = {
  [AT.FLOAT]: 'f', [AT.INT]: 'i', [AT.STRING]: 's', [AT.TENSOR]: 't', [AT.GRAPH]: 'g', [AT.SPARSE_TENSOR]: 'sparseTensor', [AT.TYPE_PROTO]: 'tp',
  [AT.FLOATS]: 'floats', [AT.INTS]: 'ints', [AT.STRINGS]: 'strings', [AT.TENSORS]: 'tensors', [AT.GRAPHS]: 'graphs', [AT.SPARSE_TENSORS]: 'sparseTensors', [AT.TYPE_PROTOS]: 'typeProtos',
};

function validateAttribute(a: AttributeProto, where: ErrorLocation): void {
  if ((a.type ?? 0) === AT.UNDEFINED) {
    throw invalid(`attribute '${a.name ?? ''}' has no type (UNDEFINED)`, where, 'Set the attribute\'s type (onnx.helper.make_attribute does), or re-export the model with a current exporter.');
  }
  const own = ATTR_FIELDS[a.type ?? 0];
  const record = a as Record<string, unknown>;
  const others = Object.values(ATTR_FIELDS).filter((f) => f !== own && (Array.isArray(record[f]) ? (record[f] as unknown[]).length > 0 : Object.prototype.hasOwnProperty.call(a, f)));
  if (others.length > 0) {
    throw invalid(`attribute '${a.name ?? ''}' is of type ${onnx.AttributeProto.AttributeType[a.type ?? 0]} but also holds ${others.join(', ')}`, where, 'An attribute holds exactly the value its type names; re-export the model.');
  }
  if (a.type === AT.TENSOR && a.t) validateTensor(a.t, { ...where, tensor: a.t.name || a.name || '' });
}

function ints(n: NodeProto, name: string): number[] | undefined {
  const a = (n.attribute ?? []).find((x) => x.name === name);
  return a?.ints ? a.ints.map((v) => int64ToNumber(v as Int64Like)) : undefined;
}

function validateNode(n: NodeProto, where: ErrorLocation, initializers: ReadonlyMap<string, TensorProto>, types: ReadonlyMap<string, number>, opset: number): void {
  const op = n.opType ?? '';
  const inputs = n.input ?? [];
  if (WINDOW_OPS.has(op)) validateWindow(n, where);
  const legacy = REQUIRED_BEFORE[op];
  if (legacy && opset < legacy.opset) {
    for (const name of legacy.attrs) {
      if (!(n.attribute ?? []).some((a) => a.name === name)) {
        throw invalid(`${op} at opset ${opset} requires the attribute '${name}' (ONNX drops it in opset ${legacy.opset})`, where, `Declare opset ${legacy.opset} or later (onnx.version_converter.convert_version).`);
      }
    }
  }
  for (const [a, b] of SAME_TYPE[op] ?? []) {
    const ta = inputs[a] ? types.get(inputs[a]) : undefined;
    const tb = inputs[b] ? types.get(inputs[b]) : undefined;
    if (ta && tb && ta !== tb) {
      throw invalid(`input ${b + 1} ('${inputs[b]}') is ${typeName(tb)} but input ${a + 1} ('${inputs[a]}') is ${typeName(ta)}; ${op} takes one type for both`, where,
        `Store '${inputs[b]}' as ${typeName(ta)}.`);
    }
  }
  if (op === 'QuantizeLinear') validateQuantizeTypes(n, where, types, opset);
  const required = REQUIRED_INPUTS[op] ?? 0;
  for (let i = 0; i < required; i++) {
    if (!inputs[i]) throw invalid(`input ${i + 1} is missing; ${op} requires its first ${required} inputs`, where, `Give ${op} all its required inputs (zero points too).`);
  }
  for (const i of INT64_INPUTS[op] ?? []) {
    const t = inputs[i] ? types.get(inputs[i]) : undefined;
    if (t && t !== DT.INT64) throw invalid(`input ${i + 1} ('${inputs[i]}') is ${typeName(t)}; ${op} takes int64 there`, where, `Store '${inputs[i]}' as int64.`);
  }
  for (const s of QUANT_SCALES[op] ?? []) {
    const scale = inputs[s] ? initializers.get(inputs[s]) : undefined;
    const t = inputs[s] ? types.get(inputs[s]) : undefined;
    if (t && FLOAT32_SCALES.has(op) && t !== DT.FLOAT) {
      throw invalid(`scale input ${s + 1} ('${inputs[s]}') is ${typeName(t)}; ${op} takes float scales`, where, `Store '${inputs[s]}' as float32.`);
    }
    if (scale) validateScale(scale, n, where, initializers);
  }
}

/** QuantizeLinear's input and scale types: before opset 19 the input is float32 or int32 and the
 * scale float32; from 19 the two have one type (float32, float16, bfloat16 or int32). */
function validateQuantizeTypes(n: NodeProto, where: ErrorLocation, types: ReadonlyMap<string, number>, opset: number): void {
  const [x, scale] = [n.input?.[0], n.input?.[1]].map((t) => (t ? types.get(t) : undefined));
  if (opset < 19) {
    if (x && x !== DT.FLOAT && x !== DT.INT32) throw invalid(`input 1 is ${typeName(x)}; QuantizeLinear before opset 19 takes float or int32`, where, 'Cast the input to float32, or declare opset 19 or later.');
    if (scale && scale !== DT.FLOAT) throw invalid(`the scale is ${typeName(scale)}; QuantizeLinear before opset 19 takes a float scale`, where, 'Store the scale as float32.');
  } else if (x && scale && x !== scale && x !== DT.INT32) {
    throw invalid(`input 1 is ${typeName(x)} but the scale is ${typeName(scale)}; QuantizeLinear takes one type for both`, where, `Store the scale as ${typeName(x)}.`);
  }
}

function validateWindow(n: NodeProto, where: ErrorLocation): void {
  const checks: [string, number][] = [['kernel_shape', 1], ['strides', 1], ['dilations', 1], ['pads', 0]];
  for (const [name, min] of checks) {
    for (const v of ints(n, name) ?? []) {
      if (!Number.isSafeInteger(v) || v < min || v > MAX_WINDOW_VALUE) {
        throw invalid(`${name} holds ${v}; it must be ${min === 1 ? 'positive' : 'zero or more'} and at most ${MAX_WINDOW_VALUE}`, where, `Fix the node's ${name}.`);
      }
    }
  }
  const group = (n.attribute ?? []).find((a) => a.name === 'group' && a.type === AT.INT);
  if (group) {
    const g = int64ToNumber(group.i as Int64Like);
    if (!Number.isSafeInteger(g) || g < 1 || g > MAX_WINDOW_VALUE) throw invalid(`group is ${g}; it must be positive`, where, 'Fix the node\'s group.');
  }
  const autoPad = (n.attribute ?? []).find((a) => a.name === 'auto_pad');
  const mode = autoPad?.s ? Buffer.from(autoPad.s).toString('utf8') : 'NOTSET';
  if (mode !== 'NOTSET' && ints(n, 'pads') !== undefined) {
    throw invalid(`auto_pad is ${mode} and pads are given too; the spec allows one or the other`, where, 'Drop pads (auto_pad computes them) or set auto_pad to NOTSET.');
  }
}

/** A quantization scale must be finite and positive; a zero scale on an all-zero weight channel
 * is explained. */
function validateScale(t: TensorProto, n: NodeProto, where: ErrorLocation, initializers: ReadonlyMap<string, TensorProto>): void {
  const values = floatValues(t);
  if (!values) return;
  for (let c = 0; c < values.length; c++) {
    const v = values[c];
    if (Number.isFinite(v) && v > 0) continue;
    const which = values.length === 1 ? '' : ` (channel ${c})`;
    const data = n.opType === 'DequantizeLinear' && n.input?.[0] ? initializers.get(n.input[0]) : undefined;
    const hint = v === 0 && data
      ? `A zero scale makes every value of this channel 0; if its weights are all zero, give the channel any positive scale (e.g. 1): the result is the same.`
      : 'Quantization scales must be finite and greater than 0; recalibrate or re-export the model.';
    throw invalid(`scale '${t.name ?? ''}'${which} is ${v}; scales must be finite and > 0`, { ...where, tensor: t.name ?? '' }, hint);
  }
}

/** The values of a float32 tensor stored in raw_data or float_data (undefined otherwise). */
function floatValues(t: TensorProto): number[] | undefined {
  if (t.dataType !== DT.FLOAT) return undefined;
  if (t.rawData && t.rawData.byteLength > 0) {
    if (t.rawData.byteLength % 4 !== 0) return undefined;
    const dv = new DataView(t.rawData.buffer, t.rawData.byteOffset, t.rawData.byteLength);
    return Array.from({ length: t.rawData.byteLength / 4 }, (_, i) => dv.getFloat32(4 * i, true));
  }
  return t.floatData ? [...t.floatData] : undefined;
}

/** After import: every graph input and output has the element type the model declares for it
 * (a float result declared int64, say, is a model onnxruntime refuses). */
export function checkDeclaredTypes(model: ModelProto, graph: Graph, file?: string): void {
  for (const vi of [...(model.graph?.input ?? []), ...(model.graph?.output ?? [])]) {
    const name = vi.name ?? '';
    const declared = vi.type?.tensorType?.elemType ?? 0;
    const t = graph.tensors.get(name);
    if (!t || declared === 0 || t.data) continue;
    const actual = onnxCodeOf(t.dtype);
    if (actual !== declared) {
      throw invalid(`'${name}' is declared ${typeName(declared)} but is ${typeName(actual)}`, { ...(file === undefined ? {} : { file }), tensor: name },
        `Declare '${name}' as ${typeName(actual)} (or fix the ops that compute it).`);
    }
  }
}
