/**
 * Which bit-widths the integer interpreter can run, per op. The quantized IR records a width on
 * every quantized tensor (QuantParams.bits); the kernels in this folder are CMSIS-NN's s8
 * kernels, and QConv/QFullyConnected also its s4 ones (int4 weights, held one value per byte:
 * the arithmetic is the s8 kernels', only the weights' range is narrower) and s16 ones (int16
 * activations with int64 biases: conv-s16.ts). Any other width is
 * refused here, before a kernel would read the values, with an error that names the node, the
 * tensor and the width; a constant narrower than its storage must hold values of its width.
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
  QSigmoid: activations,
  QTanh: activations,
  QHardSwish: activations,
  QHardSigmoid: activations,
  QLeakyRelu: activations,
  QPRelu: activations,
  QMean: activations,
  QReduceMax: activations,
  Quantize: { inputs: ['float'], outputs: ['activation'] },
  Dequantize: { inputs: ['activation'], outputs: ['float'] },
};

/** The widths the interpreter's integer kernels run, per role. */
export const INTERPRETER_BITS: Readonly<Record<QuantRole, readonly number[]>> = { weight: [8], activation: [8], bias: [32] };

/** The IR storage type of each width (4-bit weights are held one per byte). */
const STORAGE: Readonly<Record<number, string>> = { 4: 'int8', 8: 'int8', 16: 'int16', 32: 'int32', 64: 'int64' };

/** Ops whose kernels run more widths than INTERPRETER_BITS, per role. */
const WIDER: { readonly [K in keyof QuantizedOpAttrMap]?: Partial<Record<QuantRole, readonly number[]>> } = {
  QConv: { weight: [8, 4], activation: [8, 16], bias: [32, 64] },
  QFullyConnected: { weight: [8, 4], activation: [8, 16], bias: [32, 64] },
};

/** The widths `op` runs for `role`. */
export function interpreterBits(op: keyof QuantizedOpAttrMap, role: QuantRole): readonly number[] {
  return WIDER[op]?.[role] ?? INTERPRETER_BITS[role];
}

const PLURAL: Readonly<Record<QuantRole, string>> = { weight: 'weights', activation: 'activations', bias: 'biases' };

const isQuantizedOp = (op: string): op is keyof QuantizedOpAttrMap => Object.hasOwn(quantRoles, op);

/** Throws a CompileError when a quantized tensor of `node` has a width the interpreter cannot run. */
export function checkBitWidths(graph: Graph, node: Node): void {
  if (!isQuantizedOp(node.op)) return;
  const roles = quantRoles[node.op];
  const roleOf = (list: IoRoles['inputs'], i: number) => ('each' in list ? list.each : list[i]);
  const check = (name: string, role: QuantRole | 'float' | undefined) => {
    const t = graph.tensors.get(name);
    const bits = t?.quant?.bits;
    if (name === '' || role === undefined || role === 'float' || bits === undefined) return;
    const ok = interpreterBits(node.op as keyof QuantizedOpAttrMap, role);
    if (ok.includes(bits)) {
      const storage = STORAGE[bits];
      if (t && storage !== undefined && t.dtype !== storage) {
        throw new CompileError(ErrorCode.BadGraph, `${role} '${name}' records ${bits}-bit values but is stored as ${t.dtype}`,
          { node: node.name, op: node.op, tensor: name }, `Store ${bits}-bit values as ${storage}.`);
      }
      if (t?.data && bits < 8) checkValuesFit(node, name, t.data, bits);
      return;
    }
    throw new CompileError(ErrorCode.UnsupportedDType,
      `${role} '${name}' has ${bits}-bit values; the integer interpreter runs ${node.op} on ${ok.join('/')}-bit ${PLURAL[role]} only`,
      { node: node.name, op: node.op, tensor: name },
      `Quantize ${PLURAL[role]} to ${ok.join(' or ')} bits (qgc quantize and QDQ models with int8/uint8 do); kernels for ${bits}-bit ${PLURAL[role]} are not implemented yet.`);
  };
  node.inputs.forEach((name, i) => check(name, roleOf(roles.inputs, i)));
  node.outputs.forEach((name, i) => check(name, roles.outputs[i]));
}

/** A constant of `bits`-bit values (held wider) must stay within the signed `bits`-bit range. */
function checkValuesFit(node: Node, name: string, data: ArrayLike<number | bigint>, bits: number): void {
  const hi = 2 ** (bits - 1) - 1;
  const lo = -hi - 1;
  for (let i = 0; i < data.length; i++) {
    const v = Number(data[i]);
    if (v < lo || v > hi) {
      throw new CompileError(ErrorCode.BadGraph, `${bits}-bit tensor '${name}' holds ${v} at element ${i}, outside [${lo}, ${hi}]`,
        { node: node.name, op: node.op, tensor: name }, `Quantize the tensor to ${bits} bits, or record its true width.`);
    }
  }
}

/** checkBitWidths for every node of `graph` (a table lookup per node: cheap next to any kernel). */
export function checkGraphBitWidths(graph: Graph): void {
  for (const n of graph.nodes) checkBitWidths(graph, n);
}
