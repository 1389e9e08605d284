/**
 * Input normalization folded into the first layer: a graph input that goes through a chain of
 * Sub / Add / Mul / Div with constants (`(x - mean) / std`, `x * (1/255) - 0.5`, per channel or
 * scalar) into a Conv or Gemm becomes that layer alone, with the affine map in its weights and
 * bias: for `x' = a[c] * x + b[c]` over input channel c,
 *
 *   Conv(x', W, B) = Conv(x, W * a[c], B + sum over c and taps of W * b[c])
 *
 * The padding of a Conv pads x' with 0, that is x with -b[c] / a[c]: the same value for every
 * channel becomes an explicit Pad of x with it (the conv's own pads then 0); per-channel values
 * with padding cannot be expressed by one Pad, and such a chain is left as it is. Gemm (input
 * [N, K], no transA) takes the map per column K of its input.
 */
import type { Graph, Node, NodeOf, Tensor } from '../ir/graph.js';
import { cloneGraph, consumers, freshName, pruneTensors, singleUse } from '../ir/rewrite.js';
import type { Pass } from './pass.js';

/** x' = a[c] * x + b[c] per channel (length 1: the same for all). */
interface Affine {
  a: Float64Array;
  b: Float64Array;
}

/** A float constant broadcasting over `shape` along `axis` only: its per-channel values (length 1 or C). */
function perChannel(t: Tensor | undefined, shape: readonly number[], axis: number): Float64Array | undefined {
  if (!t?.data || t.dtype !== 'float32' || t.shape.length > shape.length) return undefined;
  const aligned = [...new Array<number>(shape.length - t.shape.length).fill(1), ...t.shape];
  if (aligned.some((d, i) => d !== 1 && (i !== axis || d !== shape[axis]))) return undefined;
  return Float64Array.from(t.data as Float32Array);
}

/** The affine map of `n` on operand `x` with a constant operand, composed after `prev`. */
function step(g: Graph, n: Node, x: string, prev: Affine, shape: readonly number[], axis: number): Affine | undefined {
  if (n.op !== 'Add' && n.op !== 'Sub' && n.op !== 'Mul' && n.op !== 'Div') return undefined;
  const xFirst = n.inputs[0] === x;
  const other = n.inputs[xFirst ? 1 : 0];
  if (n.inputs.length !== 2 || (n.inputs[0] === x) === (n.inputs[1] === x)) return undefined;
  const c = perChannel(g.tensors.get(other), shape, axis);
  if (!c) return undefined;
  const len = Math.max(prev.a.length, c.length);
  const at = (v: Float64Array, i: number) => v[v.length === 1 ? 0 : i];
  const a = new Float64Array(len);
  const b = new Float64Array(len);
  for (let i = 0; i < len; i++) {
    const [pa, pb, k] = [at(prev.a, i), at(prev.b, i), at(c, i)];
    if (n.op === 'Add') [a[i], b[i]] = [pa, pb + k];
    else if (n.op === 'Sub') [a[i], b[i]] = xFirst ? [pa, pb - k] : [-pa, k - pb];
    else if (n.op === 'Mul') [a[i], b[i]] = [pa * k, pb * k];
    else if (xFirst && k !== 0) [a[i], b[i]] = [pa / k, pb / k];
    else return undefined; // k / x is not affine
  }
  return a.every((v) => v !== 0 && Number.isFinite(v)) && b.every(Number.isFinite) ? { a, b } : undefined;
}

function constant(g: Graph, base: string, shape: number[], data: Float32Array): string {
  const name = freshName(g, base);
  g.tensors.set(name, { name, dtype: 'float32', shape, data });
  return name;
}

