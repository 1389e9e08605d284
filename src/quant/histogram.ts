/**
 * A streaming histogram of one tensor's values over many calibration samples, in bounded
 * memory, and the three ways qgc turns it into a clipping range (min/max, percentile, MSE).
 *
 * Bins sit on a grid anchored at 0: bin k covers [k*w, (k+1)*w) for a power-of-two width w,
 * and a window of `bins` consecutive bins is stored. When new values fall outside the window,
 * the width doubles (bin pairs merge exactly, since the grid is anchored at 0) until they fit.
 * So one pass over the data is enough, whatever order the samples come in, and the result does
 * not depend on how the data was split into batches beyond that doubling.
 */

/** Default number of bins: 16 per int8 step, so the MSE search sees well inside each step. */
export const DEFAULT_BINS = 4096;

/** A closed real interval. */
export interface Range {
  min: number;
  max: number;
}

export class Histogram {
  /** Number of stored bins. */
  readonly bins: number;
  /** Bin width (a power of two), 0 while every value seen is exactly 0. */
  width = 0;
  /** Grid index of stored bin 0. */
  first = 0;
  counts: Float64Array;
  /** Values seen so far. */
  total = 0;
  /** Exact smallest and largest value seen (0 before any value). */
  min = Infinity;
  max = -Infinity;

  constructor(bins = DEFAULT_BINS) {
    if (!Number.isInteger(bins) || bins < 16) throw new RangeError(`histogram needs at least 16 bins, got ${bins}`);
    this.bins = bins;
    this.counts = new Float64Array(bins);
  }

  /** Adds finite values (the caller checks for NaN/Infinity). */
  add(data: ArrayLike<number>): void {
    const n = data.length;
    if (n === 0) return;
    let lo = data[0];
    let hi = data[0];
    for (let i = 1; i < n; i++) {
      const v = data[i];
      if (v < lo) lo = v;
      else if (v > hi) hi = v;
    }
    this.min = Math.min(this.min, lo);
    this.max = Math.max(this.max, hi);
    this.cover(lo, hi);
    const w = this.width;
    const counts = this.counts;
    if (w === 0) {
      // Only zeros so far: they live in the bin of grid index 0.
      counts[0] += n;
    } else {
      const inv = 1 / w;
      const first = this.first;
      for (let i = 0; i < n; i++) counts[Math.floor(data[i] * inv) - first]++;
    }
    this.total += n;
  }

  /**
   * Adds a batch binned elsewhere (another thread) by `binBatch`: the same state as `add` on the
   * batch's values. The batch sits on the grid at a width no coarser than the one `add` would
   * bin at (binBatch picks the finest power of two that holds the batch in `bins` bins; `add`'s
   * width holds at least the batch's range in as many), so its bins merge exactly.
   */
  addBinned(b: BinnedBatch): void {
    if (b.n === 0) return;
    this.min = Math.min(this.min, b.min);
    this.max = Math.max(this.max, b.max);
    this.cover(b.min, b.max);
    const counts = this.counts;
    if (this.width === 0) {
      counts[0] += b.n;
    } else if (b.width === 0) {
      counts[-this.first] += b.n; // all zeros: the bin of grid index 0
    } else {
      const f = this.width / b.width;
      if (!(f >= 1) || !Number.isInteger(f)) throw new Error(`internal: a batch binned at width ${b.width} cannot merge into width ${this.width}`);
      for (let i = 0; i < b.counts.length; i++) {
        const c = b.counts[i];
        if (c !== 0) counts[Math.floor((b.first + i) / f) - this.first] += c;
      }
    }
    this.total += b.n;
  }

