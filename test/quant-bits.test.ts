/** Bit-widths as data in the quantized IR: both lowerings record 8-bit weights and activations
 * and 32-bit biases on every quantized tensor (QuantParams.bits), and the integer interpreter
 * runs int4 weights on QConv/QFullyConnected and refuses widths it has no kernel for (int16
 * activations, 2-bit weights) with a CompileError
 * naming the node, op and tensor. */
import { describe, expect, it } from 'vitest';
import { quantizedLayers } from '../src/cli/quantize.js';
import { ErrorCode } from '../src/errors.js';
import { runGraph } from '../src/interp/run.js';
import type { Graph, Tensor } from '../src/ir/graph.js';
import { printGraph } from '../src/ir/printer.js';
import { QUANT_BITS } from '../src/ir/qops.js';
import { exportQdq } from '../src/onnx/export-qdq.js';
import { loadModelBytes } from '../src/onnx/load.js';
import { lowerQdq } from '../src/passes/lower-qdq.js';
import { quantizeGraph } from '../src/passes/quantize.js';
import { errorOf } from './support/errors.js';
import { randomQLinearConv } from './support/qdq-models.js';
import { convGraph, pseudoRandom } from './support/tiny-graphs.js';

/** A float Conv (+Relu) quantized with fixed ranges. */
function quantizedConv(): Graph {
  const g = convGraph(pseudoRandom(2 * 2 * 9, 3), pseudoRandom(2, 4), 2, 2);
  return quantizeGraph(g, new Map([['x', { min: -1, max: 1 }], ['y', { min: 0, max: 2 }]])).graph;
}

/** The role each quantized tensor plays at the op that reads it (or, for outputs, produces it). */
function widths(g: Graph): Record<string, number[]> {
  const out: Record<string, number[]> = { weight: [], activation: [], bias: [] };
  for (const n of g.nodes) {
    if (n.op !== 'QConv' && n.op !== 'QFullyConnected') continue;
    const [x, w, b] = n.inputs.map((i) => g.tensors.get(i));
    out.activation.push(x!.quant!.bits, g.tensors.get(n.outputs[0])!.quant!.bits);
    out.weight.push(w!.quant!.bits);
    if (b) out.bias.push(b.quant!.bits);
  }
  return out;
}

/** A copy of `g` where tensor `name` has `bits`-bit values. */
function withBits(g: Graph, name: string, bits: number): Graph {
  const t = g.tensors.get(name)!;
  const tensors = new Map(g.tensors);
  tensors.set(name, { ...t, quant: { ...t.quant!, bits } } as Tensor);
  return { ...g, tensors };
}

const feeds = (g: Graph) => new Map([[g.inputs[0], { dtype: 'float32' as const, shape: g.tensors.get(g.inputs[0])!.shape, data: pseudoRandom(32, 9) }]]);

