/** Static counts per node: multiply-accumulates and parameters. */
import { elementCount, type Graph, type Node } from './graph.js';

/** Multiply-accumulate operations one inference of `node` performs (0 for ops without MACs). */
export function macsOf(graph: Graph, node: Node): number {
  const shape = (name: string) => graph.tensors.get(name)?.shape ?? [];
  switch (node.op) {
    case 'Conv':
    case 'ConvInteger':
    case 'QLinearConv': {
      const wIndex = node.op === 'QLinearConv' ? 3 : 1;
      const w = shape(node.inputs[wIndex]);
      // Each output element sums over (C_in / group) * kernel elements: exactly w's per-filter size.
      return elementCount(shape(node.outputs[0])) * (elementCount(w) / (w[0] || 1));
    }
    case 'Gemm': {
      const a = shape(node.inputs[0]);
      const k = node.attrs.transA ? a[0] : a[1];
      return elementCount(shape(node.outputs[0])) * k;
    }
    case 'MatMul':
    case 'MatMulInteger':
    case 'QLinearMatMul': {
      const a = shape(node.inputs[0]);
      return elementCount(shape(node.outputs[0])) * (a[a.length - 1] ?? 1);
    }
    default:
      return 0;
  }
}

/** Number of constant elements a node reads (weights, biases, BN statistics). */
export function paramsOf(graph: Graph, node: Node): number {
  let n = 0;
  for (const name of node.inputs) {
    const t = graph.tensors.get(name);
    if (t?.data && !graph.inputs.includes(name)) n += t.data.length;
  }
  return n;
}