  /** Grows the grid (doubling the width, shifting the window) so that [lo, hi] fits.
   * `this.min`/`this.max` already include lo and hi. */
  private cover(lo: number, hi: number): void {
    if (this.width === 0) {
      if (lo === 0 && hi === 0) return;
      // First non-zero values (everything before was 0): the smallest power-of-two width
      // whose window holds them and 0; the zeros seen so far move to the bin of 0.
      const gLo = Math.min(lo, 0);
      const gHi = Math.max(hi, 0);
      let w = 2 ** Math.ceil(Math.log2((gHi - gLo) / (this.bins - 2)));
      while (Math.floor(gHi / w) - Math.floor(gLo / w) + 1 > this.bins) w *= 2;
      const zeros = this.counts[0];
      this.counts[0] = 0;
      this.width = w;
      this.first = Math.floor(gLo / w);
      this.counts[-this.first] += zeros;
      return;
    }
    while (Math.floor(this.max / this.width) - Math.floor(this.min / this.width) + 1 > this.bins) this.double();
    const kLo = Math.floor(this.min / this.width);
    const kHi = Math.floor(this.max / this.width);
    if (kLo < this.first || kHi >= this.first + this.bins) this.rebase(kLo);
  }

  /** Doubles the bin width, merging bins 2j and 2j+1 of the grid into j. */
  private double(): void {
    const old = this.counts;
    const oldFirst = this.first;
    const first = Math.floor(oldFirst / 2);
    const counts = new Float64Array(this.bins);
    for (let i = 0; i < this.bins; i++) {
      if (old[i] !== 0) counts[Math.floor((oldFirst + i) / 2) - first] += old[i];
    }
    this.counts = counts;
    this.first = first;
    this.width *= 2;
  }

  /** Moves the window so that it starts at grid index `first` (occupied bins must stay inside). */
  private rebase(first: number): void {
    if (first === this.first) return;
    const counts = new Float64Array(this.bins);
    for (let i = 0; i < this.bins; i++) {
      if (this.counts[i] !== 0) counts[this.first + i - first] += this.counts[i];
    }
    this.counts = counts;
    this.first = first;
  }

  /** Lower edge of stored bin i. */
  edge(i: number): number {
    return (this.first + i) * this.width;
  }

  /** The exact range of the values seen ([0, 0] when none). */
  minMax(): Range {
    return this.total === 0 ? { min: 0, max: 0 } : { min: this.min, max: this.max };
  }

  /**
   * The range holding the central values: `max` is the value below which `percent`% of the
   * values lie and `min` the value above which `percent`% lie (linear inside a bin), both
   * kept within the exact min/max (so min <= max). percent = 100 gives the min/max range.
   */
  percentile(percent: number): Range {
    if (!(percent > 0 && percent <= 100)) throw new RangeError(`percentile ${percent} is not in (0, 100]`);
    const exact = this.minMax();
    if (this.width === 0 || percent === 100) return exact;
    const tail = ((100 - percent) / 100) * this.total;
    return within({ min: this.quantileFromLeft(tail), max: this.quantileFromRight(tail) }, exact);
  }

  /** The value with `tail` counts below it. */
  private quantileFromLeft(tail: number): number {
    let cum = 0;
    for (let i = 0; i < this.bins; i++) {
      const c = this.counts[i];
      if (cum + c > tail) return this.edge(i) + ((tail - cum) / c) * this.width;
      cum += c;
    }
    return this.edge(this.bins);
  }

  /** The value with `tail` counts above it. */
  private quantileFromRight(tail: number): number {
    let cum = 0;
    for (let i = this.bins - 1; i >= 0; i--) {
      const c = this.counts[i];
      if (cum + c > tail) return this.edge(i + 1) - ((tail - cum) / c) * this.width;
      cum += c;
    }
    return this.edge(0);
  }

