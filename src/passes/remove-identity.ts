import type { Pass } from './pass.js';
import { cloneGraph, pruneTensors, renameUses } from '../ir/rewrite.js';

/** Afterwards: no Identity node remains (Dropout imports as Identity), except one that
 * copies a graph input straight to a graph output. */
export const removeIdentity: Pass = {
  name: 'remove-identity',
  guarantees: 'no Identity/Dropout nodes remain',
  run(graph) {
    let g = cloneGraph(graph);
    for (const n of graph.nodes) {
      // Dropout's mask output (all true in inference) keeps its node when something reads it.
      if (n.op !== 'Identity' || n.outputs.slice(1).some((o) => o !== '')) continue;
      const [src] = n.inputs;
      const [dst] = n.outputs;
      if (g.outputs.includes(dst) && (g.inputs.includes(src) || g.outputs.includes(src))) continue;
      g = { ...g, nodes: g.nodes.filter((m) => m !== n) };
      if (g.outputs.includes(dst)) {
        // Keep the graph output's name: the producer of `src` writes `dst` instead.
        g = renameUses(g, src, dst);
        g = { ...g, nodes: g.nodes.map((m) => (m.outputs.includes(src) ? { ...m, outputs: m.outputs.map((o) => (o === src ? dst : o)) } : m)) };
        if (g.tensors.get(src)?.data) g.tensors.set(dst, { ...g.tensors.get(src)!, name: dst });
      } else {
        g = renameUses(g, dst, src);
      }
    }
    return pruneTensors(g);
  },
};
