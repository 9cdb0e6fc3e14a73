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

const BOUNDS = Float64Array.from(LATENCY_BUCKETS_MS);
const LAST_BUCKET = BOUNDS.length - 1;
/** Latencies are scaled by 16 so that every one above the first bound (0.1 ms) is ≥ 1: log2 ≥ 0. */
const SCALE = 16;
/**
 * FIRST_CANDIDATE[k]: the first bucket whose bound is at least 2^k / SCALE, i.e. the first that can
 * hold a latency whose scaled value has k as its integer log2. The search starts there and moves at
 * most a few buckets (1.25^i has about three bounds per doubling).
 */
const FIRST_CANDIDATE = Int32Array.from({ length: 32 }, (_, log2) => {
  const floor = 2 ** log2 / SCALE;
  const index = BOUNDS.findIndex((bound) => bound >= floor);
  return index < 0 ? LAST_BUCKET : index;
});

/**
 * The bucket of a latency: the smallest i with latencyMs ≤ 0.1 × 1.25^i. This runs on every lease's
 * done(): an integer log2 (`Math.clz32`) and a table pick the first candidate, and a compare or
 * two against the bounds finishes, instead of a `Math.log` (~10 ns).
 */
export function bucketOf(latencyMs: number): number {
  if (!(latencyMs > (BOUNDS[0] as number))) return 0;
  if (latencyMs > (BOUNDS[LAST_BUCKET] as number)) return LAST_BUCKET;
  let index = FIRST_CANDIDATE[31 - Math.clz32(latencyMs * SCALE)] as number;
  while (latencyMs > (BOUNDS[index] as number)) index++;
  return index;
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
