/** Renders a graph as readable, deterministic text (one line per node), for debugging
 * passes by diffing and for `qgc inspect`. */
import { storageBytes } from './dtype.js';
import type { Graph, Tensor } from './graph.js';

function shapeText(t: Tensor): string {
  return `${t.dtype}[${t.shape.join('x')}]`;
}

function attrText(v: unknown): string {
  if (ArrayBuffer.isView(v)) return `[${Array.from(v as unknown as ArrayLike<number>).map(attrText).join(',')}]`;
  if (Array.isArray(v)) return `[${v.map(attrText).join(',')}]`;
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)));
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return JSON.stringify(v);
}

function quantText(t: Tensor): string {
  if (!t.quant) return '';
  const { scale, zeroPoint, axis, bits } = t.quant;
  // The width is shown only where it is not the storage type's (int8 tensors hold 8-bit values).
  const b = bits === 8 * storageBytes(t.dtype) ? '' : `, bits=${bits}`;
  if (scale.length === 1) return ` q(s=${Number(scale[0].toPrecision(6))}, zp=${zeroPoint[0]}${b})`;
  return ` q(axis=${axis ?? 0}, ${scale.length} scales${b})`;
}

export function printGraph(graph: Graph): string {
  const lines: string[] = [];
  const tensor = (name: string) => {
    if (name === '') return '_';
    const t = graph.tensors.get(name);
    if (!t) return `${name}:?`;
    return `%${name}:${shapeText(t)}${t.data ? ' const' : ''}${quantText(t)}`;
  };
  lines.push(`graph ${graph.name} (opset ${graph.opset})`);
  lines.push(`  inputs: ${graph.inputs.map(tensor).join(', ')}`);
  for (const n of graph.nodes) {
    const attrs = Object.entries(n.attrs)
      .map(([k, v]) => `${k}=${attrText(v)}`)
      .join(' ');
    const clamp = n.clamp ? `+clamp[${attrText(n.clamp.min)},${attrText(n.clamp.max)}]` : '';
    lines.push(`  ${n.outputs.map(tensor).join(', ')} = ${n.op}${clamp}${attrs ? `{${attrs}}` : ''}(${n.inputs.map(tensor).join(', ')})  # ${n.name}`);
  }
  lines.push(`  outputs: ${graph.outputs.map(tensor).join(', ')}`);
  return lines.join('\n') + '\n';
}
