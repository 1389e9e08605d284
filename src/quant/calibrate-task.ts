/**
 * Calibration's task for the worker pool (src/parallel/pool.ts): each worker holds the float
 * graph and runs one sample at a time, returning every float activation binned on its own
 * (binBatch); the caller folds the batches into its histograms in sample order
 * (Histogram.addBinned), which gives the same histograms as running the samples in one thread.
 */
import type { Graph } from '../ir/graph.js';
import { runGraph } from '../interp/run.js';
import type { Value } from '../interp/types.js';
import { binBatch, type BinnedBatch } from './histogram.js';

export interface CalibSetup {
  graph: Graph;
  bins: number;
}

/** What one sample gives, per float activation in the order the graph computes them (its
 * values, or in a worker its values binned), or the first value that is not finite. */
export type SampleStats<T = BinnedBatch> =
  | { ok: true; tensors: { name: string; stats: T }[] }
  | { ok: false; tensor: string; value: number; element: number };

/** The float activations of one run (graph inputs and node outputs, constants left out), in
 * the order the interpreter computed them; the first non-finite value stops the scan. */
export function sampleStats<T>(graph: Graph, env: ReadonlyMap<string, Value>, summarize: (d: Float32Array) => T): SampleStats<T> {
  const tensors: { name: string; stats: T }[] = [];
  for (const [name, v] of env) {
    if (v.dtype !== 'float32' || graph.tensors.get(name)?.data) continue;
    const d = v.data as Float32Array;
    for (let i = 0; i < d.length; i++) if (!Number.isFinite(d[i])) return { ok: false, tensor: name, value: d[i], element: i };
    tensors.push({ name, stats: summarize(d) });
  }
  return { ok: true, tensors };
}

export function init(setup: CalibSetup): CalibSetup {
  return setup;
}

export function run(s: CalibSetup, feeds: Map<string, Value>): SampleStats {
  return sampleStats(s.graph, runGraph(s.graph, feeds, { keepAll: true }), (d) => binBatch(d, s.bins));
}

export function transfer(r: SampleStats): ArrayBuffer[] {
  return r.ok ? r.tensors.map((t) => t.stats.counts.buffer as ArrayBuffer) : [];
}
