/** QAdd, QClamp and QSoftmax in WGSL: their attributes as uniform parameters (the shaders are
 * templates/wgsl/add, clamp and softmax.wgsl.hbs). */
import type { NodeStep } from '../../../schedule/types.js';
import type { ParamsContext, StepParams } from '../kernel.js';

export function addParams(step: NodeStep, ctx: ParamsContext): StepParams {
  if (step.node.op !== 'QAdd') throw new Error('unreachable');
  const a = step.node.attrs;
  return {
    family: 'add',
    values: {
      in1Byte: ctx.offset(step.inputs[0]), in2Byte: ctx.offset(step.inputs[1]), leftShift: a.leftShift,
      zeroPoint1: a.input1.zeroPoint, multiplier1: a.input1.multiplier, shift1: a.input1.shift,
      zeroPoint2: a.input2.zeroPoint, multiplier2: a.input2.multiplier, shift2: a.input2.shift,
      outputMultiplier: a.output.multiplier, outputShift: a.output.shift, outputZeroPoint: a.output.zeroPoint, actMin: a.actMin, actMax: a.actMax,
    },
  };
}

export function clampParams(step: NodeStep, ctx: ParamsContext): StepParams {
  if (step.node.op !== 'QClamp') throw new Error('unreachable');
  return { family: 'clamp', values: { inByte: ctx.offset(step.inputs[0]), actMin: step.node.attrs.actMin, actMax: step.node.attrs.actMax } };
}

export function softmaxParams(step: NodeStep, ctx: ParamsContext): StepParams {
  if (step.node.op !== 'QSoftmax') throw new Error('unreachable');
  const a = step.node.attrs;
  const shape = step.inputs[0].shape;
  return {
    family: 'softmax',
    values: { inByte: ctx.offset(step.inputs[0]), rowSize: shape.length === 0 ? 1 : shape[shape.length - 1], multiplier: a.multiplier, shift: a.shift, diffMin: a.diffMin },
  };
}
