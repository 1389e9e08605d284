/**
 * Per-layer signal-to-quantization-noise ratio: runs the float graph and its int8 version on
 * the same samples (both with every intermediate kept), dequantizes each int8 activation and
 * compares it with the float tensor it stands for:
 * SQNR = 10 log10(sum x^2 / sum (x - x̂)^2) dB over all samples (Infinity when exact).
 */
import type { Graph } from '../ir/graph.js';
import type { NumericData } from '../ir/dtype.js';
import { runGraph } from '../interp/run.js';
import type { CalibSample } from './calib-data.js';

export interface LayerSqnr {
  /** Float activation name. */
  tensor: string;
  /** The int8 tensor standing for it. */
  int8: string;
  /** sum of x^2 and of (x - dequantized)^2 over every element of every sample. */
  signal: number;
  noise: number;
  /** 10 log10(signal / noise); Infinity when noise is 0, -Infinity when signal is 0 and noise is not. */
  sqnrDb: number;
}

/** SQNR in dB from summed signal and noise powers. */
export function sqnrDb(signal: number, noise: number): number {
  if (noise === 0) return Infinity;
  return 10 * Math.log10(signal / noise);
}

/**
 * Compares every float activation that has an int8 counterpart (`int8Of`), in the float
 * graph's order (inputs first, then node outputs).
 */
export function layerSqnr(floatGraph: Graph, int8Graph: Graph, int8Of: ReadonlyMap<string, string>, samples: Iterable<CalibSample>): LayerSqnr[] {
  const order = [...floatGraph.inputs, ...floatGraph.nodes.flatMap((n) => n.outputs)].filter((t) => int8Of.has(t));
  const sums = new Map(order.map((t) => [t, { signal: 0, noise: 0 }]));
  for (const s of samples) {
    const ef = runGraph(floatGraph, s.feeds, { keepAll: true });
    const eq = runGraph(int8Graph, s.feeds, { keepAll: true });
    for (const t of order) {
      const f = ef.get(t);
      const q = eq.get(int8Of.get(t)!);
      const quant = int8Graph.tensors.get(int8Of.get(t)!)?.quant;
      if (!f || !q || !quant) continue;
      const scale = quant.scale[0];
      const zp = quant.zeroPoint[0];
      const fd = f.data as NumericData;
      const qd = q.data as NumericData;
      const acc = sums.get(t)!;
      for (let i = 0; i < fd.length; i++) {
        const x = fd[i];
        const e = x - scale * (qd[i] - zp);
        acc.signal += x * x;
        acc.noise += e * e;
      }
    }
  }
  return order.map((t) => {
    const { signal, noise } = sums.get(t)!;
    return { tensor: t, int8: int8Of.get(t)!, signal, noise, sqnrDb: sqnrDb(signal, noise) };
  });
}
