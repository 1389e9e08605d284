import type { Graph, Node } from '../ir/graph.js';
import type { Pass } from './pass.js';
import { cloneGraph, consumers, freshName, producers, pruneTensors, singleUse } from '../ir/rewrite.js';

/** The constant operand of an Add whose other operand is `x`, if any. */
function constOperand(g: Graph, add: Node, x: string): string | undefined {
  const other = add.inputs[0] === x ? add.inputs[1] : add.inputs[1] === x ? add.inputs[0] : undefined;
  return other !== undefined && g.tensors.get(other)?.data ? other : undefined;
}

/** The bias as a flat [channels] vector when `shape` broadcasts along `axis` only. */
function perChannel(shape: readonly number[], outRank: number, axis: number, channels: number): boolean {
  const padded = [...new Array<number>(outRank - shape.length).fill(1), ...shape];
  if (padded.length !== outRank) return false;
  return padded.every((d, i) => (i === axis ? d === channels || d === 1 : d === 1));
}

function addBias(g: Graph, existing: string | undefined, add: string, channels: number, base: string): string {
  const a = g.tensors.get(add)!.data as Float32Array;
  const e = existing ? (g.tensors.get(existing)!.data as Float32Array) : undefined;
  const out = new Float32Array(channels);
  for (let c = 0; c < channels; c++) out[c] = (e ? e[e.length === 1 ? 0 : c] : 0) + a[a.length === 1 ? 0 : c];
  const name = freshName(g, base);
  g.tensors.set(name, { name, dtype: 'float32', shape: [channels], data: out });
  return name;
}

/** Afterwards: Conv/Gemm followed by an Add of a per-output-channel constant carry it as
 * their bias, and MatMul(x 2-D, W const 2-D) + Add(bias) is a Gemm with C = bias. */
export const fuseBias: Pass = {
  name: 'fuse-bias',
  guarantees: 'per-channel constant Adds after Conv/Gemm/MatMul are biases',
  run(graph) {
    const g = cloneGraph(graph);
    const uses = consumers(graph);
    const prod = producers(graph);
    const replaced = new Map<Node, Node>();
    const removed = new Set<Node>();
    for (const add of graph.nodes) {
      if (add.op !== 'Add' || add.clamp) continue;
      for (const x of add.inputs) {
        const src = prod.get(x);
        const bias = constOperand(g, add, x);
        if (!src || !bias || src.clamp || replaced.has(src) || !singleUse(graph, uses, x)) continue;
        const outShape = g.tensors.get(add.outputs[0])!.shape;
        const srcShape = g.tensors.get(x)!.shape;
        if (outShape.length !== srcShape.length || outShape.some((d, i) => d !== srcShape[i])) continue;
        const biasShape = g.tensors.get(bias)!.shape;
        if (g.tensors.get(bias)!.dtype !== 'float32') continue;
        if (src.op === 'Conv' && perChannel(biasShape, outShape.length, 1, outShape[1])) {
          const b = addBias(g, src.inputs[2] || undefined, bias, outShape[1], `${src.name}_bias`);
          replaced.set(src, { ...src, inputs: [src.inputs[0], src.inputs[1], b], outputs: [add.outputs[0]] });
        } else if (src.op === 'Gemm' && perChannel(biasShape, 2, 1, outShape[1])) {
          const c = src.inputs[2] ? g.tensors.get(src.inputs[2]) : undefined;
          if (c && c.data!.length !== 1 && c.data!.length !== outShape[1]) continue;
          const scaledC = src.inputs[2] ? scaleBias(g, src.inputs[2], src.attrs.beta, `${src.name}_c`) : undefined;
          const b = addBias(g, scaledC, bias, outShape[1], `${src.name}_bias`);
          replaced.set(src, { ...src, attrs: { ...src.attrs, beta: 1 }, inputs: [src.inputs[0], src.inputs[1], b], outputs: [add.outputs[0]] });
        } else if (src.op === 'MatMul' && srcShape.length === 2 && g.tensors.get(src.inputs[1])?.data && perChannel(biasShape, 2, 1, outShape[1])) {
          const b = addBias(g, undefined, bias, outShape[1], `${src.name}_bias`);
          replaced.set(src, {
            name: src.name,
            op: 'Gemm',
            attrs: { alpha: 1, beta: 1, transA: false, transB: false },
            inputs: [src.inputs[0], src.inputs[1], b],
            outputs: [add.outputs[0]],
          });
        } else continue;
        removed.add(add);
        break;
      }
    }
    const nodes = graph.nodes.flatMap((n) => (removed.has(n) ? [] : [replaced.get(n) ?? n]));
    return pruneTensors({ ...g, nodes });
  },
};

function scaleBias(g: Graph, name: string, beta: number, base: string): string {
  if (beta === 1) return name;
  const t = g.tensors.get(name)!;
  const scaled = (t.data as Float32Array).map((v) => v * beta);
  const n = freshName(g, base);
  g.tensors.set(n, { ...t, name: n, data: scaled });
  return n;
}
