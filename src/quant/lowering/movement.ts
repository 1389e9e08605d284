/** Lowering rows of data movement on int8 tensors, in the input's parameters: Reshape, Flatten,
 * Squeeze, Unsqueeze and Identity become a Reshape view; Transpose, Slice, DepthToSpace and
 * SpaceToDepth stay (copies; TFLite's int8 StridedSlice / DepthToSpace keep the scale too); Pad
 * stays with its fill value in the int8 domain (real 0 is the zero point). */
import type { NodeOf } from '../../ir/graph.js';
import type { ScaleSource } from './source.js';

/** Reshape-like ops → a Reshape view to the output shape. */
export function lowerView(s: ScaleSource, n: NodeOf<'Reshape'> | NodeOf<'Flatten'> | NodeOf<'Squeeze'> | NodeOf<'Unsqueeze'> | NodeOf<'Identity'>): void {
  const x = s.activation(n, n.inputs[0]);
  const out = s.output(n, { kind: 'keep', clamps: false, input: x });
  s.add(n, 'Reshape', { shape: [...s.shape(n.outputs[0])] }, [x.name], out);
}

/** Transpose on int8. */
export function lowerTranspose(s: ScaleSource, n: NodeOf<'Transpose'>): void {
  const x = s.activation(n, n.inputs[0]);
  const out = s.output(n, { kind: 'keep', clamps: false, input: x });
  s.add(n, 'Transpose', n.attrs, [x.name], out);
}

/** Slice, DepthToSpace, SpaceToDepth on int8: the same op (a copy) in the input's parameters. */
export function lowerCopy(s: ScaleSource, n: NodeOf<'Slice'> | NodeOf<'DepthToSpace'> | NodeOf<'SpaceToDepth'>): void {
  const x = s.activation(n, n.inputs[0]);
  const out = s.output(n, { kind: 'keep', clamps: false, input: x });
  if (n.op === 'Slice') s.add(n, 'Slice', n.attrs, [x.name], out);
  else s.add(n, n.op, n.attrs, [x.name], out);
}

/** Pad on int8: a constant fill becomes its int8 value. */
export function lowerPad(s: ScaleSource, n: NodeOf<'Pad'>): void {
  const x = s.activation(n, n.inputs[0]);
  const out = s.output(n, { kind: 'keep', clamps: false, input: x });
  const value = n.attrs.mode === 'constant' ? s.fill(n, n.inputs[0], out.params, n.attrs.value) : 0;
  s.add(n, 'Pad', { ...n.attrs, value }, [x.name], out);
}
