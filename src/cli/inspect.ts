/** `qgc inspect`: ops, tensors, shapes, parameters and MACs of a model. */
import type { Graph } from '../ir/graph.js';
import { paramsOf } from '../ir/cost.js';
import { macsOf } from '../ir/geometry.js';
import { printGraph } from '../ir/printer.js';

export interface InspectReport {
  name: string;
  opset: number;
  inputs: { name: string; dtype: string; shape: number[] }[];
  outputs: { name: string; dtype: string; shape: number[] }[];
  ops: Record<string, number>;
  nodes: { name: string; op: string; outputShape: number[]; params: number; macs: number }[];
  totalParams: number;
  totalMacs: number;
}

export function inspectGraph(graph: Graph): InspectReport {
  const io = (names: string[]) =>
    names.map((n) => {
      const t = graph.tensors.get(n)!;
      return { name: n, dtype: t.dtype, shape: [...t.shape] };
    });
  const ops: Record<string, number> = {};
  const constants = new Set<string>();
  const nodes = graph.nodes.map((n) => {
    ops[n.op] = (ops[n.op] ?? 0) + 1;
    for (const i of n.inputs) if (graph.tensors.get(i)?.data) constants.add(i);
    return { name: n.name, op: n.op, outputShape: [...(graph.tensors.get(n.outputs[0])?.shape ?? [])], params: paramsOf(graph, n), macs: macsOf(graph, n) };
  });
  let totalParams = 0;
  for (const c of constants) totalParams += graph.tensors.get(c)!.data!.length;
  return {
    name: graph.name,
    opset: graph.opset,
    inputs: io(graph.inputs),
    outputs: io(graph.outputs),
    ops: Object.fromEntries(Object.entries(ops).sort()),
    nodes,
    totalParams,
    totalMacs: nodes.reduce((s, n) => s + n.macs, 0),
  };
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => (c >= 3 ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  ').trimEnd()).join('\n');
}

export function formatInspect(r: InspectReport, graph: Graph, withGraph: boolean): string {
  const fmt = (t: { name: string; dtype: string; shape: number[] }) => `  ${t.name}: ${t.dtype}[${t.shape.join('x')}]`;
  const lines = [`model ${r.name} (opset ${r.opset})`, 'inputs:', ...r.inputs.map(fmt), 'outputs:', ...r.outputs.map(fmt), ''];
  lines.push('ops: ' + Object.entries(r.ops).map(([op, n]) => `${op} x${n}`).join(', '), '');
  const rows = [['node', 'op', 'output', 'params', 'MACs']];
  for (const n of r.nodes) rows.push([n.name, n.op, n.outputShape.join('x'), String(n.params), String(n.macs)]);
  rows.push(['total', '', '', String(r.totalParams), String(r.totalMacs)]);
  lines.push(table(rows));
  if (withGraph) lines.push('', printGraph(graph).trimEnd());
  return lines.join('\n') + '\n';
}
