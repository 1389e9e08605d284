/** Lowering rows of data movement on int8 tensors, in the input's parameters: Reshape, Flatten,
 * Squeeze, Unsqueeze and Identity become a Reshape view; Transpose, Slice, DepthToSpace and
 * SpaceToDepth stay (copies; TFLite's int8 StridedSlice / DepthToSpace keep the scale too), as
 * does nearest Resize (a gather: TFLite's int8 ResizeNearestNeighbor keeps the scale); Split
 * becomes one Slice per output (TFLite's int8 Split keeps the scale; the schedule steps through
 * nodes of one output); Pad
 * stays with its fill value in the int8 domain (real 0 is the zero point). */
import { CompileError, ErrorCode } from '../../errors.js';
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

/** Split on int8: one int8 Slice per output, in the input's parameters (the first keeps the
 * node's name). Each is lowered as a float Slice node of that one output would be, so both
 * sources check that output's own parameters. */
export function lowerSplit(s: ScaleSource, n: NodeOf<'Split'>): void {
  const shape = s.shape(n.inputs[0]);
  const { axis, splits } = n.attrs;
  let begin = 0;
  splits.forEach((len, i) => {
    const starts = shape.map((_, d) => (d === axis ? begin : 0));
    const part: NodeOf<'Slice'> = {
      name: i === 0 ? n.name : s.freshNode(`${n.name}_${i}`), op: 'Slice', inputs: [n.inputs[0]], outputs: [n.outputs[i]],
      attrs: { starts, steps: shape.map(() => 1), shape: shape.map((d, k) => (k === axis ? len : d)) },
    };
    try {
      lowerCopy(s, part);
    } catch (e) {
      // Errors name the Split the user wrote, not the Slice made of it.
      if (!(e instanceof CompileError) || e.where.node !== part.name) throw e;
      throw new CompileError(e.code, `output ${i} ('${n.outputs[i]}'): ${e.message.replaceAll('Slice', 'Split')}`, { ...e.where, node: n.name, op: n.op }, e.hint.replaceAll('Slice', 'Split'));
    }
    begin += len;
  });
}

/** Resize on int8: nearest is the same op (a gather of int8 bytes) in the input's parameters. */
export function lowerResize(s: ScaleSource, n: NodeOf<'Resize'>): void {
  if (n.attrs.mode !== 'nearest') {
    throw new CompileError(ErrorCode.UnsupportedOp, `Resize in ${n.attrs.mode} mode is not supported in int8`, { node: n.name, op: n.op },
      'Use mode nearest, or keep this model in float.');
  }
  const x = s.activation(n, n.inputs[0]);
  const out = s.output(n, { kind: 'keep', clamps: false, input: x });
  s.add(n, 'Resize', n.attrs, [x.name], out);
}

/** Pad on int8: a constant fill becomes its int8 value. */
export function lowerPad(s: ScaleSource, n: NodeOf<'Pad'>): void {
  const x = s.activation(n, n.inputs[0]);
  const out = s.output(n, { kind: 'keep', clamps: false, input: x });
  const value = n.attrs.mode === 'constant' ? s.fill(n, n.inputs[0], out.params, n.attrs.value) : 0;
  s.add(n, 'Pad', { ...n.attrs, value }, [x.name], out);
}
