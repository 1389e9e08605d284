/** Small helpers for passes that rewrite a graph. */
import type { Graph, Node, Tensor } from './graph.js';

/** Nodes reading each tensor. */
export function consumers(graph: Graph): Map<string, Node[]> {
  const m = new Map<string, Node[]>();
  for (const n of graph.nodes) {
    for (const i of n.inputs) {
      if (i === '') continue;
      const list = m.get(i);
      if (list) {
        if (!list.includes(n)) list.push(n);
      } else m.set(i, [n]);
    }
  }
  return m;
}

/** The node producing each tensor. */
export function producers(graph: Graph): Map<string, Node> {
  const m = new Map<string, Node>();
  for (const n of graph.nodes) for (const o of n.outputs) if (o !== '') m.set(o, n);
  return m;
}

/** True when `name` has exactly one consumer and is not a graph output. */
export function singleUse(graph: Graph, uses: Map<string, Node[]>, name: string): boolean {
  return (uses.get(name)?.length ?? 0) === 1 && !graph.outputs.includes(name);
}

/** A tensor name not yet in the graph, derived from `base`. */
export function freshName(graph: Graph, base: string): string {
  let name = base;
  for (let i = 1; graph.tensors.has(name); i++) name = `${base}_${i}`;
  return name;
}

/** Renames every use of tensor `from` to `to` (node inputs and graph outputs). */
export function renameUses(graph: Graph, from: string, to: string): Graph {
  return {
    ...graph,
    nodes: graph.nodes.map((n) => (n.inputs.includes(from) ? ({ ...n, inputs: n.inputs.map((i) => (i === from ? to : i)) } as Node) : n)),
    outputs: graph.outputs.map((o) => (o === from ? to : o)),
  };
}

/** Drops tensors that no node, graph input or graph output mentions. */
export function pruneTensors(graph: Graph): Graph {
  const used = new Set<string>([...graph.inputs, ...graph.outputs]);
  for (const n of graph.nodes) for (const t of [...n.inputs, ...n.outputs]) used.add(t);
  const tensors = new Map<string, Tensor>();
  for (const [name, t] of graph.tensors) if (used.has(name)) tensors.set(name, t);
  return { ...graph, tensors };
}

/** A copy of the graph with a fresh tensor map (so a pass can add tensors without touching its input). */
export function cloneGraph(graph: Graph): Graph {
  return { ...graph, tensors: new Map(graph.tensors), nodes: [...graph.nodes], outputs: [...graph.outputs] };
}
