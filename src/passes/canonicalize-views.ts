import type { Node } from '../ir/graph.js';
import { inGroup } from '../ir/ops.js';
import type { Pass } from './pass.js';
import { consumers, producers, pruneTensors, renameUses, singleUse } from '../ir/rewrite.js';

/** Afterwards: every shape-only op is a Reshape{shape} of its first input (a view: backends
 * alias its buffer), chains of them are one Reshape, and a Reshape to the same shape is gone. */
export const canonicalizeViews: Pass = {
  name: 'canonicalize-views',
  guarantees: 'shape-only ops are single Reshape views',
  run(graph) {
    // 1. Rewrite Flatten/Squeeze/Unsqueeze as Reshape to the (static) output shape.
    let g = {
      ...graph,
      nodes: graph.nodes.map((n): Node => {
        if (!inGroup('view', n.op) || n.op === 'Reshape') return n;
        const shape = [...graph.tensors.get(n.outputs[0])!.shape];
        return { name: n.name, op: 'Reshape', attrs: { shape }, inputs: [n.inputs[0]], outputs: [n.outputs[0]] };
      }),
    };
    // 2. Merge Reshape → Reshape chains, and 3. drop Reshapes to the same shape.
    for (let changed = true; changed; ) {
      changed = false;
      const uses = consumers(g);
      const prod = producers(g);
      for (const n of g.nodes) {
        if (n.op !== 'Reshape') continue;
        const src = prod.get(n.inputs[0]);
        if (src && src.op === 'Reshape' && singleUse(g, uses, n.inputs[0])) {
          g = { ...g, nodes: g.nodes.filter((m) => m !== src).map((m) => (m === n ? { ...n, inputs: [src.inputs[0]] } : m)) };
          changed = true;
          break;
        }
        const inShape = g.tensors.get(n.inputs[0])!.shape;
        const outShape = g.tensors.get(n.outputs[0])!.shape;
        const same = inShape.length === outShape.length && inShape.every((d, i) => d === outShape[i]);
        if (same && !g.outputs.includes(n.outputs[0])) {
          g = renameUses({ ...g, nodes: g.nodes.filter((m) => m !== n) }, n.outputs[0], n.inputs[0]);
          changed = true;
          break;
        }
      }
    }
    return pruneTensors(g);
  },
};
