import type { Pass } from './pass.js';
import type { Node } from '../ir/graph.js';
import { cloneGraph, pruneTensors } from '../ir/rewrite.js';

/** Afterwards: no Identity node remains (Dropout imports as Identity), except one that
 * copies a graph input straight to a graph output.
 *
 * One pass over the nodes records which name replaces which (`alias`), a second renames every
 * use at once: linear in nodes, where renaming the whole graph per Identity was quadratic (torch
 * emits thousands of Identity nodes for shared BatchNorm parameters). */
export const removeIdentity: Pass = {
  name: 'remove-identity',
  guarantees: 'no Identity/Dropout nodes remain',
  run(graph) {
    const g = cloneGraph(graph);
    const inputs = new Set(g.inputs);
    const outputs = new Set(g.outputs);
    const alias = new Map<string, string>();
    const resolve = (name: string): string => {
      let r = name;
      for (let next = alias.get(r); next !== undefined; next = alias.get(r)) r = next;
      if (r !== name) alias.set(name, r);
      return r;
    };
    const removed = new Set<Node>();
    for (const n of graph.nodes) {
      // Dropout's mask output (all true in inference) keeps its node when something reads it.
      if (n.op !== 'Identity' || n.outputs.slice(1).some((o) => o !== '')) continue;
      const src = resolve(n.inputs[0]);
      const [dst] = n.outputs;
      if (outputs.has(dst) && (inputs.has(src) || outputs.has(src))) continue;
      removed.add(n);
      if (outputs.has(dst)) {
        // Keep the graph output's name: the producer of `src` writes `dst` instead.
        alias.set(src, dst);
        if (g.tensors.get(src)?.data) g.tensors.set(dst, { ...g.tensors.get(src)!, name: dst });
      } else {
        alias.set(dst, src);
      }
    }
    if (removed.size === 0) return pruneTensors(g);
    const rename = (names: readonly string[]) => (names.some((t) => alias.has(t)) ? names.map((t) => (t === '' ? t : resolve(t))) : names);
    g.nodes = graph.nodes.filter((n) => !removed.has(n)).map((n) => {
      const ins = rename(n.inputs);
      const outs = rename(n.outputs);
      return ins === n.inputs && outs === n.outputs ? n : ({ ...n, inputs: [...ins], outputs: [...outs] } as Node);
    });
    g.outputs = g.outputs.map(resolve);
    return pruneTensors(g);
  },
};
