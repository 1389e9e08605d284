import { getNumber } from '../ir/dtype.js';
import type { Node } from '../ir/graph.js';
import type { Pass } from './pass.js';
import { consumers, pruneTensors, renameUses, singleUse } from '../ir/rewrite.js';

/** Afterwards: a constant-zero Pad that pads nothing is gone, and one that pads only the
 * spatial dims in front of a Conv is merged into the Conv's pads (padding with zeros is what
 * Conv's pads mean). A Pad before an AveragePool stays: merged, the pool would have to count
 * the padding (count_include_pad), which the int8 pooling kernels cannot express, whereas an
 * explicit Pad quantizes to padding with the zero point. */
export const foldPad: Pass = {
  name: 'fold-pad',
  guarantees: 'no zero Pad nodes; zero padding before a Conv is in its pads',
  run(graph) {
    let g = graph;
    const uses = consumers(graph);
    for (const pad of graph.nodes) {
      if (pad.op !== 'Pad' || pad.attrs.mode !== 'constant') continue;
      const value = pad.inputs[2] && g.tensors.get(pad.inputs[2])?.data ? getNumber(g.tensors.get(pad.inputs[2])!.data!, 0) : pad.attrs.value;
      if (value !== 0 || pad.attrs.pads.some((p) => p < 0)) continue;
      const rank = pad.attrs.pads.length / 2;
      const out = pad.outputs[0];
      if (pad.attrs.pads.every((p) => p === 0) && !g.outputs.includes(out)) {
        g = renameUses({ ...g, nodes: g.nodes.filter((n) => n !== pad) }, out, pad.inputs[0]);
        continue;
      }
      // Spatial-only padding (N and C untouched) merges into the single consumer.
      const spatialOnly = [0, 1, rank, rank + 1].every((i) => pad.attrs.pads[i] === 0);
      const next = uses.get(out)?.[0];
      if (!spatialOnly || !next || !singleUse(g, uses, out) || next.inputs[0] !== out) continue;
      if (next.op !== 'Conv') continue;
      const extra = [...pad.attrs.pads.slice(2, rank), ...pad.attrs.pads.slice(rank + 2)];
      const merged: Node = { ...next, inputs: [pad.inputs[0], ...next.inputs.slice(1)], attrs: { ...next.attrs, pads: next.attrs.pads.map((p, i) => p + extra[i]) } };
      g = { ...g, nodes: g.nodes.filter((n) => n !== pad).map((n) => (n === next ? merged : n)) };
    }
    return pruneTensors(g);
  },
};
