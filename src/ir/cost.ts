/** Static counts per node: parameters (multiply-accumulates: macsOf in geometry.ts). */
import type { Graph, Node } from './graph.js';

/** Number of constant elements a node reads (weights, biases, BN statistics). */
export function paramsOf(graph: Graph, node: Node): number {
  let n = 0;
  for (const name of node.inputs) {
    const t = graph.tensors.get(name);
    if (t?.data && !graph.inputs.includes(name)) n += t.data.length;
  }
  return n;
}
