/** QMaxPool and QAveragePool in WGSL (templates/wgsl/pool.wgsl.hbs): the window geometry of an
 * NHWC input; the shader counts the valid taps of each window itself. */
import { nhwcOf, window2d } from '../../../schedule/geometry.js';
import type { NodeStep } from '../../../schedule/types.js';
import type { ParamsContext, StepParams } from '../kernel.js';

export function poolParams(step: NodeStep, ctx: ParamsContext): StepParams {
  if (step.node.op !== 'QMaxPool' && step.node.op !== 'QAveragePool') throw new Error('unreachable');
  const a = step.node.attrs;
  const inD = nhwcOf(step.inputs[0].shape);
  const outD = nhwcOf(step.output.shape);
  const win = window2d(a);
  return {
    family: 'pool',
    values: {
      inByte: ctx.offset(step.inputs[0]), H: inD.h, W: inD.w, C: inD.c, OH: outD.h, OW: outD.w,
      KH: win.kernelH, KW: win.kernelW, SH: win.strideH, SW: win.strideW, PH: win.padH, PW: win.padW, DH: win.dilationH, DW: win.dilationW,
      average: step.node.op === 'QAveragePool' ? 1 : 0, actMin: a.actMin, actMax: a.actMax,
    },
  };
}
