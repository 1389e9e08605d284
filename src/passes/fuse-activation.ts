import type { Graph, Node } from '../ir/graph.js';
import { OpGroups, type OpName } from '../ir/ops.js';
import { fusionRow, runFusions, type AnyFusionRow } from './fusion.js';
import type { Pass } from './pass.js';

/** The real bounds a Relu or a Clip with constant bounds equals; undefined for a Clip whose
 * min/max are computed at run time (it stays a separate node). */
export function activationBounds(n: Node, g: Graph): { min: number; max: number } | undefined {
  if (n.op === 'Relu') return { min: 0, max: Infinity };
  if (n.op !== 'Clip') return undefined;
  const dynamic = n.inputs.slice(1).some((i) => i !== '' && !g.tensors.get(i)?.data);
  return dynamic ? undefined : { min: n.attrs.min, max: n.attrs.max };
}

/** `producer → Relu/Clip ⇒ producer{clamp}` for the given producers (the bounds intersect an
 * existing clamp). */
export function activationFusion(producers: readonly OpName[]): AnyFusionRow {
  return fusionRow({
    name: 'activation',
    producer: producers,
    consumer: ['Relu', 'Clip'] as const,
    via: 'first',
    rewrite({ producer, consumer }, g) {
      const c = activationBounds(consumer, g);
      if (!c) return undefined;
      const prev = producer.clamp ?? { min: -Infinity, max: Infinity };
      return { ...producer, clamp: { min: Math.max(prev.min, c.min), max: Math.min(prev.max, c.max) } };
    },
  });
}

/** Afterwards: a Relu or constant Clip that alone reads the output of a clamping producer
 * (Conv, Gemm, MatMul, Add, pools: OpGroups.clamping) is gone; the producer carries it as `clamp`. */
export const fuseActivation: Pass = {
  name: 'fuse-activation',
  guarantees: 'Relu/Relu6/Clip after Conv, Gemm, MatMul, Add and pools are fused clamps',
  run: (graph) => runFusions(graph, [activationFusion(OpGroups.clamping)]).graph,
};
