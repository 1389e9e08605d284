import type { NumericData } from '../ir/dtype.js';
import type { Graph, Node, NodeOf, Tensor } from '../ir/graph.js';
import type { Pass } from './pass.js';
import { cloneGraph, consumers, freshName, producers, pruneTensors, singleUse } from '../ir/rewrite.js';

interface BnParams {
  /** Per-channel multiplier gamma / sqrt(var + eps). */
  scale: Float64Array;
  /** Per-channel offset beta - mean * scale. */
  shift: Float64Array;
}

function bnParams(g: Graph, bn: NodeOf<'BatchNormalization'>): BnParams | undefined {
  const [, gamma, beta, mean, variance] = bn.inputs.map((n) => g.tensors.get(n)?.data as NumericData | undefined);
  if (!gamma || !beta || !mean || !variance) return undefined;
  const c = gamma.length;
  const scale = new Float64Array(c);
  const shift = new Float64Array(c);
  for (let i = 0; i < c; i++) {
    scale[i] = gamma[i] / Math.sqrt(variance[i] + bn.attrs.epsilon);
    shift[i] = beta[i] - mean[i] * scale[i];
  }
  return { scale, shift };
}

function constant(g: Graph, base: string, shape: number[], data: Float32Array): string {
  const name = freshName(g, base);
  g.tensors.set(name, { name, dtype: 'float32', shape, data });
  return name;
}

/** Conv(W, b) → BN  ⇒  Conv(W * s, (b - mean) * s + beta). */
function foldIntoConv(g: Graph, conv: NodeOf<'Conv'>, p: BnParams, out: string): Node | undefined {
  const w = g.tensors.get(conv.inputs[1]);
  const b = conv.inputs[2] ? g.tensors.get(conv.inputs[2]) : undefined;
  if (!w?.data || (conv.inputs[2] && !b?.data) || w.dtype !== 'float32') return undefined;
  const m = w.shape[0];
  if (p.scale.length !== m) return undefined;
  const per = w.data.length / m;
  const wd = w.data as Float32Array;
  const nw = new Float32Array(wd.length);
  for (let o = 0; o < m; o++) for (let k = 0; k < per; k++) nw[o * per + k] = wd[o * per + k] * p.scale[o];
  const nb = new Float32Array(m);
  for (let o = 0; o < m; o++) nb[o] = (b ? (b.data as Float32Array)[o] : 0) * p.scale[o] + p.shift[o];
  const wName = constant(g, `${conv.name}_w_bnfolded`, [...w.shape], nw);
  const bName = constant(g, `${conv.name}_b_bnfolded`, [m], nb);
  return { ...conv, inputs: [conv.inputs[0], wName, bName], outputs: [out] };
}

/** Gemm → BN over the output columns  ⇒  Gemm with scaled B and a folded bias. */
function foldIntoGemm(g: Graph, gemm: NodeOf<'Gemm'>, p: BnParams, out: string): Node | undefined {
  const bT = g.tensors.get(gemm.inputs[1]);
  const cT = gemm.inputs[2] ? g.tensors.get(gemm.inputs[2]) : undefined;
  if (!bT?.data || bT.dtype !== 'float32' || (gemm.inputs[2] && !cT?.data)) return undefined;
  const [r, c] = bT.shape;
  const n = gemm.attrs.transB ? r : c;
  if (p.scale.length !== n) return undefined;
  if (cT && !(cT.data!.length === 1 || cT.data!.length === n)) return undefined;
  const bd = bT.data as Float32Array;
  const nb = new Float32Array(bd.length);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) nb[i * c + j] = bd[i * c + j] * p.scale[gemm.attrs.transB ? i : j];
  const nc = new Float32Array(n);
  for (let j = 0; j < n; j++) {
    const cv = cT ? (cT.data as Float32Array)[cT.data!.length === 1 ? 0 : j] * gemm.attrs.beta : 0;
    nc[j] = cv * p.scale[j] + p.shift[j];
  }
  const bName = constant(g, `${gemm.name}_b_bnfolded`, [r, c], nb);
  const cName = constant(g, `${gemm.name}_c_bnfolded`, [n], nc);
  return { ...gemm, attrs: { ...gemm.attrs, beta: 1 }, inputs: [gemm.inputs[0], bName, cName], outputs: [out] };
}

/** Afterwards: no BatchNormalization remains. One that follows a Conv or Gemm (whose output
 * it alone reads) is folded into its weights and bias; any other becomes Mul + Add with
 * per-channel constants. */
export const foldBatchNorm: Pass = {
  name: 'fold-batchnorm',
  guarantees: 'no BatchNormalization nodes remain',
  run(graph) {
    const g = cloneGraph(graph);
    const uses = consumers(graph);
    const prod = producers(graph);
    const replaced = new Map<Node, Node[]>();
    const removed = new Set<Node>();
    for (const n of graph.nodes) {
      if (n.op !== 'BatchNormalization') continue;
      const p = bnParams(g, n);
      if (!p) continue;
      const x = n.inputs[0];
      const src = prod.get(x);
      const out = n.outputs[0];
      let folded: Node | undefined;
      if (src && !src.clamp && singleUse(graph, uses, x) && !replaced.has(src)) {
        if (src.op === 'Conv') folded = foldIntoConv(g, src, p, out);
        else if (src.op === 'Gemm') folded = foldIntoGemm(g, src, p, out);
      }
      if (folded && src) {
        replaced.set(src, [folded]);
        removed.add(n);
        continue;
      }
      // A per-channel affine: x * scale + shift, constants shaped [C, 1, ..., 1] to broadcast over dim 1.
      const rank = g.tensors.get(x)!.shape.length;
      const shape = [p.scale.length, ...new Array<number>(Math.max(0, rank - 2)).fill(1)];
      const s = constant(g, `${n.name}_scale`, shape, Float32Array.from(p.scale));
      const t = constant(g, `${n.name}_shift`, shape, Float32Array.from(p.shift));
      const mid = freshName(g, `${n.name}_scaled`);
      g.tensors.set(mid, { ...(g.tensors.get(out) as Tensor), name: mid });
      replaced.set(n, [
        { name: `${n.name}_mul`, op: 'Mul', inputs: [x, s], outputs: [mid], attrs: {} },
        { name: `${n.name}_add`, op: 'Add', inputs: [mid, t], outputs: [out], attrs: {} },
      ]);
    }
    const nodes = graph.nodes.flatMap((n) => (removed.has(n) ? [] : (replaced.get(n) ?? [n])));
    return pruneTensors({ ...g, nodes });
  },
};
