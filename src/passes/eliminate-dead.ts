import type { Pass } from './pass.js';
import { pruneTensors } from '../ir/rewrite.js';

/** Afterwards: every node contributes to a graph output; unused tensors are gone. */
export const eliminateDead: Pass = {
  name: 'eliminate-dead',
  guarantees: 'every node contributes to a graph output',
  run(graph) {
    const live = new Set(graph.outputs);
    const kept = [];
    for (let i = graph.nodes.length - 1; i >= 0; i--) {
      const n = graph.nodes[i];
      if (n.outputs.some((o) => live.has(o))) {
        kept.push(n);
        for (const x of n.inputs) live.add(x);
      }
    }
    return pruneTensors({ ...graph, nodes: kept.reverse() });
  },
};
