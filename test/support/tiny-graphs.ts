/** Tiny float IR graphs built by hand, for quantizer tests that need a precise situation
 * (all-zero weights, a zero-range tensor, an op without an int8 form). */
import type { Graph, Node, Tensor } from '../../src/ir/graph.js';

/** A graph from its tensors (inputs first, constants carry data) and nodes. */
export function tinyGraph(tensors: Tensor[], nodes: Node[], inputs: string[], outputs: string[]): Graph {
  return { name: 'tiny', tensors: new Map(tensors.map((t) => [t.name, t])), nodes, inputs, outputs, opset: 13 };
}

/** x [1, cin, 4, 4] → Conv 3x3 pad 1 (+ Relu clamp) → y [1, cout, 4, 4]. */
export function convGraph(weight: Float32Array, bias: Float32Array | undefined, cin: number, cout: number): Graph {
  const tensors: Tensor[] = [
    { name: 'x', dtype: 'float32', shape: [1, cin, 4, 4] },
    { name: 'w', dtype: 'float32', shape: [cout, cin, 3, 3], data: weight },
    { name: 'y', dtype: 'float32', shape: [1, cout, 4, 4] },
  ];
  if (bias) tensors.push({ name: 'b', dtype: 'float32', shape: [cout], data: bias });
  const conv: Node = {
    name: 'conv',
    op: 'Conv',
    inputs: ['x', 'w', bias ? 'b' : ''],
    outputs: ['y'],
    attrs: { kernel: [3, 3], strides: [1, 1], dilations: [1, 1], pads: [1, 1, 1, 1], group: 1 },
    clamp: { min: 0, max: Infinity },
  };
  return tinyGraph(tensors, [conv], ['x'], ['y']);
}

/** x [1, 4] → op (a unary op without attributes, e.g. Sigmoid) → y [1, 4]. */
export function unaryGraph(op: 'Sigmoid' | 'Tanh' | 'Relu' | 'Exp'): Graph {
  return tinyGraph(
    [
      { name: 'x', dtype: 'float32', shape: [1, 4] },
      { name: 'y', dtype: 'float32', shape: [1, 4] },
    ],
    [{ name: 'act', op, inputs: ['x'], outputs: ['y'], attrs: {} } as Node],
    ['x'],
    ['y'],
  );
}

/** Deterministic pseudo-random floats in [-1, 1) (a small LCG; tests need no real randomness). */
export function pseudoRandom(n: number, seed = 1): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}