  /**
   * The clipping range [a, b] (0 inside it) that minimizes the expected squared error of
   * quantizing the histogram to `levels` uniform steps: values inside contribute the rounding
   * noise step²/12, values outside their squared distance to the nearer bound (bins taken at
   * their centres). a and b are searched on a grid of `steps` fractions of the exact min and
   * max; ties keep the wider range. Prefix sums make each candidate O(1).
   */
  mse(levels = 256, steps = 128): Range {
    const exact = this.minMax();
    if (this.width === 0) return exact;
    const lo = Math.min(exact.min, 0);
    const hi = Math.max(exact.max, 0);
    const B = this.bins;
    // Prefix sums over bins of count, count*x and count*x^2 (x the bin centre).
    const c0 = new Float64Array(B + 1);
    const c1 = new Float64Array(B + 1);
    const c2 = new Float64Array(B + 1);
    for (let i = 0; i < B; i++) {
      const c = this.counts[i];
      const x = this.edge(i) + this.width / 2;
      c0[i + 1] = c0[i] + c;
      c1[i + 1] = c1[i] + c * x;
      c2[i + 1] = c2[i] + c * x * x;
    }
    // Stored bin holding value v, clamped to the window.
    const binOf = (v: number) => Math.min(B - 1, Math.max(0, Math.floor(v / this.width) - this.first));
    // Squared distance to t of the bins strictly below/above the bin holding t.
    const below = (t: number) => {
      const k = binOf(t);
      return c2[k] - 2 * t * c1[k] + t * t * c0[k];
    };
    const above = (t: number) => {
      const k = binOf(t) + 1;
      const n = c0[B] - c0[k];
      return c2[B] - c2[k] - 2 * t * (c1[B] - c1[k]) + t * t * n;
    };
    const loSteps = lo < 0 ? steps : 1;
    const hiSteps = hi > 0 ? steps : 1;
    let best: Range = { min: lo, max: hi };
    let bestErr = Infinity;
    for (let i = loSteps; i >= 1; i--) {
      const a = (lo * i) / loSteps;
      const errBelow = a < 0 ? below(a) : 0;
      for (let j = hiSteps; j >= 1; j--) {
        const b = (hi * j) / hiSteps;
        const step = (b - a) / (levels - 1);
        const kA = a < 0 ? binOf(a) : 0;
        const kB = b > 0 ? binOf(b) + 1 : B;
        const inside = c0[kB] - c0[kA];
        const err = errBelow + (b > 0 ? above(b) : 0) + (inside * step * step) / 12;
        if (err < bestErr) {
          bestErr = err;
          best = { min: a, max: b };
        }
      }
    }
    return within(best, exact);
  }
}

/** One batch of values binned on its own (in a worker thread), for Histogram.addBinned: the
 * counts of grid bins first .. first + counts.length - 1 at a power-of-two width (0: all zeros). */
export interface BinnedBatch {
  n: number;
  min: number;
  max: number;
  width: number;
  first: number;
  counts: Float64Array;
}

/** Whether [lo, hi] spans at most `bins` grid bins of width w. */
const fits = (lo: number, hi: number, w: number, bins: number): boolean => Math.floor(hi / w) - Math.floor(lo / w) + 1 <= bins;

/** Bins finite values on the finest power-of-two grid that holds them in `bins` bins (not
 * finer than 2^-40 of their magnitude, so a constant batch still gets a width; any width a
 * Histogram reaches is far coarser than that). */
export function binBatch(data: ArrayLike<number>, bins = DEFAULT_BINS): BinnedBatch {
  const n = data.length;
  if (n === 0) return { n, min: Infinity, max: -Infinity, width: 0, first: 0, counts: new Float64Array(0) };
  let lo = data[0];
  let hi = data[0];
  for (let i = 1; i < n; i++) {
    const v = data[i];
    if (v < lo) lo = v;
    else if (v > hi) hi = v;
  }
  if (lo === 0 && hi === 0) return { n, min: lo, max: hi, width: 0, first: 0, counts: new Float64Array(0) };
  const floorW = 2 ** (Math.floor(Math.log2(Math.max(Math.abs(lo), Math.abs(hi)))) - 40);
  let w = Math.max(floorW, 2 ** Math.floor(Math.log2((hi - lo) / bins || floorW)));
  while (!fits(lo, hi, w, bins)) w *= 2;
  while (w / 2 >= floorW && fits(lo, hi, w / 2, bins)) w /= 2;
  const first = Math.floor(lo / w);
  const counts = new Float64Array(Math.floor(hi / w) - first + 1);
  const inv = 1 / w;
  for (let i = 0; i < n; i++) counts[Math.floor(data[i] * inv) - first]++;
  return { n, min: lo, max: hi, width: w, first, counts };
}

/** `r` clamped into `exact`, kept a valid interval (bin interpolation can cross the bounds). */
function within(r: Range, exact: Range): Range {
  const min = Math.min(Math.max(r.min, exact.min), exact.max);
  const max = Math.min(Math.max(r.max, exact.min), exact.max);
  return { min, max: Math.max(min, max) };
}
