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
import { macsOf } from '../ir/geometry.js';
import { defaultThreads, taskUrl, WorkerPool } from '../parallel/pool.js';
import { sampleStats, type CalibSetup, type SampleStats } from './calibrate-task.js';

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
  /** Worker threads to run samples on (default 1: this thread). The histograms, and so the
   * ranges, are the same for any number. See `calibrationThreads` for a sensible choice. */
  threads?: number;
  /** Called with every sample's float activations (e.g. a LayerInputCollector's add);
   * on this thread, so it needs `threads` 1. */
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

/** Below this many multiply-accumulates per sample, starting threads costs more than it saves. */
const PARALLEL_MIN_MACS = 1e9;

/** Threads worth using to calibrate `graph`: every core for a network big enough to gain
 * (`requested` caps it; 1 for small networks, where a thread's start-up dominates). */
export function calibrationThreads(graph: Graph, requested = defaultThreads()): number {
  let macs = 0;
  for (const n of graph.nodes) macs += macsOf(graph, n);
  return macs < PARALLEL_MIN_MACS ? 1 : Math.max(1, Math.min(requested, defaultThreads()));
}

/**
 * Runs `graph` (the optimized float graph) on every sample and collects statistics of each
 * float32 activation. A NaN or Infinity inside the network is a CompileError naming the tensor,
 * its node, and the sample. With `threads` > 1 the samples run on worker threads and their
 * statistics are folded in sample order: the result is the same as with one thread.
 */
export function collectStats(graph: Graph, samples: Iterable<CalibSample>, opts: CollectOptions = {}): CalibrationStats {
  const histograms = new Map<string, Histogram>();
  const bins = opts.bins ?? DEFAULT_BINS;
  const prod = producers(graph);
  let count = 0;
  // One sample's statistics into the histograms (created in the order tensors are computed).
  const fold = <T>(stats: SampleStats<T>, sample: CalibSample, add: (h: Histogram, t: T) => void) => {
    if (!stats.ok) {
      const node = prod.get(stats.tensor);
      throw new CompileError(ErrorCode.BadInput, `tensor '${stats.tensor}' is ${stats.value} at element ${stats.element} on calibration sample ${sample.index}`,
        { file: sample.file, tensor: stats.tensor, ...(node ? { node: node.name, op: node.op } : {}) },
        'The float model overflows or divides by zero on this sample; check the sample and the model.');
    }
    for (const t of stats.tensors) {
      let h = histograms.get(t.name);
      if (!h) histograms.set(t.name, (h = new Histogram(bins)));
      add(h, t.stats);
    }
    count++;
    opts.onProgress?.(sample.progress);
  };
  const threads = opts.threads ?? 1;
  if (opts.onSample && threads > 1) throw new Error('collectStats: onSample needs the samples on this thread (threads 1)');
  if (threads <= 1) {
    for (const sample of samples) {
      const env = runGraph(graph, sample.feeds, { keepAll: true });
      fold(sampleStats(graph, env, (d) => d), sample, (h, d) => h.add(d));
      opts.onSample?.(env);
    }
  } else {
    const pool = new WorkerPool<CalibSample['feeds'], SampleStats>(taskUrl(import.meta.url, 'calibrate-task'), { graph, bins } satisfies CalibSetup, threads);
    const order: CalibSample[] = [];
    try {
      const feeds = function* () {
        for (const s of samples) {
          order.push(s);
          yield s.feeds;
        }
      };
      pool.map(feeds(), (stats, i) => {
        fold(stats, order[i], (h, b) => h.addBinned(b));
        delete order[i];
      });
    } finally {
      pool.close();
    }
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
