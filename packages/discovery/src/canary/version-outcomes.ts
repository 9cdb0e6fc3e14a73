/**
 * Cumulative call outcomes per version, recorded by discovery as leases finish. Counters only grow,
 * so any number of readers (a canary controller, a dashboard) can take differences between two
 * reads without resetting anything. Latencies go into a fixed log-scale histogram (cheap to record,
 * good enough for a p95 to within ~10 %).
 */
export interface VersionOutcome {
  calls: number;
  failures: number;
  /** Counts per latency bucket; bucket i holds latencies up to LATENCY_BUCKETS_MS[i]. */
  readonly latencyBuckets: Float64Array;
}

/** Upper bounds (ms) of the latency buckets: 0.1 ms × 1.25^i, up to ~2 minutes. */
export const LATENCY_BUCKETS_MS: readonly number[] = Array.from({ length: 64 }, (_, index) => 0.1 * 1.25 ** index);

export class VersionOutcomes {
  private readonly byVersion = new Map<string, VersionOutcome>();

  /** The record for `version` ('' for instances without one), created on first use. */
  of(version: string | undefined): VersionOutcome {
    const key = version ?? '';
    let outcome = this.byVersion.get(key);
    if (!outcome) {
      outcome = { calls: 0, failures: 0, latencyBuckets: new Float64Array(LATENCY_BUCKETS_MS.length) };
      this.byVersion.set(key, outcome);
    }
    return outcome;
  }

  /** Records one finished call. */
  static record(outcome: VersionOutcome, ok: boolean, latencyMs: number): void {
    outcome.calls++;
    if (!ok) outcome.failures++;
    const bucket = bucketOf(latencyMs);
    outcome.latencyBuckets[bucket] = (outcome.latencyBuckets[bucket] as number) + 1;
  }

  /** A copy of every version's counters (to diff against a later snapshot). */
  snapshot(): Map<string, VersionOutcome> {
    const copy = new Map<string, VersionOutcome>();
    for (const [version, outcome] of this.byVersion) {
      copy.set(version, {
        calls: outcome.calls,
        failures: outcome.failures,
        latencyBuckets: Float64Array.from(outcome.latencyBuckets),
      });
    }
    return copy;
  }
}

// One logarithm per recorded call (this runs on every lease's done()).
const PER_LOG_STEP = 1 / Math.log(1.25);
const LAST_BUCKET = LATENCY_BUCKETS_MS.length - 1;

/** The bucket of a latency: the smallest i with latencyMs ≤ 0.1 × 1.25^i. */
export function bucketOf(latencyMs: number): number {
  if (!(latencyMs > 0.1)) return 0;
  const index = Math.ceil(Math.log(latencyMs * 10) * PER_LOG_STEP);
  return Math.min(index, LAST_BUCKET);
}

/** The outcomes between two snapshots. */
export function outcomeDelta(after: VersionOutcome | undefined, before: VersionOutcome | undefined): VersionOutcome {
  const latencyBuckets = new Float64Array(LATENCY_BUCKETS_MS.length);
  for (let index = 0; index < latencyBuckets.length; index++) {
    latencyBuckets[index] = (after?.latencyBuckets[index] ?? 0) - (before?.latencyBuckets[index] ?? 0);
  }
  return {
    calls: (after?.calls ?? 0) - (before?.calls ?? 0),
    failures: (after?.failures ?? 0) - (before?.failures ?? 0),
    latencyBuckets,
  };
}

/** The latency quantile (ms, bucket upper bound) of an outcome; 0 without calls. */
export function latencyQuantile(outcome: VersionOutcome, quantile: number): number {
  const total = outcome.latencyBuckets.reduce((sum, count) => sum + count, 0);
  if (total === 0) return 0;
  let seen = 0;
  for (let index = 0; index < outcome.latencyBuckets.length; index++) {
    seen += outcome.latencyBuckets[index] as number;
    if (seen >= quantile * total) return LATENCY_BUCKETS_MS[index] as number;
  }
  return LATENCY_BUCKETS_MS[LATENCY_BUCKETS_MS.length - 1] as number;
}
