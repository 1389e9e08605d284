/**
 * A one-line progress bar on stderr for long runs (calibration, per-layer comparison). It is
 * hand-written (twenty lines need no dependency) and stays silent unless the stream is a TTY
 * and the work has already taken `delayMs` (1 s): short runs and logs stay clean.
 */

/** Where the bar is drawn: a writable stream with an optional TTY flag and width. */
export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(s: string): unknown;
}

export interface Progress {
  /** Reports the fraction done, in [0, 1]. */
  update(fraction: number): void;
  /** Erases the bar (if it was drawn). */
  done(): void;
}

/** A progress bar labelled `label`; `now` is injectable for tests. */
export function progressBar(label: string, stream: ProgressStream = process.stderr, delayMs = 1000, now: () => number = Date.now): Progress {
  const start = now();
  let drawn = false;
  let lastPercent = -1;
  return {
    update(fraction) {
      if (!stream.isTTY || now() - start < delayMs) return;
      const percent = Math.floor(Math.min(1, Math.max(0, fraction)) * 100);
      if (percent === lastPercent) return;
      lastPercent = percent;
      const width = Math.max(10, Math.min(40, (stream.columns ?? 80) - label.length - 10));
      const filled = Math.round((percent / 100) * width);
      stream.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(percent).padStart(3)}%`);
      drawn = true;
    },
    done() {
      if (drawn) stream.write('\r\x1b[2K');
      drawn = false;
    },
  };
}
