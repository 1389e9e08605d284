/** Lowering rows of the pools: MaxPool/AveragePool → QMaxPool/QAveragePool, GlobalAveragePool →
 * QAveragePool over the whole spatial extent; the output keeps the input's parameters. */
import { CompileError, ErrorCode } from '../../errors.js';
import type { NodeOf } from '../../ir/graph.js';
import { inGroup, type PoolAttrs } from '../../ir/ops.js';
import { clampOf } from './linear.js';
import type { ScaleSource } from './source.js';

/** MaxPool/AveragePool → QMaxPool/QAveragePool. */
export function lowerPool(s: ScaleSource, n: NodeOf<'MaxPool'> | NodeOf<'AveragePool'>): void {
  // Without padding count_include_pad changes nothing; it is kept as the model states it.
  if (n.op === 'AveragePool' && n.attrs.countIncludePad && n.attrs.pads.some((p) => p !== 0)) {
    throw new CompileError(ErrorCode.UnsupportedOp, 'AveragePool with count_include_pad=1 and padding is not supported in int8', { node: n.name, op: n.op },
      "qgc's int8 average pool divides by the valid elements (TFLite semantics); export with count_include_pad=False or without padding.");
  }
  const x = s.activation(n, n.inputs[0]);
  const out = s.output(n, { kind: 'keep', clamps: inGroup('int8Clamping', n.op), input: x });
  const attrs = { ...n.attrs, ...clampOf(out) };
  if (n.op === 'MaxPool') s.add(n, 'QMaxPool', attrs, [x.name], out);
  else s.add(n, 'QAveragePool', attrs, [x.name], out);
}

/** GlobalAveragePool → QAveragePool with a window of the whole spatial extent. */
export function lowerGlobalAveragePool(s: ScaleSource, n: NodeOf<'GlobalAveragePool'>): void {
  const x = s.activation(n, n.inputs[0]);
  const out = s.output(n, { kind: 'keep', clamps: inGroup('int8Clamping', n.op), input: x });
  const spatial = s.shape(n.inputs[0]).slice(2);
  const ones = spatial.map(() => 1);
  const pool: PoolAttrs = { kernel: [...spatial], strides: ones, dilations: [...ones], pads: [...ones, ...ones].map(() => 0), countIncludePad: false, ceilMode: false };
  s.add(n, 'QAveragePool', { ...pool, ...clampOf(out) }, [x.name], out);
}
