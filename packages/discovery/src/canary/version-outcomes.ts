/**
 * Cumulative call outcomes per version, recorded by discovery as leases finish. Counters only grow,
 * so any number of readers (a canary controller, a dashboard) can take differences between two
 * reads without resetting anything. Latencies go into a fixed log-scale histogram (cheap to record;
 * buckets ~5.7 % wide, so a p95 is known to within that).
 *
 * A version is kept while an instance runs it, and for {@link FORGET_VERSION_AFTER_MS} after its last
 * instance left and its last call ended (at most {@link MAX_DEPARTED_VERSIONS} such versions: the
 * longest idle goes first). A long-lived client used to keep ~2 KB for every version it ever saw,
 * one more per deploy. A reader diffing across a version's forgetting sees an empty window for it
 * (it had no calls); one that comes back later starts a new record (a new `epoch`).
 */
export interface VersionOutcome {
  /** Calls finished (leases done, `notSent` ones excluded). */
  calls: number;
  /** Of those, the ones reported `ok: false`. */
  failures: number;
  /** Counts per latency bucket; bucket i holds latencies up to LATENCY_BUCKETS_MS[i]. */
  readonly latencyBuckets: Float64Array;
  /**
   * Which record of the version this is: a version forgotten and seen again starts a new record
   * (counting from 0), with another epoch, so a diff never spans two. Absent: not told apart.
   */
  readonly epoch?: number;
}

/**
 * Upper bounds (ms) of the latency buckets: 0.1 ms × 1.25^(i/4), four buckets for each factor of
 * 1.25 (~5.7 % apart), up to ~2.5 minutes. Buckets 25 % wide made the canary's latency test judge
 * to the bucket, not to `maxLatencyRatio`: two p95s one bucket apart differ by 1.25, so under a
 * ratio of 1.2 a canary 1 % slower than stable (10.9 ms against 10.8 ms, either side of a bound)
 * was rolled back ("p95 13.6 ms vs 10.8 ms"), and under 1.5 one 36 % slower.
 */
export const LATENCY_BUCKETS_MS: readonly number[] = Array.from(
  { length: 256 },
  (_, index) => 0.1 * 1.25 ** (index / 4),
);

/**
 * How long a version with no instance left is kept after its last call: longer than a canary
 * window (30 s by default), so a reader's window still sees the calls of a version that just left.
 */
export const FORGET_VERSION_AFTER_MS = 600_000;
/** Versions with no instance left kept at most (the longest idle is forgotten first). */
export const MAX_DEPARTED_VERSIONS = 32;

interface Entry {
  readonly outcome: VersionOutcome;
  /** Instances (discovery members) running the version now. */
  holders: number;
  /** `outcome.calls` when last looked at, and when it was seen to change (or its last holder left). */
  callsSeen: number;
  activeAt: number;
}

let nextEpoch = 1;

export class VersionOutcomes {
  private readonly byVersion = new Map<string, Entry>();

  /**
   * The record for `version` ('' for instances without one), created on first use, for one more
   * instance running it: {@link release} it when that instance leaves or changes version.
   */
  of(version: string | undefined): VersionOutcome {
    const key = version ?? '';
    let entry = this.byVersion.get(key);
    if (!entry) {
      const outcome = {
        calls: 0,
        failures: 0,
        latencyBuckets: new Float64Array(LATENCY_BUCKETS_MS.length),
        epoch: nextEpoch++,
      };
      entry = { outcome, holders: 0, callsSeen: 0, activeAt: Date.now() };
      this.byVersion.set(key, entry);
    }
    entry.holders++;
    this.forgetIdle();
    return entry.outcome;
  }

  /** One instance running `version` left (or runs another version now). */
  release(version: string | undefined): void {
    const entry = this.byVersion.get(version ?? '');
    if (!entry || entry.holders === 0) return;
    entry.holders--;
    if (entry.holders === 0) {
      entry.callsSeen = entry.outcome.calls;
      entry.activeAt = Date.now();
    }
    this.forgetIdle();
  }

  /** How many versions are kept (live ones and those that left recently). */
  get size(): number {
    return this.byVersion.size;
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
    this.forgetIdle();
    const copy = new Map<string, VersionOutcome>();
    for (const [version, { outcome }] of this.byVersion) {
      copy.set(version, {
        calls: outcome.calls,
        failures: outcome.failures,
        latencyBuckets: Float64Array.from(outcome.latencyBuckets),
        ...(outcome.epoch === undefined ? {} : { epoch: outcome.epoch }),
      });
    }
    return copy;
  }

