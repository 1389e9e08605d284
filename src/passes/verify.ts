/** Structural checks of a graph: every input defined before use, one producer per tensor,
 * tensors known, graph outputs produced, constants carry data of the declared size. */
import { CompileError, ErrorCode } from '../errors.js';
import { elementCount, type Graph } from '../ir/graph.js';

export function verifyGraph(graph: Graph, after = 'import'): void {
  const fail = (msg: string, node?: { name: string; op: string }) => {
    throw new CompileError(ErrorCode.Internal, `graph invalid after ${after}: ${msg}`, node ? { node: node.name, op: node.op } : {},
      'This is a qgc bug; rerun with --debug and report it.');
  };
  const defined = new Set<string>(graph.inputs);
  for (const [name, t] of graph.tensors) {
    if (t.name !== name) fail(`tensor map key '${name}' holds tensor '${t.name}'`);
    if (t.data) {
      defined.add(name);
      if (t.data.length !== elementCount(t.shape)) fail(`constant '${name}' has ${t.data.length} elements for shape [${t.shape.join(',')}]`);
    }
  }
  const names = new Set<string>();
  for (const n of graph.nodes) {
    if (names.has(n.name)) fail(`duplicate node name '${n.name}'`, n);
    names.add(n.name);
    for (const i of n.inputs) {
      if (i === '') continue;
      if (!graph.tensors.has(i)) fail(`input '${i}' is not a known tensor`, n);
      if (!defined.has(i)) fail(`input '${i}' is used before it is produced`, n);
    }
    for (const o of n.outputs) {
      if (o === '') continue;
      if (defined.has(o)) fail(`output '${o}' has more than one producer`, n);
      if (!graph.tensors.has(o)) fail(`output '${o}' is not a known tensor`, n);
      defined.add(o);
    }
  }
  for (const o of graph.outputs) if (!defined.has(o)) fail(`graph output '${o}' is never produced`);
}
