import type { Node } from '../ir/graph.js';
import { inGroup } from '../ir/ops.js';
import { runNode } from '../interp/run.js';
import type { Value } from '../interp/types.js';
import type { Pass } from './pass.js';
import { cloneGraph, pruneTensors } from '../ir/rewrite.js';

/** Ops never folded: quantization boundaries carry scales the quantizer must see. */

/** Folding is skipped for outputs larger than this (a constant that big belongs in the model). */
const MAX_FOLDED_ELEMENTS = 1 << 22;

/** Afterwards: no node has only constant inputs (except quantization boundaries); their
 * outputs are constants. Also covers float shape arithmetic that import-time folding left. */
export const foldConstants: Pass = {
  name: 'fold-constants',
  guarantees: 'no node computes from constants alone',
  run(graph) {
    const g = cloneGraph(graph);
    const kept: Node[] = [];
    for (const n of graph.nodes) {
      const inputs = n.inputs.map((i) => (i === '' ? undefined : g.tensors.get(i)));
      const foldable =
        !inGroup('boundary', n.op) &&
        inputs.some((t) => t !== undefined) &&
        inputs.every((t) => t === undefined || t.data !== undefined) &&
        n.outputs.every((o) => o === '' || (g.tensors.get(o)?.shape ?? []).reduce((a, b) => a * b, 1) <= MAX_FOLDED_ELEMENTS);
      if (!foldable) {
        kept.push(n);
        continue;
      }
      const values = inputs.map((t): Value | undefined => (t ? { dtype: t.dtype, shape: t.shape, data: t.data! } : undefined));
      const outs = runNode(n, values);
      n.outputs.forEach((o, i) => {
        if (o !== '') g.tensors.set(o, { ...g.tensors.get(o)!, data: outs[i].data });
      });
    }
    return pruneTensors({ ...g, nodes: kept });
  },
};
