/**
 * Quantization with `--rounding`: nearest and bias correction in one quantizer run; AdaRound
 * layer after layer in graph order, each layer's rounding learned on the inputs the already
 * rounded network before it feeds it (the paper's asymmetric reconstruction: ||W x - W̃ x̂||²,
 * x the float model's input to the layer, x̂ the quantized model's, at the same positions).
 * Per layer: one quantizer run with the layers before it fixed, one pass of the int8
 * interpreter over the calibration samples to gather x̂, and AdaRound on that layer alone.
 */
import type { Graph } from '../ir/graph.js';
import { runGraph } from '../interp/run.js';
import type { Value } from '../interp/types.js';
import { quantizeGraph, type QuantizeOptions, type QuantizeResult } from './quantize.js';
import type { CalibSource } from '../quant/calib-data.js';
import type { Range } from '../quant/histogram.js';
import { LayerInputCollector, type LayerInputs } from '../quant/layer-inputs.js';
import type { RoundedWeights } from '../quant/rounding.js';

/** Quantizes `float` with `opts.rounding`; `layerInputs` are the float patches (gathered during
 * calibration), `calib` the samples again for AdaRound's quantized inputs; `onProgress` gets
 * the share of AdaRound's layers done. */
export function quantizeRounded(
  float: Graph,
  ranges: ReadonlyMap<string, Range>,
  opts: QuantizeOptions,
  layerInputs: ReadonlyMap<string, LayerInputs>,
  calib: CalibSource,
  onProgress?: (fraction: number) => void,
): QuantizeResult {
  if (opts.rounding !== 'adaround') return quantizeGraph(float, ranges, { ...opts, layerInputs });
  const fixed = new Map<string, RoundedWeights>();
  const warnings: string[] = [];
  const note = (ws: readonly string[]) => {
    for (const w of ws) if (!warnings.includes(w)) warnings.push(w);
  };
  const layers = float.nodes.filter((n) => layerInputs.has(n.name));
  for (const [done, node] of layers.entries()) {
    onProgress?.(done / layers.length);
    // The network with every layer before this one rounded, the rest to nearest.
    const before = quantizeGraph(float, ranges, { ...opts, rounding: 'nearest', fixedWeights: fixed });
    if (!before.weights.has(node.name)) continue; // kept in float (float fallback): no integer weights to round
    const int8 = before.int8Of.get(node.inputs[0]);
    if (!int8) continue; // not an activation of the quantized graph: the final run rounds it on float inputs
    const collector = new LayerInputCollector(float, undefined, new Set([node.name]));
    for (const sample of calib.samples()) {
      const env = runGraph(before.graph, sample.feeds, { keepAll: true });
      collector.add(new Map([[node.inputs[0], dequantized(before.graph, int8, env.get(int8)!)]]));
    }
    const step = quantizeGraph(float, ranges, { ...opts, layerInputs, quantizedInputs: collector.result(), fixedWeights: new Map([...before.weights, ...fixed].filter(([n]) => n !== node.name)) });
    note(step.warnings);
    fixed.set(node.name, step.weights.get(node.name)!);
  }
  onProgress?.(1);
  const result = quantizeGraph(float, ranges, { ...opts, layerInputs, fixedWeights: fixed });
  note(result.warnings);
  return { ...result, warnings };
}

/** An int8 activation as float32 ((q - zero point) × scale). */
function dequantized(graph: Graph, name: string, v: Value): Value {
  const quant = graph.tensors.get(name)!.quant!;
  const [scale, zp] = [quant.scale[0], quant.zeroPoint[0]];
  return { dtype: 'float32', shape: v.shape, data: Float32Array.from(v.data as Int8Array, (q) => (q - zp) * scale) };
}
