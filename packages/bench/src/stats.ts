/** Summary of a set of latency samples, all in the samples' unit (milliseconds in these benches). */
export interface Summary {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p99: number;
  max: number;
}

/**
 * The `p`-th percentile (0..100) of ascending-sorted samples, nearest-rank method: the smallest sample such
 * that at least p% of samples are ≤ it. Nearest-rank never invents a value that was not observed, which is
 * what you want when reading "p99 = 2.1 ms" as "1 call in 100 took at least this long".
 */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) throw new RangeError('percentile of no samples');
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be within 0..100 (got ${p})`);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] as number;
}

/** Count, min, mean, p50, p99 and max of unsorted samples (the input is not modified). */
export function summarize(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const total = sorted.reduce((sum, value) => sum + value, 0);
  return {
    count: sorted.length,
    min: percentile(sorted, 0),
    mean: total / sorted.length,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: percentile(sorted, 100),
  };
}

/** Median and range of repeated measurements of one figure (e.g. ns per call over several rounds). */
export interface Spread {
  median: number;
  min: number;
  max: number;
}

/**
 * The median (nearest rank, so with an odd count it is the middle sample) and the range of repeated
 * measurements. The median is the headline: one round disturbed by another process moves the range,
 * not the median.
 */
export function spread(samples: readonly number[]): Spread {
  const sorted = [...samples].sort((a, b) => a - b);
  return { median: percentile(sorted, 50), min: percentile(sorted, 0), max: percentile(sorted, 100) };
}
