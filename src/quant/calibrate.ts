/**
 * Calibration: runs the float reference interpreter over calibration samples and records,
 * for every float activation (graph inputs and node outputs of the optimized float graph),
 * its exact min/max and a streaming histogram; then turns each histogram into the real range
 * the quantizer uses, by one of three methods:
 *
 * - `minmax`: the exact range seen;
 * - `percentile`: the central `percentile`% of values (default 99.99), see Histogram.percentile;
 * - `mse`: the range minimizing the expected int8 quantization error, see Histogram.mse.
 *
 * Weights are not calibrated: the quantizer reads their scales off the constants. Memory is
 * bounded by one file of samples, one sample's activations and one histogram per tensor.
 */
import { CompileError, ErrorCode } from '../errors.js';
import type { Graph } from '../ir/graph.js';
import { runGraph } from '../interp/run.js';
import type { Value } from '../interp/types.js';
import { producers } from '../ir/rewrite.js';
import type { CalibSample } from './calib-data.js';
import { DEFAULT_BINS, Histogram, type Range } from './histogram.js';

/** How a tensor's histogram becomes its quantization range. */
export type CalibMethod = 'minmax' | 'percentile' | 'mse';

/** Every calibration method, for the CLI's choices and for tests. */
export const CALIB_METHODS: readonly CalibMethod[] = ['minmax', 'percentile', 'mse'];

/** The percentile used when none is given. */
export const DEFAULT_PERCENTILE = 99.99;

export interface CollectOptions {
  /** Histogram bins per tensor (default DEFAULT_BINS). */
  bins?: number;
  /** Called after each sample with the fraction of the data done. */
  onProgress?: (fraction: number) => void;
  /** Called with every sample's float activations (e.g. a LayerInputCollector's add). */
  onSample?: (env: ReadonlyMap<string, Value>) => void;
}

/** What calibration saw: one histogram (with exact min/max) per float activation. */
export interface CalibrationStats {
  histograms: Map<string, Histogram>;
  /** Number of samples run. */
  samples: number;
}

export interface RangeOptions {
  method: CalibMethod;
  /** For `percentile`: the share of values kept, in (0, 100]. */
  percentile?: number;
}

/**
 * Runs `graph` (the optimized float graph) on every sample and collects statistics of each
 * float32 activation. A NaN or Infinity inside the network is a CompileError naming the tensor,
 * its node, and the sample.
 */
export function collectStats(graph: Graph, samples: Iterable<CalibSample>, opts: CollectOptions = {}): CalibrationStats {
  const histograms = new Map<string, Histogram>();
  const prod = producers(graph);
  let count = 0;
  for (const sample of samples) {
    const env = runGraph(graph, sample.feeds, { keepAll: true });
    for (const [name, v] of env) {
      if (v.dtype !== 'float32' || graph.tensors.get(name)?.data) continue;
      const d = v.data as Float32Array;
      for (let i = 0; i < d.length; i++) {
        if (!Number.isFinite(d[i])) {
          const node = prod.get(name);
          throw new CompileError(ErrorCode.BadInput, `tensor '${name}' is ${d[i]} at element ${i} on calibration sample ${sample.index}`,
            { file: sample.file, tensor: name, ...(node ? { node: node.name, op: node.op } : {}) },
            'The float model overflows or divides by zero on this sample; check the sample and the model.');
        }
      }
      let h = histograms.get(name);
      if (!h) histograms.set(name, (h = new Histogram(opts.bins ?? DEFAULT_BINS)));
      h.add(d);
    }
    opts.onSample?.(env);
    count++;
    opts.onProgress?.(sample.progress);
  }
  if (count === 0) throw new CompileError(ErrorCode.BadInput, 'the calibration data holds no samples', {}, 'Give at least one sample (a few hundred is typical).');
  return { histograms, samples: count };
}

/** One tensor's range by `method`. */
export function rangeOf(h: Histogram, opts: RangeOptions): Range {
  switch (opts.method) {
    case 'minmax':
      return h.minMax();
    case 'percentile':
      return h.percentile(opts.percentile ?? DEFAULT_PERCENTILE);
    case 'mse':
      return h.mse();
  }
}

/** The range of every calibrated tensor by `method`. */
export function calibrationRanges(stats: CalibrationStats, opts: RangeOptions): Map<string, Range> {
  const p = opts.percentile ?? DEFAULT_PERCENTILE;
  if (opts.method === 'percentile' && !(p > 0 && p <= 100)) {
    throw new CompileError(ErrorCode.BadInput, `percentile ${p} is not in (0, 100]`, {}, 'Use e.g. --percentile 99.99.');
  }
  const out = new Map<string, Range>();
  for (const [name, h] of stats.histograms) out.set(name, rangeOf(h, opts));
  return out;
}
