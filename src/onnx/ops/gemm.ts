/** Importers for Gemm and MatMul (float). */
import { ErrorCode } from '../../errors.js';
import { expectFloat, expectInputs, input } from './common.js';
import { expectSameDtype } from './conv.js';
import { node, type OpImporter } from './types.js';

const shapeStr = (s: readonly number[]) => `[${s.join(', ')}]`;

export const gemmImporters: OpImporter[] = [
  {
    // Y = alpha * A' * B' + beta * C, C unidirectionally broadcast to [M, N].
    onnxOp: 'Gemm',
    import(ctx) {
      // C is optional from opset 11.
      expectInputs(ctx, ctx.opset >= 11 ? 2 : 3, 3);
      const a = input(ctx, 0);
      const b = input(ctx, 1);
      const c = ctx.inputs[2];
      expectFloat(ctx, a);
      expectSameDtype(ctx, a, b, 'input B');
      if (c) expectSameDtype(ctx, a, c, 'input C');
      const alpha = ctx.attrs.float('alpha', 1);
      const beta = ctx.attrs.float('beta', 1);
      const transA = ctx.attrs.int('transA', 0);
      const transB = ctx.attrs.int('transB', 0);
      if (transA !== 0 && transA !== 1) throw ctx.attrs.bad('transA', `is ${transA}; it must be 0 or 1`);
      if (transB !== 0 && transB !== 1) throw ctx.attrs.bad('transB', `is ${transB}; it must be 0 or 1`);
      for (const [t, what] of [[a, 'A'], [b, 'B']] as const) {
        if (t.shape.length !== 2) {
          throw ctx.error(ErrorCode.ShapeMismatch, `input ${what} '${t.name}' has shape ${shapeStr(t.shape)}; Gemm needs a matrix`,
            'Insert a Flatten or Reshape before the Gemm, or use MatMul.');
        }
      }
      const [M, K] = transA ? [a.shape[1], a.shape[0]] : [a.shape[0], a.shape[1]];
      const [Kb, N] = transB ? [b.shape[1], b.shape[0]] : [b.shape[0], b.shape[1]];
      if (K !== Kb) {
        throw ctx.error(ErrorCode.ShapeMismatch,
          `inner dimensions differ: A ${shapeStr(a.shape)}${transA ? ' (transposed)' : ''} x B ${shapeStr(b.shape)}${transB ? ' (transposed)' : ''}`,
          'The model is inconsistent; check the input shape (--input-shape).');
      }
      // Gemm-6: C broadcasts only with broadcast=1; otherwise it must be [M, N].
      const broadcast = ctx.opset < 7 ? ctx.attrs.int('broadcast', 0) : 1;
      if (broadcast !== 0 && broadcast !== 1) throw ctx.attrs.bad('broadcast', `is ${broadcast}; it must be 0 or 1`);
      if (c) {
        const cs = c.shape;
        const ok = broadcast
          ? cs.length <= 2 && cs.every((d, i) => d === 1 || d === [M, N][2 - cs.length + i])
          : cs.length === 2 && cs[0] === M && cs[1] === N;
        if (!ok) {
          throw ctx.error(ErrorCode.ShapeMismatch, `input C '${c.name}' has shape ${shapeStr(cs)}, which does not broadcast to the output [${M}, ${N}]`,
            'The model is inconsistent; check the input shape (--input-shape).');
        }
      }
      return node('Gemm', { alpha, beta, transA: transA === 1, transB: transB === 1 }, [{ dtype: a.dtype, shape: [M, N] }]);
    },
  },
  {
    // numpy matmul: 1-D operands are promoted (and the added dim removed), batch dims broadcast.
    onnxOp: 'MatMul',
    import(ctx) {
      expectInputs(ctx, 2);
      const a = input(ctx, 0);
      const b = input(ctx, 1);
      expectFloat(ctx, a);
      expectSameDtype(ctx, a, b, 'input B');
      if (a.shape.length === 0 || b.shape.length === 0) {
        throw ctx.error(ErrorCode.ShapeMismatch, 'MatMul operands must have rank >= 1 (got a scalar)', 'Use Mul for scalars.');
      }
      const shape = matmulShape(a.shape, b.shape);
      if (!shape) {
        throw ctx.error(ErrorCode.ShapeMismatch, `shapes ${shapeStr(a.shape)} and ${shapeStr(b.shape)} do not multiply`,
          'The model is inconsistent; check the input shape (--input-shape).');
      }
      return node('MatMul', {}, [{ dtype: a.dtype, shape }]);
    },
  },
];

/** Output shape of numpy matmul, or undefined when the shapes do not multiply. */
export function matmulShape(a: readonly number[], b: readonly number[]): number[] | undefined {
  const a2 = a.length === 1 ? [1, a[0]] : a;
  const b2 = b.length === 1 ? [b[0], 1] : b;
  const M = a2[a2.length - 2];
  const K = a2[a2.length - 1];
  const N = b2[b2.length - 1];
  if (b2[b2.length - 2] !== K) return undefined;
  const ba = a2.slice(0, -2);
  const bb = b2.slice(0, -2);
  const rank = Math.max(ba.length, bb.length);
  const batch: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = ba[ba.length - rank + i] ?? 1;
    const db = bb[bb.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) return undefined;
    batch.push(da === 1 ? db : da);
  }
  const out = [...batch];
  if (a.length > 1) out.push(M);
  if (b.length > 1) out.push(N);
  return out;
}
