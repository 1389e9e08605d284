/** Lowering rows of the reductions: ReduceMean → QMean (TFLite's int8 Mean, its own output
 * parameters), ReduceMax → QReduceMax and GlobalMaxPool → QMaxPool over the whole spatial extent
 * (both keep the input's parameters, as TFLite requires). */
import type { NodeOf } from '../../ir/graph.js';
import { meanParams } from '../../ir/intmath.js';
import type { PoolAttrs } from '../../ir/ops.js';
import { clampOf } from './linear.js';
import type { ScaleSource } from './source.js';

/** ReduceMean → QMean. */
export function lowerReduceMean(s: ScaleSource, n: NodeOf<'ReduceMean'>): void {
  const shape = s.shape(n.inputs[0]);
  const x = s.activation(n, n.inputs[0]);
  const out = s.output(n, { kind: 'own', clamps: false });
  const p = out.params;
  const count = n.attrs.axes.reduce((c, a) => c * shape[a], 1);
  s.add(n, 'QMean', {
    axes: [...n.attrs.axes], keepdims: n.attrs.keepdims, inputZeroPoint: x.zeroPoint, outputZeroPoint: p.zeroPoint, ...meanParams(x.scale, p.scale, count),
  }, [x.name], out);
}

/** ReduceMax → QReduceMax. */
export function lowerReduceMax(s: ScaleSource, n: NodeOf<'ReduceMax'>): void {
  const x = s.activation(n, n.inputs[0]);
  const out = s.output(n, { kind: 'keep', clamps: false, input: x });
  s.add(n, 'QReduceMax', { axes: [...n.attrs.axes], keepdims: n.attrs.keepdims }, [x.name], out);
}

/** GlobalMaxPool → QMaxPool with a window of the whole spatial extent. */
export function lowerGlobalMaxPool(s: ScaleSource, n: NodeOf<'GlobalMaxPool'>): void {
  const x = s.activation(n, n.inputs[0]);
  const out = s.output(n, { kind: 'keep', clamps: false, input: x });
  const spatial = s.shape(n.inputs[0]).slice(2);
  const ones = spatial.map(() => 1);
  // In the MaxPool importer's order, so that a QDQ round trip prints the same graph.
  const pool: PoolAttrs = { kernel: [...spatial], strides: ones, dilations: [...ones], pads: [...ones, ...ones].map(() => 0), ceilMode: false, countIncludePad: false };
  s.add(n, 'QMaxPool', { ...pool, ...clampOf(out) }, [x.name], out);
}