/** The Conv (and a Pad before it, or none) reading the raw input `x` instead of x'. */
function foldIntoConv(g: Graph, conv: NodeOf<'Conv'>, x: string, m: Affine): Node[] | undefined {
  const w = g.tensors.get(conv.inputs[1]);
  const bias = conv.inputs[2] ? g.tensors.get(conv.inputs[2]) : undefined;
  if (!w?.data || w.dtype !== 'float32' || (conv.inputs[2] && !bias?.data)) return undefined;
  const [cout, cinG] = w.shape;
  const perOut = w.data.length / cout;
  const taps = perOut / cinG;
  const outPerGroup = cout / conv.attrs.group;
  const channel = (o: number, cl: number) => Math.floor(o / outPerGroup) * cinG + cl;
  const at = (v: Float64Array, c: number) => v[v.length === 1 ? 0 : c];
  const padded = conv.attrs.pads.some((p) => p !== 0);
  const fills = Array.from({ length: cinG * conv.attrs.group }, (_, c) => -at(m.b, c) / at(m.a, c));
  if (padded && fills.some((f) => f !== fills[0])) return undefined;
  const wd = w.data as Float32Array;
  const nw = new Float32Array(wd.length);
  const nb = new Float32Array(cout);
  for (let o = 0; o < cout; o++) {
    let sum = bias ? (bias.data as Float32Array)[o] : 0;
    for (let cl = 0; cl < cinG; cl++) {
      const c = channel(o, cl);
      for (let k = 0; k < taps; k++) {
        const i = o * perOut + cl * taps + k;
        nw[i] = wd[i] * at(m.a, c);
        sum += wd[i] * at(m.b, c);
      }
    }
    nb[o] = sum;
  }
  const inputs = [x, constant(g, `${conv.name}_w_inputfolded`, [...w.shape], nw), constant(g, `${conv.name}_b_inputfolded`, [cout], nb)];
  // Padding x' with 0 is padding x with 0 where every fill is 0 (no offset): the conv's pads stay.
  if (!padded || fills.every((f) => f === 0)) return [{ ...conv, inputs }];
  const xt = g.tensors.get(x)!;
  const rank = xt.shape.length;
  const nsp = rank - 2;
  const pads = [0, 0, ...conv.attrs.pads.slice(0, nsp), 0, 0, ...conv.attrs.pads.slice(nsp)];
  const paddedX = freshName(g, `${x}_padded`);
  g.tensors.set(paddedX, { name: paddedX, dtype: 'float32', shape: xt.shape.map((d, i) => d + pads[i] + pads[i + rank]) });
  const pad: Node = { name: freshName(g, `${conv.name}_input_pad`), op: 'Pad', inputs: [x], outputs: [paddedX], attrs: { mode: 'constant', pads, value: fills[0] } };
  return [pad, { ...conv, inputs: [paddedX, ...inputs.slice(1)], attrs: { ...conv.attrs, pads: conv.attrs.pads.map(() => 0) } }];
}

/** The Gemm reading `x` ([N, K], the map per column) instead of x'. */
function foldIntoGemm(g: Graph, gemm: NodeOf<'Gemm'>, x: string, m: Affine): Node[] | undefined {
  const bT = g.tensors.get(gemm.inputs[1]);
  const cT = gemm.inputs[2] ? g.tensors.get(gemm.inputs[2]) : undefined;
  if (gemm.attrs.transA || !bT?.data || bT.dtype !== 'float32' || (gemm.inputs[2] && !cT?.data)) return undefined;
  const [r, c] = bT.shape;
  const [k, n] = gemm.attrs.transB ? [c, r] : [r, c];
  const bd = bT.data as Float32Array;
  const idx = (kk: number, nn: number) => (gemm.attrs.transB ? nn * c + kk : kk * c + nn);
  const at = (v: Float64Array, i: number) => v[v.length === 1 ? 0 : i];
  const nbd = new Float32Array(bd.length);
  const nc = new Float32Array(n);
  for (let j = 0; j < n; j++) {
    let sum = cT ? (cT.data as Float32Array)[cT.data!.length === 1 ? 0 : j] * gemm.attrs.beta : 0;
    for (let kk = 0; kk < k; kk++) {
      const v = bd[idx(kk, j)];
      nbd[idx(kk, j)] = v * at(m.a, kk);
      sum += gemm.attrs.alpha * v * at(m.b, kk);
    }
    nc[j] = sum;
  }
  const b = constant(g, `${gemm.name}_b_inputfolded`, [r, c], nbd);
  const cName = constant(g, `${gemm.name}_c_inputfolded`, [n], nc);
  return [{ ...gemm, attrs: { ...gemm.attrs, beta: 1 }, inputs: [x, b, cName] }];
}

/** Afterwards: no graph input reaches a Conv or Gemm through constant Sub / Add / Mul / Div
 * alone (where the map folds, see above); float semantics are kept. */
export const foldInputAffine: Pass = {
  name: 'fold-input-affine',
  guarantees: 'input normalization (x - mean) / std in front of the first Conv/Gemm is in its weights and bias',
  run(graph) {
    const g = cloneGraph(graph);
    const uses = consumers(graph);
    let nodes = graph.nodes;
    for (const input of graph.inputs) {
      const t = graph.tensors.get(input);
      if (t?.dtype !== 'float32' || t.shape.length < 2) continue;
      const axis = 1; // NCHW channels; Gemm's [N, K] columns
      let map: Affine = { a: Float64Array.of(1), b: Float64Array.of(0) };
      const chain: Node[] = [];
      let cur = input;
      let layer: Node | undefined;
      while (singleUse(graph, uses, cur)) {
        const n = uses.get(cur)![0];
        if ((n.op === 'Conv' || n.op === 'Gemm') && n.inputs[0] === cur && !n.clamp) {
          layer = n;
          break;
        }
        const next = step(g, n, cur, map, t.shape, axis);
        if (!next || n.clamp) break;
        map = next;
        chain.push(n);
        cur = n.outputs[0];
      }
      if (!layer || chain.length === 0) continue;
      if (layer.op === 'Gemm' && t.shape.length !== 2) continue;
      const folded = layer.op === 'Conv' ? foldIntoConv(g, layer, input, map) : foldIntoGemm(g, layer as NodeOf<'Gemm'>, input, map);
      if (!folded) continue;
      const target = layer;
      nodes = nodes.filter((n) => !chain.includes(n)).flatMap((n) => (n === target ? folded : [n]));
    }
    return pruneTensors({ ...g, nodes });
  },
};
