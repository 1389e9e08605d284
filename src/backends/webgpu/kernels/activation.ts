/** The int8 activations and reductions in WGSL. QSigmoid, QTanh, QHardSigmoid, QHardSwish and
 * QLeakyRelu read the interpreter's value for every int8 input (src/interp/int8/activation.ts
 * unaryTable, the table the C and Wasm kernels read) from 64 constant words
 * (templates/wgsl/lut.wgsl.hbs); QPRelu its slope per channel (prelu.wgsl.hbs); QMean and
 * QReduceMax the row-major input as [outer, reduce, inner] (reduce.wgsl.hbs). */
import { unaryTable, type Int8UnaryNode } from '../../../interp/int8/activation.js';
import type { NodeStep } from '../../../schedule/types.js';
import { preluChannels, reductionExtent } from '../../c/kernels-portable.js';
import { packBytes, type ParamsContext, type StepParams } from '../kernel.js';

export function lutParams(step: NodeStep, ctx: ParamsContext): StepParams {
  return { family: 'lut', values: { inByte: ctx.offset(step.inputs[0]), tableWord: ctx.consts.add(packBytes(unaryTable(step.node as Int8UnaryNode))) } };
}

export function preluParams(step: NodeStep, ctx: ParamsContext): StepParams {
  if (step.node.op !== 'QPRelu') throw new Error('unreachable');
  const a = step.node.attrs;
  const slope = preluChannels(step);
  return {
    family: 'prelu',
    values: {
      inByte: ctx.offset(step.inputs[0]), channels: slope.length, slopeWord: ctx.consts.add(packBytes(slope)),
      inputZeroPoint: a.inputZeroPoint, slopeZeroPoint: a.slopeZeroPoint, outputZeroPoint: a.outputZeroPoint,
      identityMultiplier: a.identity.multiplier, identityShift: a.identity.shift, negativeMultiplier: a.negative.multiplier, negativeShift: a.negative.shift,
    },
  };
}

export function reduceParams(step: NodeStep, ctx: ParamsContext): StepParams {
  if (step.node.op !== 'QMean' && step.node.op !== 'QReduceMax') throw new Error('unreachable');
  const { reduce, inner } = reductionExtent(step);
  const mean = step.node.op === 'QMean' ? step.node.attrs : undefined;
  return {
    family: 'reduce',
    values: {
      inByte: ctx.offset(step.inputs[0]), reduce, inner, mean: mean ? 1 : 0,
      inputZeroPoint: mean?.inputZeroPoint ?? 0, outputZeroPoint: mean?.outputZeroPoint ?? 0, multiplier: mean?.multiplier ?? 0, shift: mean?.shift ?? 0,
    },
  };
}
