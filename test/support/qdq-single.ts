/** One float op between QuantizeLinear/DequantizeLinear pairs, as a QDQ ONNX model, and its int8
 * form as lowerQdq makes it: the way the TFLite comparison (test/tflite-int8-ops.test.ts) and the
 * QDQ lowering tests get an int8 node whose scales are exactly the ones given. Every activation
 * input is a graph input x<i> (float) → Q/DQ with its scale and zero point; float constants (a
 * PRelu slope) are initializers, quantized too when `quantized` says so; the output goes through
 * Q/DQ with its parameters unless `output` is omitted (then it is the float graph output). */
import type { DType, TensorData } from '../../src/ir/dtype.js';
import type { Graph, Node } from '../../src/ir/graph.js';
import { attr, valueInfo } from '../../src/onnx/export-proto.js';
import { loadModelBytes } from '../../src/onnx/load.js';
import { lowerQdq, type LowerQdqOptions } from '../../src/passes/lower-qdq.js';
import { encode, init } from './qdq-models.js';

export interface QParams {
  scale: number;
  zeroPoint: number;
}

export interface SingleOpSpec {
  opType: string;
  attributes?: object[];
  /** Activation inputs: shape and parameters. */
  inputs: { shape: number[]; q: QParams }[];
  /** Constant inputs after the activations, in order: float data (quantized per tensor with `q`
   * through a DequantizeLinear, when given) or another type (int64 axes). */
  constants?: { dtype: DType; shape: number[]; data: TensorData; q?: QParams }[];
  outShape: number[];
  /** Output parameters; omitted: the op's float output is the graph output. */
  output?: QParams;
  opset?: number;
}

export const onnxAttr = attr;

/** The QDQ model of `spec` (opset 13 unless given). */
export function singleOpModel(spec: SingleOpSpec): Uint8Array {
  const nodes: object[] = [];
  const inits: object[] = [];
  const opInputs: string[] = [];
  const q = (name: string, p: QParams) => {
    inits.push(init(`${name}_s`, 'float32', [], Float32Array.of(p.scale)), init(`${name}_z`, 'int8', [], Int8Array.of(p.zeroPoint)));
    return [`${name}_s`, `${name}_z`];
  };
  spec.inputs.forEach((x, i) => {
    const sz = q(`x${i}`, x.q);
    nodes.push({ name: `q_x${i}`, opType: 'QuantizeLinear', input: [`x${i}`, ...sz], output: [`x${i}_q`] },
      { name: `dq_x${i}`, opType: 'DequantizeLinear', input: [`x${i}_q`, ...sz], output: [`x${i}_f`] });
    opInputs.push(`x${i}_f`);
  });
  (spec.constants ?? []).forEach((c, i) => {
    if (c.q) {
      const sz = q(`c${i}`, c.q);
      const data = Int8Array.from(c.data as ArrayLike<number>, (v) => Math.max(-128, Math.min(127, Math.round(v / c.q!.scale) + c.q!.zeroPoint)));
      inits.push(init(`c${i}_q`, 'int8', c.shape, data));
      nodes.push({ name: `dq_c${i}`, opType: 'DequantizeLinear', input: [`c${i}_q`, ...sz], output: [`c${i}_f`] });
      opInputs.push(`c${i}_f`);
    } else {
      inits.push(init(`c${i}`, c.dtype, c.shape, c.data));
      opInputs.push(`c${i}`);
    }
  });
  const y = spec.output ? 'y_f' : 'y';
  nodes.push({ name: 'op', opType: spec.opType, input: opInputs, output: [y], attribute: spec.attributes ?? [] });
  if (spec.output) {
    const sz = q('y', spec.output);
    nodes.push({ name: 'q_y', opType: 'QuantizeLinear', input: ['y_f', ...sz], output: ['y_q'] },
      { name: 'dq_y', opType: 'DequantizeLinear', input: ['y_q', ...sz], output: ['y'] });
  }
  return encode(nodes, inits, spec.inputs.map((x, i) => valueInfo(`x${i}`, 'float32', x.shape)), [valueInfo('y', 'float32', spec.outShape)], spec.opset ?? 13);
}

/** The lowered int8 graph of `spec`'s model and its one int8 op (the node that is neither the
 * boundary Quantize nor Dequantize; a float node where the int8 row refuses the op and it has
 * float kernels, unless `opts.int8Only`). */
export function lowerSingleOp(spec: SingleOpSpec, opts: LowerQdqOptions = {}): { graph: Graph; node: Node } {
  const graph = lowerQdq(loadModelBytes(singleOpModel(spec)).graph, opts);
  const ops = graph.nodes.filter((n) => n.op !== 'Quantize' && n.op !== 'Dequantize');
  if (ops.length !== 1) throw new Error(`expected one int8 op, got ${ops.map((n) => n.op).join(', ')}`);
  return { graph, node: ops[0] };
}
