/**
 * Which bit-widths the integer interpreter can run. The quantized IR records a width on every
 * quantized tensor (QuantParams.bits); the kernels in this folder are CMSIS-NN's s8 kernels, so
 * anything else (int4 weights, int16 activations) is refused here, before a kernel would read
 * the values as int8, with an error that names the node, the tensor and the width.
 */
import { CompileError, ErrorCode } from '../../errors.js';
import type { Graph, Node } from '../../ir/graph.js';
import type { QuantizedOpAttrMap, QuantRole } from '../../ir/qops.js';

/** The role of each input and output of an int8 op ('float' at the boundary; 'each' repeats the
 * one role for every input). Complete by type: a new Q* op must say what its tensors are. */
type IoRoles = { inputs: readonly (QuantRole | 'float')[] | { each: QuantRole }; outputs: readonly (QuantRole | 'float')[] };

const linear: IoRoles = { inputs: ['activation', 'weight', 'bias'], outputs: ['activation'] };
const activations: IoRoles = { inputs: { each: 'activation' }, outputs: ['activation'] };

export const quantRoles: { readonly [K in keyof QuantizedOpAttrMap]: IoRoles } = {
  QConv: linear,
  QFullyConnected: linear,
  QAdd: activations,
  QMul: activations,
  QBatchMatMul: activations,
  QMaxPool: activations,
  QAveragePool: activations,
  QSoftmax: activations,
  QConcat: activations,
  QClamp: activations,
  Quantize: { inputs: ['float'], outputs: ['activation'] },
  Dequantize: { inputs: ['activation'], outputs: ['float'] },
};

/** The widths the interpreter's integer kernels run, per role. */
export const INTERPRETER_BITS: Readonly<Record<QuantRole, readonly number[]>> = { weight: [8], activation: [8], bias: [32] };

const PLURAL: Readonly<Record<QuantRole, string>> = { weight: 'weights', activation: 'activations', bias: 'biases' };

const isQuantizedOp = (op: string): op is keyof QuantizedOpAttrMap => Object.hasOwn(quantRoles, op);

/** Throws a CompileError when a quantized tensor of `node` has a width the interpreter cannot run. */
export function checkBitWidths(graph: Graph, node: Node): void {
  if (!isQuantizedOp(node.op)) return;
  const roles = quantRoles[node.op];
  const roleOf = (list: IoRoles['inputs'], i: number) => ('each' in list ? list.each : list[i]);
  const check = (name: string, role: QuantRole | 'float' | undefined) => {
    const bits = graph.tensors.get(name)?.quant?.bits;
    if (name === '' || role === undefined || role === 'float' || bits === undefined) return;
    const ok = INTERPRETER_BITS[role];
    if (ok.includes(bits)) return;
    throw new CompileError(ErrorCode.UnsupportedDType,
      `${role} '${name}' has ${bits}-bit values; the integer interpreter runs ${node.op} on ${ok.join('/')}-bit ${PLURAL[role]} only`,
      { node: node.name, op: node.op, tensor: name },
      `Quantize ${PLURAL[role]} to ${ok.join(' or ')} bits (qgc quantize and QDQ models with int8/uint8 do); kernels for ${bits}-bit ${PLURAL[role]} are not implemented yet.`);
  };
  node.inputs.forEach((name, i) => check(name, roleOf(roles.inputs, i)));
  node.outputs.forEach((name, i) => check(name, roles.outputs[i]));
}

/** checkBitWidths for every node of `graph` (a table lookup per node: cheap next to any kernel). */
export function checkGraphBitWidths(graph: Graph): void {
  for (const n of graph.nodes) checkBitWidths(graph, n);
}