  /**
   * Forgets versions no instance runs that had no call for FORGET_VERSION_AFTER_MS, and the longest
   * idle beyond MAX_DEPARTED_VERSIONS. Runs on membership changes and reads, never per call: a call
   * (recorded by the lease, which holds the record) is noticed here as a change of `calls`.
   */
  private forgetIdle(): void {
    const now = Date.now();
    const departed: [string, Entry][] = [];
    for (const [version, entry] of this.byVersion) {
      if (entry.holders > 0) continue;
      if (entry.outcome.calls !== entry.callsSeen) {
        entry.callsSeen = entry.outcome.calls;
        entry.activeAt = now;
      }
      if (now - entry.activeAt >= FORGET_VERSION_AFTER_MS) this.byVersion.delete(version);
      else departed.push([version, entry]);
    }
    if (departed.length <= MAX_DEPARTED_VERSIONS) return;
    departed.sort(([, a], [, b]) => a.activeAt - b.activeAt);
    for (const [version] of departed.slice(0, departed.length - MAX_DEPARTED_VERSIONS)) this.byVersion.delete(version);
  }
}

const BOUNDS = Float64Array.from(LATENCY_BUCKETS_MS);
const LAST_BUCKET = BOUNDS.length - 1;
/** Latencies are scaled by 16 so that every one above the first bound (0.1 ms) is ≥ 1: log2 ≥ 0. */
const SCALE = 16;
/** Each doubling is cut into 2^SLICE_BITS equal slices, each looked up on its own. */
const SLICE_BITS = 3;
const SLICES = 1 << SLICE_BITS;
/** 2^-k, to bring a scaled latency with integer log2 k into [1, 2) by one exact multiplication. */
const INVERSE_POWERS = Float64Array.from({ length: 32 }, (_, log2) => 2 ** -log2);
/**
 * FIRST_CANDIDATE[k × SLICES + s]: the first bucket whose bound is at least 2^k × (1 + s / SLICES) /
 * SCALE, i.e. the first that can hold a latency whose scaled value has k as its integer log2 and
 * lies in slice s of that doubling. The search starts there and moves at most a few buckets (a
 * slice spans at most a factor of 1.125; the bounds are a factor of ~1.057 apart).
 */
const FIRST_CANDIDATE = Int32Array.from({ length: 32 * SLICES }, (_, slot) => {
  const floor = (2 ** Math.floor(slot / SLICES) * (1 + (slot % SLICES) / SLICES)) / SCALE;
  const index = BOUNDS.findIndex((bound) => bound >= floor);
  return index < 0 ? LAST_BUCKET : index;
});

/**
 * The bucket of a latency: the smallest i with latencyMs ≤ LATENCY_BUCKETS_MS[i]. This runs on every
 * lease's done(): an integer log2 (`Math.clz32`), the first fraction bits of the scaled latency and
 * a table pick the first candidate, and a compare or two against the bounds finishes, instead of a
 * `Math.log` (~10 ns).
 */
export function bucketOf(latencyMs: number): number {
  if (!(latencyMs > (BOUNDS[0] as number))) return 0;
  if (latencyMs > (BOUNDS[LAST_BUCKET] as number)) return LAST_BUCKET;
  const scaled = latencyMs * SCALE; // above 1.6 and below 2^22 here
  const log2 = 31 - Math.clz32(scaled);
  // scaled × 2^-log2 is in [1, 2): its first fraction bits say which slice of the doubling.
  const slice = ((scaled * (INVERSE_POWERS[log2] as number) - 1) * SLICES) | 0;
  let index = FIRST_CANDIDATE[log2 * SLICES + slice] as number;
  while (latencyMs > (BOUNDS[index] as number)) index++;
  return index;
}

/**
 * The outcomes between two snapshots. A version missing from `after` was forgotten (it had no
 * calls meanwhile): an empty window. One whose record changed between them (forgotten, then seen
 * again: another `epoch`) counts from the new record's start.
 */
export function outcomeDelta(after: VersionOutcome | undefined, before: VersionOutcome | undefined): VersionOutcome {
  const from = after === undefined || (before !== undefined && after.epoch !== before.epoch) ? undefined : before;
  const latencyBuckets = new Float64Array(LATENCY_BUCKETS_MS.length);
  for (let index = 0; index < latencyBuckets.length; index++) {
    latencyBuckets[index] = (after?.latencyBuckets[index] ?? 0) - (from?.latencyBuckets[index] ?? 0);
  }
  return {
    calls: (after?.calls ?? 0) - (from?.calls ?? 0),
    failures: (after?.failures ?? 0) - (from?.failures ?? 0),
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
