/** Importer for ConvTranspose (float; any spatial rank, groups, strides, dilations, pads,
 * output_padding, output_shape, auto_pad): everything is resolved to explicit pads and
 * output padding, as ONNX's reference computes them. */
import { ErrorCode } from '../../errors.js';
import { expectSameDtype } from './conv.js';
import { expectFloat, expectInputs, input } from './common.js';
import { node, type OpImporter } from './types.js';

const shapeStr = (s: readonly number[]) => `[${s.join(', ')}]`;

export const convTransposeImporters: OpImporter[] = [
  {
    onnxOp: 'ConvTranspose',
    import(ctx) {
      expectInputs(ctx, 2, 3);
      const a = ctx.attrs;
      const x = input(ctx, 0);
      const w = input(ctx, 1);
      const b = ctx.inputs[2];
      expectFloat(ctx, x);
      expectSameDtype(ctx, x, w, 'weight');
      if (b) expectSameDtype(ctx, x, b, 'bias');
      const rank = x.shape.length;
      if (rank < 3 || w.shape.length !== rank) {
        throw ctx.error(ErrorCode.ShapeMismatch, `input ${shapeStr(x.shape)} and weight ${shapeStr(w.shape)} must both be [N, C, spatial...] of one rank`,
          'Check the input shape (--input-shape).');
      }
      const nsp = rank - 2;
      const [N, C] = x.shape;
      const group = a.int('group', 1);
      if (!(group >= 1) || C % group !== 0) throw a.bad('group', `${group} must be positive and divide the input channels (${C})`);
      if (w.shape[0] !== C) {
        throw ctx.error(ErrorCode.ShapeMismatch, `weight '${w.name}' ${shapeStr(w.shape)} must have the input's ${C} channels first ([C, M / group, k...])`, 'The model is inconsistent; re-export it.');
      }
      const M = w.shape[1] * group;
      if (b && (b.shape.length !== 1 || b.shape[0] !== M)) {
        throw ctx.error(ErrorCode.ShapeMismatch, `bias '${b.name}' has shape ${shapeStr(b.shape)}, expected [${M}]`, 'The model is inconsistent; re-export it.');
      }
      const kernel = w.shape.slice(2);
      const kShape = a.ints('kernel_shape');
      if (kShape && (kShape.length !== nsp || kShape.some((k, i) => k !== kernel[i]))) {
        throw a.bad('kernel_shape', `[${kShape.join(', ')}] does not match the weight's window [${kernel.join(', ')}]`);
      }
      const ones = new Array<number>(nsp).fill(1);
      const strides = a.ints('strides', ones);
      const dilations = a.ints('dilations', ones);
      const outputPadding = a.ints('output_padding', new Array<number>(nsp).fill(0));
      if (strides.length !== nsp || strides.some((s) => s < 1)) throw a.bad('strides', `must hold ${nsp} positive values`);
      if (dilations.length !== nsp || dilations.some((d) => d < 1)) throw a.bad('dilations', `must hold ${nsp} positive values`);
      if (outputPadding.length !== nsp || outputPadding.some((p, i) => p < 0 || p >= Math.max(strides[i], dilations[i]))) {
        throw a.bad('output_padding', `must hold ${nsp} values, each below its stride or dilation`);
      }
      const autoPad = a.string('auto_pad', 'NOTSET');
      let pads = a.ints('pads', new Array<number>(2 * nsp).fill(0));
      if (pads.length !== 2 * nsp || pads.some((p) => p < 0)) throw a.bad('pads', `must hold ${2 * nsp} non-negative values`);
      const inSp = x.shape.slice(2);
      // The output size with no padding.
      const full = inSp.map((d, i) => strides[i] * (d - 1) + outputPadding[i] + (kernel[i] - 1) * dilations[i] + 1);
      let outShape = a.ints('output_shape');
      if (outShape) {
        if (outShape.length === rank) outShape = outShape.slice(2);
        if (outShape.length !== nsp) throw a.bad('output_shape', `[${outShape.join(', ')}] must give ${nsp} spatial sizes`);
      }
      let extra = new Array<number>(nsp).fill(0);
      if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
        const target = outShape ?? inSp.map((d, i) => d * strides[i]);
        const total = full.map((f, i) => f - target[i]);
        const half = total.map((t) => Math.floor(t / 2));
        pads = autoPad === 'SAME_UPPER' ? [...half, ...total.map((t, i) => t - half[i])] : [...total.map((t, i) => t - half[i]), ...half];
      } else if (autoPad === 'VALID' || autoPad === 'NOTSET') {
        if (autoPad === 'VALID') pads = new Array<number>(2 * nsp).fill(0);
        if (outShape) {
          // An explicit output shape with no auto_pad: ONNX's reference pads the end with zeros.
          if (a.has('pads') && pads.some((p) => p !== 0)) throw a.bad('pads', 'are given together with output_shape', 'Give either pads or output_shape.');
          extra = outShape.map((o, i) => o - full[i]);
          if (extra.some((e) => e < 0)) throw a.bad('output_shape', `[${outShape.join(', ')}] is smaller than the unpadded output [${full.join(', ')}]`, 'Give pads instead.');
        }
      } else {
        throw a.bad('auto_pad', `'${autoPad}' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID`);
      }
      const outSp = full.map((f, i) => f + extra[i] - pads[i] - pads[i + nsp]);
      if (outSp.some((o) => !(o >= 1))) {
        throw ctx.error(ErrorCode.ShapeMismatch, `the output would be [${outSp.join(', ')}]`, 'Check the pads and the input shape.');
      }
      const op = outputPadding.map((p, i) => p + extra[i]);
      return node('ConvTranspose', { kernel, strides, dilations, pads, group, outputPadding: op }, [{ dtype: x.dtype, shape: [N, M, ...outSp] }]);
    },
  },
];
