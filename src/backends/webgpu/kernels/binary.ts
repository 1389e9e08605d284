/** QAdd (broadcast or with a constant operand), QMul and QBatchMatMul in WGSL
 * (templates/wgsl/binary.wgsl.hbs, matmul.wgsl.hbs): the operands walked as
 * src/schedule/broadcast.ts says (the sizes and each operand's element strides, as constant
 * words), the arithmetic the interpreter's (src/interp/int8/elementwise.ts, conv.ts). */
import { elementCount } from '../../../ir/graph.js';
import { batchWalk, broadcastWalk, inOutputOrder, isPlainElementwise, type BroadcastWalk, type WalkOperand } from '../../../schedule/broadcast.js';
import { rowMajor } from '../../../schedule/layout.js';
import type { NodeStep } from '../../../schedule/types.js';
import { packBytes, type ParamsContext, type StepParams } from '../kernel.js';
import { addParams } from './elementwise.js';

/** The walk as constant words: sizes, then operand 1's strides, then operand 2's. */
function walkWords(ctx: ParamsContext, walk: BroadcastWalk): { rank: number; walkWord: number } {
  return { rank: walk.dims.length, walkWord: ctx.consts.add(Int32Array.from([...walk.dims, ...walk.strides[0], ...walk.strides[1]])) };
}

/** Operand 2 (an arena tensor, or a constant: in the output's byte order when it has the
 * output's shape) and the walk of both operands. */
function operands(step: NodeStep, ctx: ParamsContext) {
  const out = step.output;
  const x2 = step.inputs[1];
  const c = x2 ? undefined : step.consts[0];
  if (!x2 && !c?.data) throw new Error(`operand 2 of '${step.node.name}' is missing`);
  const second: WalkOperand = x2 ?? { shape: c!.shape, layout: rowMajor(c!.shape) };
  const plain = isPlainElementwise(out.shape, [step.inputs[0].shape, second.shape]);
  const walk = plain ? { dims: [elementCount(out.shape)], strides: [[1], [1]] } : broadcastWalk(out, [step.inputs[0], second]);
  const in2Byte = x2 ? ctx.offset(x2) : ctx.consts.add(packBytes(plain ? inOutputOrder(c!.data as Int8Array, out.layout) : (c!.data as Int8Array))) * 4;
  return { in1Byte: ctx.offset(step.inputs[0]), in2Byte, in2Const: x2 ? 0 : 1, ...walkWords(ctx, walk) };
}

/** QAdd and QMul: two arena tensors of one shape add on the `add` shader (no walk); the rest
 * run on `binary`. */
export function binaryParams(step: NodeStep, ctx: ParamsContext): StepParams {
  const n = step.node;
  if (n.op === 'QAdd' && step.inputs.length === 2 && isPlainElementwise(step.output.shape, [step.inputs[0].shape, step.inputs[1].shape])) return addParams(step, ctx);
  if (n.op === 'QMul') {
    const a = n.attrs;
    return {
      family: 'binary',
      values: {
        ...operands(step, ctx), mul: 1, leftShift: 0, zeroPoint1: a.input1ZeroPoint, multiplier1: 0, shift1: 0, zeroPoint2: a.input2ZeroPoint, multiplier2: 0, shift2: 0,
        outputMultiplier: a.multiplier, outputShift: a.shift, outputZeroPoint: a.outputZeroPoint, actMin: a.actMin, actMax: a.actMax,
      },
    };
  }
  if (n.op !== 'QAdd') throw new Error('unreachable');
  const a = n.attrs;
  return {
    family: 'binary',
    values: {
      ...operands(step, ctx), mul: 0, leftShift: a.leftShift,
      zeroPoint1: a.input1.zeroPoint, multiplier1: a.input1.multiplier, shift1: a.input1.shift,
      zeroPoint2: a.input2.zeroPoint, multiplier2: a.input2.multiplier, shift2: a.input2.shift,
      outputMultiplier: a.output.multiplier, outputShift: a.output.shift, outputZeroPoint: a.output.zeroPoint, actMin: a.actMin, actMax: a.actMax,
    },
  };
}

export function batchMatMulParams(step: NodeStep, ctx: ParamsContext): StepParams {
  if (step.node.op !== 'QBatchMatMul') throw new Error('unreachable');
  const a = step.node.attrs;
  const [lhs, rhs] = step.inputs;
  const [M, K] = lhs.shape.slice(lhs.shape.length - 2);
  const N = rhs.shape[rhs.shape.length - 1];
  return {
    family: 'matmul',
    values: {
      aByte: ctx.offset(lhs), bByte: ctx.offset(rhs), M, N, K, ...walkWords(ctx, batchWalk(lhs.shape, rhs.shape, step.output.shape)),
      lhsZeroPoint: a.lhsZeroPoint, rhsZeroPoint: a.rhsZeroPoint, outputZeroPoint: a.outputZeroPoint, multiplier: a.multiplier, shift: a.shift, actMin: a.actMin, actMax: a.actMax,
    },
  };
}