describe('bit-widths in the quantized IR', () => {
  it('qgc quantize records 8-bit weights and activations and 32-bit biases on every quantized tensor', () => {
    const g = quantizedConv();
    expect(QUANT_BITS).toEqual({ weight: 8, activation: 8, bias: 32 });
    expect(widths(g)).toEqual({ weight: [8], activation: [8, 8], bias: [32] });
    for (const t of g.tensors.values()) if (t.quant) expect(t.quant.bits).toBe(t.dtype === 'int32' ? 32 : 8);
  });

  it('lowerQdq records the same widths, from a QOperator model and from the QDQ export', () => {
    const low = lowerQdq(loadModelBytes(randomQLinearConv(1).bytes).graph);
    expect(widths(low).weight).toEqual([8]);
    for (const t of low.tensors.values()) if (t.quant) expect(t.quant.bits).toBe(t.dtype === 'int32' ? 32 : 8);
    const back = lowerQdq(loadModelBytes(exportQdq(quantizedConv())).graph);
    expect(widths(back)).toEqual({ weight: [8], activation: [8, 8], bias: [32] });
  });

  it('the printer shows a width only where it is not the storage type\'s', () => {
    const g = quantizedConv();
    expect(printGraph(g)).not.toContain('bits=');
    const w = g.nodes.find((n) => n.op === 'QConv')!.inputs[1];
    expect(printGraph(withBits(g, w, 4))).toContain(`%${w}:int8[2x2x3x3] const q(axis=0, 2 scales, bits=4)`);
  });

  it('qgc inspect --quantized lists the recorded widths', () => {
    const g = quantizedConv();
    const w = g.nodes.find((n) => n.op === 'QConv')!.inputs[1];
    expect(quantizedLayers(g).find((l) => l.op === 'QConv')!.bits).toBe('w8/a8/b32');
    expect(quantizedLayers(withBits(g, w, 4)).find((l) => l.op === 'QConv')!.bits).toBe('w4/a8/b32');
  });

  it('the integer interpreter runs 8/8/32, and 4-bit weights whose values fit 4 bits; it refuses other weight widths', () => {
    const g = quantizedConv();
    expect(() => runGraph(g, feeds(g))).not.toThrow();
    const conv = g.nodes.find((n) => n.op === 'QConv')!;
    // 8-bit weights whose values lie outside [-8, 7] do not become 4-bit by relabelling.
    const wide = errorOf(() => runGraph(withBits(g, conv.inputs[1], 4), feeds(g)));
    expect(wide.code).toBe(ErrorCode.BadGraph);
    expect(wide.where).toEqual({ node: conv.name, op: 'QConv', tensor: conv.inputs[1] });
    expect(wide.message).toMatch(new RegExp(`^4-bit tensor '${conv.inputs[1]}' holds -?\\d+ at element \\d+, outside \\[-8, 7\\]$`));
    const e = errorOf(() => runGraph(withBits(g, conv.inputs[1], 2), feeds(g)));
    expect(e.code).toBe(ErrorCode.UnsupportedDType);
    expect(e.where).toEqual({ node: conv.name, op: 'QConv', tensor: conv.inputs[1] });
    expect(e.message).toBe(`weight '${conv.inputs[1]}' has 2-bit values; the integer interpreter runs QConv on 8/4-bit weights only`);
    expect(e.hint).toMatch(/^Quantize weights to 8 or 4 bits .*2-bit weights are not implemented/);
  });

  it('refuses 16-bit activations where no kernel runs them (the boundary), 16-bit biases, and widths its storage cannot hold', () => {
    const g = quantizedConv();
    const conv = g.nodes.find((n) => n.op === 'QConv')!;
    const quantize = g.nodes.find((n) => n.op === 'Quantize')!;
    const cases: [string, number, string, RegExp][] = [
      [conv.inputs[0], 16, 'Quantize', /^activation '.*' has 16-bit values; the integer interpreter runs Quantize on 8-bit activations only$/],
      [conv.inputs[2], 16, 'QConv', /^bias '.*' has 16-bit values; the integer interpreter runs QConv on 32\/64-bit biases only$/],
    ];
    for (const [tensor, bits, op, message] of cases) {
      const e = errorOf(() => runGraph(withBits(g, tensor, bits), feeds(g)));
      expect(e.code).toBe(ErrorCode.UnsupportedDType);
      expect(e.where).toEqual({ node: op === 'Quantize' ? quantize.name : conv.name, op, tensor });
      expect(e.message).toMatch(message);
    }
    // QConv runs int16 activations (W8A16), but a width must match the tensor's storage type.
    const e = errorOf(() => runGraph(withBits(g, conv.outputs[0], 16), feeds(g)));
    expect(e.code).toBe(ErrorCode.BadGraph);
    expect(e.where).toEqual({ node: conv.name, op: 'QConv', tensor: conv.outputs[0] });
    expect(e.message).toBe(`activation '${conv.outputs[0]}' records 16-bit values but is stored as int8`);
  });
});
