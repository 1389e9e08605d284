/**
 * Float → int8: turns the optimized float graph and calibrated activation ranges into qgc's
 * quantized IR (src/ir/qops.ts), following the contract in docs/architecture.md.
 */
import { CompileError, ErrorCode } from '../errors.js';
import type { Graph } from '../ir/graph.js';
import type { Range } from '../quant/histogram.js';
import { LowerContext, type FloatNodeNote, type QuantizeOptions } from '../quant/lower-context.js';
import { lowerNode, requireInt8Forms } from '../quant/lower.js';
import type { RoundedWeights } from '../quant/rounding.js';
import type { Pass } from './pass.js';
import { verifyGraph } from './verify.js';

export type { FloatNodeNote, QuantizeOptions } from '../quant/lower-context.js';

export interface QuantizeResult {
  graph: Graph;
  /** Scales the quantizer had to raise, multipliers it flushed: worth showing the user. */
  warnings: string[];
  /** Float activation name → the int8 tensor standing for it (for per-layer comparisons). */
  int8Of: Map<string, string>;
  /** The integer weights (and bias shifts) of each Conv/FC, by float node name. */
  weights: Map<string, RoundedWeights>;
  /** The nodes kept in float (each also has a line in `warnings`). */
  floatNodes: FloatNodeNote[];
}

/**
 * Quantizes an optimized float graph with calibrated `ranges` (one per float activation).
 *
 * Guarantee afterwards: each graph input (float32) feeds exactly one `Quantize` to int8, each
 * graph output (float32, same name) is produced by a `Dequantize`, and every node in between is
 * an int8 op of src/ir/qops.ts or a data-movement op (Reshape, Transpose, Pad, ...) on int8
 * tensors, or a float op (OpGroups.floatFallback) on float32 tensors that no int8 row takes or
 * that `floatNodes` names, between Dequantize and Quantize nodes (unless `int8Only`). Every int8 tensor carries `quant`: activations per tensor with a scale > 0 and a
 * zero point in [-128, 127] whose range includes real 0; weights symmetric int8 in [-127, 127]
 * with zero point 0, per output channel (axis 0) unless `perTensorWeights`; biases int32 at
 * s_in * s_w[c]. Every multiplier is a valid Q31 multiplier with shift <= 30. An op with no
 * int8 form and no float kernel is a CompileError naming the node, with a hint; every node kept in
 * float has a line in `warnings` and an entry in `floatNodes`.
 */
export function quantizeGraph(graph: Graph, ranges: ReadonlyMap<string, Range>, opts: QuantizeOptions = {}): QuantizeResult {
  requireInt8Forms(graph, opts);
  const ctx = new LowerContext(graph, ranges, opts);
  for (const name of graph.inputs) {
    const t = graph.tensors.get(name)!;
    if (t.dtype !== 'float32') {
      throw new CompileError(ErrorCode.UnsupportedDType, `graph input '${name}' is ${t.dtype}; qgc quantizes models with float32 inputs`, { tensor: name },
        'Export the model with float32 inputs.');
    }
    if (graph.outputs.includes(name)) {
      throw new CompileError(ErrorCode.UnsupportedOp, `graph input '${name}' is also a graph output`, { tensor: name }, 'Remove the pass-through output from the model.');
    }
    ctx.addTensor({ name, dtype: 'float32', shape: t.shape });
    const params = ctx.calibrated(undefined, name);
    const q = ctx.defineInt8(name, params);
    ctx.emit({ name: ctx.freshNode(`${name}_quantize`), op: 'Quantize', inputs: [name], outputs: [q], attrs: { ...params } });
  }
  for (const node of graph.nodes) lowerNode(ctx, node);
  for (const name of graph.outputs) {
    // A float node's output is quantized with its calibrated range: the API stays int8.
    const q = ctx.int8Of.get(name) ?? (ctx.floatOf.has(name) ? ctx.input(undefined, name).name : undefined);
    if (!q) throw new CompileError(ErrorCode.Internal, `graph output '${name}' has no int8 tensor`, { tensor: name }, 'This is a qgc bug; report it.');
    const t = graph.tensors.get(name)!;
    const params = ctx.tensors.get(q)!.quant!;
    ctx.addTensor({ name, dtype: 'float32', shape: t.shape });
    ctx.emit({ name: ctx.freshNode(`${name}_dequantize`), op: 'Dequantize', inputs: [q], outputs: [name], attrs: { scale: params.scale[0], zeroPoint: params.zeroPoint[0] } });
  }
  const out: Graph = { name: graph.name, tensors: ctx.tensors, nodes: ctx.nodes, inputs: [...graph.inputs], outputs: [...graph.outputs], opset: graph.opset };
  verifyGraph(out, 'quantize');
  return { graph: out, warnings: ctx.warnings, int8Of: ctx.int8Of, weights: ctx.weights, floatNodes: ctx.floatNodes };
}

/** The quantizer as a pipeline pass, for fixed calibration ranges. */
export function quantizePass(ranges: ReadonlyMap<string, Range>, opts: QuantizeOptions = {}): Pass {
  return {
    name: 'quantize',
    guarantees: 'inputs Quantize, outputs Dequantize, int8 ops in between, every int8 tensor has quant params',
    run: (graph) => quantizeGraph(graph, ranges, opts).graph,
  };
}
