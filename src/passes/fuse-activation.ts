import type { Graph, Node } from '../ir/graph.js';
import { inGroup, type OpName } from '../ir/ops.js';
import type { Pass } from './pass.js';
import { consumers, producers, pruneTensors, singleUse } from '../ir/rewrite.js';

/** A fusion row: an activation op, the clamp it equals, and the producers whose kernels clamp. */
interface FusionRow {
  activation: OpName;
  clamp(node: Node, g: Graph): { min: number; max: number } | undefined;
}

const ROWS: readonly FusionRow[] = [
  { activation: 'Relu', clamp: () => ({ min: 0, max: Infinity }) },
  {
    activation: 'Clip',
    // Only Clip with constant bounds (dynamic min/max inputs stay a separate node).
    clamp: (n, g) => {
      if (n.op !== 'Clip') return undefined;
      const dynamic = n.inputs.slice(1).some((i) => i !== '' && !g.tensors.get(i)?.data);
      return dynamic ? undefined : { min: n.attrs.min, max: n.attrs.max };
    },
  },
];

/** Afterwards: a Relu or constant Clip that alone reads the output of a clamping producer
 * (Conv, Gemm, MatMul, Add, pools) is gone; the producer carries it as `clamp`. */
export const fuseActivation: Pass = {
  name: 'fuse-activation',
  guarantees: 'Relu/Relu6/Clip after Conv, Gemm, MatMul, Add and pools are fused clamps',
  run(graph) {
    const uses = consumers(graph);
    const prod = producers(graph);
    const replaced = new Map<Node, Node>();
    const removed = new Set<Node>();
    for (const act of graph.nodes) {
      const row = ROWS.find((r) => r.activation === act.op);
      if (!row) continue;
      const x = act.inputs[0];
      const src = prod.get(x);
      if (!src || !inGroup('clamping', src.op) || replaced.has(src) || !singleUse(graph, uses, x)) continue;
      const c = row.clamp(act, graph);
      if (!c) continue;
      const prev = src.clamp ?? { min: -Infinity, max: Infinity };
      const clamp = { min: Math.max(prev.min, c.min), max: Math.min(prev.max, c.max) };
      replaced.set(src, { ...src, clamp, outputs: [act.outputs[0], ...src.outputs.slice(1)] });
      removed.add(act);
    }
    const nodes = graph.nodes.flatMap((n) => (removed.has(n) ? [] : [replaced.get(n) ?? n]));
    return pruneTensors({ ...graph, nodes });
  },
};
