/** Passes are values: `{ name, guarantees, run }`, one per file, run in order by a plain pipeline. */
import type { Graph } from '../ir/graph.js';
import type { AnyTarget } from '../targets/target.js';
import { verifyGraph } from './verify.js';

export interface PassContext {
  /** Check the graph after every pass (tests and `--verify-each`). */
  verifyEach?: boolean;
  /** Receives one line per pass that changed something. */
  log?: (line: string) => void;
  /** The target the graph is compiled for, when known: passes that depend on the device read
   * it (its features, its cost model) instead of assuming one. */
  target?: AnyTarget;
}

export interface Pass {
  name: string;
  /** What holds after the pass, in one line. */
  guarantees: string;
  run(graph: Graph, ctx: PassContext): Graph;
}

/** Runs passes in order; with `verifyEach`, checks the graph after each one. */
export function runPipeline(graph: Graph, passes: readonly Pass[], ctx: PassContext = {}): Graph {
  let g = graph;
  for (const p of passes) {
    const before = g.nodes.length;
    g = p.run(g, ctx);
    if (ctx.verifyEach) verifyGraph(g, p.name);
    if (ctx.log && g.nodes.length !== before) ctx.log(`${p.name}: ${before} → ${g.nodes.length} nodes`);
  }
  return g;
}
