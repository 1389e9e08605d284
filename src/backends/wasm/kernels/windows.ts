/**
 * Which taps of a convolution window fall inside the input, per output row or column, and runs
 * of output indices that share them: the kernels give each run its own loop with those taps
 * unrolled (constant offsets, no border test in the loop).
 */

/** The taps k of a window at output index o with o * stride - pad + k * dilation in [0, size). */
export function tapsAt(o: number, stride: number, pad: number, dilation: number, kernel: number, size: number): number[] {
  const taps: number[] = [];
  for (let k = 0; k < kernel; k++) {
    const i = o * stride - pad + k * dilation;
    if (i >= 0 && i < size) taps.push(k);
  }
  return taps;
}

/** A run of indices start, start + step, ... below end that share `key`. */
export interface IndexRun<T> { start: number; end: number; value: T }

/** Indices from..to (exclusive) in steps of `step`, grouped into runs with equal `key(i)`;
 * each run carries `value(i)` of its first index. */
export function runsOf<T>(from: number, to: number, step: number, key: (i: number) => string, value: (i: number) => T): IndexRun<T>[] {
  const runs: (IndexRun<T> & { key: string })[] = [];
  for (let i = from; i < to; i += step) {
    const k = key(i);
    const last = runs[runs.length - 1];
    if (last && last.key === k) last.end = i + step;
    else runs.push({ start: i, end: i + step, value: value(i), key: k });
  }
  return runs.map(({ start, end, value: v }) => ({ start, end: Math.min(end, to), value: v }));
}

/** Runs of output indices 0..out with the same in-range taps. */
export function tapRuns(out: number, stride: number, pad: number, dilation: number, kernel: number, size: number): IndexRun<number[]>[] {
  const taps = (o: number) => tapsAt(o, stride, pad, dilation, kernel, size);
  return runsOf(0, out, 1, (o) => taps(o).join(','), taps);
}
