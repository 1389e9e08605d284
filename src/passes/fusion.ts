/**
 * One fusion matcher for declarative rows: `producer → consumer ⇒ producer'`. A row names the
 * producer ops, the consumer ops, which consumer inputs may carry the producer's output, and a
 * predicate; its rewrite returns the new producer, which takes over the consumer's output (the
 * consumer disappears). The matcher does the graph walk once for every row: consumers in graph
 * order, the producer's output read by that consumer alone and not a graph output, at most one
 * fusion per producer per run (`fuseToFixpoint` repeats until nothing changes, for chains).
 */
import type { Graph, Node, NodeOf } from '../ir/graph.js';
import type { OpName } from '../ir/ops.js';
import { cloneGraph, consumers, producers, pruneTensors, singleUse } from '../ir/rewrite.js';

/** A node of one of the ops K (a union of NodeOf, so `node.op` narrows it). */
export type NodeIn<K extends OpName> = K extends OpName ? NodeOf<K> : never;

/** A producer and the consumer reading its output as input `input`. */
export interface FusionMatch<P extends OpName, C extends OpName> {
  producer: NodeIn<P>;
  consumer: NodeIn<C>;
  input: number;
}

/** A fusion row (see the file comment). `graph` in `when`/`rewrite` is a copy whose tensor map a
 * rewrite may add to (a merged bias). */
export interface FusionRow<P extends OpName = OpName, C extends OpName = OpName> {
  name: string;
  producer: readonly P[];
  consumer: readonly C[];
  /** Consumer inputs that may be the producer's output: the first one, or any (first match wins). */
  via: 'first' | 'any';
  when?(m: FusionMatch<P, C>, graph: Graph): boolean;
  /** The fused producer (its outputs are set by the matcher), or undefined to leave the pair. */
  rewrite(m: FusionMatch<P, C>, graph: Graph): Node | undefined;
}

/** A row over any ops (what runFusions takes; rows are written with their own op types). */
export type AnyFusionRow = FusionRow<never, never>;

/** Types a row by its ops and returns it for a row list. */
export function fusionRow<P extends OpName, C extends OpName>(row: FusionRow<P, C>): AnyFusionRow {
  return row as unknown as AnyFusionRow;
}

/** Runs `rows` once over `graph` (see the file comment); returns the graph and whether anything fused. */
export function runFusions(graph: Graph, rows: readonly AnyFusionRow[]): { graph: Graph; changed: boolean } {
  const g = cloneGraph(graph);
  const uses = consumers(graph);
  const prod = producers(graph);
  const replaced = new Map<Node, Node>();
  const removed = new Set<Node>();
  for (const consumer of graph.nodes) {
    for (const row of rows) {
      if (!(row.consumer as readonly OpName[]).includes(consumer.op)) continue;
      const inputs = row.via === 'first' ? [0] : consumer.inputs.map((_, i) => i);
      const fused = inputs.some((input) => {
        const x = consumer.inputs[input];
        const producer = x ? prod.get(x) : undefined;
        if (!producer || !(row.producer as readonly OpName[]).includes(producer.op) || replaced.has(producer) || !singleUse(graph, uses, x)) return false;
        const m = { producer, consumer, input } as unknown as FusionMatch<never, never>;
        if (row.when && !row.when(m, g)) return false;
        const node = row.rewrite(m, g);
        if (!node) return false;
        replaced.set(producer, { ...node, outputs: [consumer.outputs[0], ...producer.outputs.slice(1)] } as Node);
        removed.add(consumer);
        return true;
      });
      if (fused) break;
    }
  }
  const nodes = graph.nodes.flatMap((n) => (removed.has(n) ? [] : [replaced.get(n) ?? n]));
  return { graph: pruneTensors({ ...g, nodes }), changed: removed.size > 0 };
}

/** runFusions until nothing fuses (a chain Conv → Relu → Clip becomes one Conv). */
export function fuseToFixpoint(graph: Graph, rows: readonly AnyFusionRow[]): Graph {
  for (;;) {
    const r = runFusions(graph, rows);
    if (!r.changed) return r.graph;
    graph = r.graph;
  }
}
