import type { Graph } from '../ir/graph.js';
import { freshName } from '../ir/rewrite.js';
import { fusionRow, runFusions, type FusionMatch } from './fusion.js';
import type { Pass } from './pass.js';

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

function scaleBias(g: Graph, name: string, beta: number, base: string): string {
  if (beta === 1) return name;
  const t = g.tensors.get(name)!;
  const scaled = (t.data as Float32Array).map((v) => v * beta);
  const n = freshName(g, base);
  g.tensors.set(n, { ...t, name: n, data: scaled });
  return n;
}

type BiasProducer = 'Conv' | 'Gemm' | 'MatMul';

/** The Add's other operand. */
const otherInput = <P extends BiasProducer>(m: FusionMatch<P, 'Add'>): string => m.consumer.inputs[1 - m.input];

/** The pattern every bias row shares: an unclamped producer whose output, unbroadcast, is
 * added to a float32 constant that varies at most along the channel axis 1. */
function biasPattern<P extends BiasProducer>(m: FusionMatch<P, 'Add'>, g: Graph): boolean {
  const bias = g.tensors.get(otherInput(m));
  if (m.consumer.clamp || m.producer.clamp || !bias?.data || bias.dtype !== 'float32') return false;
  const outShape = g.tensors.get(m.consumer.outputs[0])!.shape;
  const srcShape = g.tensors.get(m.consumer.inputs[m.input])!.shape;
  if (outShape.length !== srcShape.length || outShape.some((d, i) => d !== srcShape[i])) return false;
  return perChannel(bias.shape, m.producer.op === 'Conv' ? outShape.length : 2, 1, outShape[1]);
}

const channels = <P extends BiasProducer>(m: FusionMatch<P, 'Add'>, g: Graph): number => g.tensors.get(m.consumer.outputs[0])!.shape[1];

/** Conv → Add(const) ⇒ Conv{bias}; Gemm → Add(const) ⇒ Gemm{C + const, beta 1};
 * MatMul(x 2-D, W const) → Add(const) ⇒ Gemm{bias}. */
const BIAS_ROWS = [
  fusionRow({
    name: 'conv-bias',
    producer: ['Conv'] as const,
    consumer: ['Add'] as const,
    via: 'any',
    when: biasPattern,
    rewrite(m, g) {
      const src = m.producer;
      const b = addBias(g, src.inputs[2] || undefined, otherInput(m), channels(m, g), `${src.name}_bias`);
      return { ...src, inputs: [src.inputs[0], src.inputs[1], b] };
    },
  }),
  fusionRow({
    name: 'gemm-bias',
    producer: ['Gemm'] as const,
    consumer: ['Add'] as const,
    via: 'any',
    when: biasPattern,
    rewrite(m, g) {
      const src = m.producer;
      const c = src.inputs[2] ? g.tensors.get(src.inputs[2]) : undefined;
      if (c && c.data!.length !== 1 && c.data!.length !== channels(m, g)) return undefined;
      const scaledC = src.inputs[2] ? scaleBias(g, src.inputs[2], src.attrs.beta, `${src.name}_c`) : undefined;
      const b = addBias(g, scaledC, otherInput(m), channels(m, g), `${src.name}_bias`);
      return { ...src, attrs: { ...src.attrs, beta: 1 }, inputs: [src.inputs[0], src.inputs[1], b] };
    },
  }),
  fusionRow({
    name: 'matmul-bias',
    producer: ['MatMul'] as const,
    consumer: ['Add'] as const,
    via: 'any',
    when: (m, g) => g.tensors.get(m.consumer.inputs[m.input])!.shape.length === 2 && !!g.tensors.get(m.producer.inputs[1])?.data && biasPattern(m, g),
    rewrite(m, g) {
      const src = m.producer;
      const b = addBias(g, undefined, otherInput(m), channels(m, g), `${src.name}_bias`);
      return { name: src.name, op: 'Gemm', attrs: { alpha: 1, beta: 1, transA: false, transB: false }, inputs: [src.inputs[0], src.inputs[1], b], outputs: [] };
    },
  }),
];

/** Afterwards: Conv/Gemm followed by an Add of a per-output-channel constant carry it as
 * their bias, and MatMul(x 2-D, W const 2-D) + Add(bias) is a Gemm with C = bias. */
export const fuseBias: Pass = {
  name: 'fuse-bias',
  guarantees: 'per-channel constant Adds after Conv/Gemm/MatMul are biases',
  run: (graph) => runFusions(graph, BIAS_ROWS).graph,
};
