/**
 * Storage for many endpoints' load and health figures in one Float64Array, eight numbers (one 64-byte
 * cache line) per endpoint. A balancer comparing two random endpoints of a 10,000-instance fleet then
 * touches two lines instead of four scattered objects, which is what keeps a pick near 100 ns at
 * that size.
 */
export const STRIDE = 8;
/** Field offsets within an endpoint's line. */
export const OUTSTANDING = 0;
/**
 * How many latency samples the line has recorded: 0 for none. Negative (the count, negated) while
 * its average holds a penalty (a failure, an overload reply, a timeout) that no plain sample has
 * replaced since: only such an average goes stale (see isStale). Read the count through
 * {@link sampleCount}.
 */
export const SAMPLES = 1;
/** The latency EWMA as of its last sample (ms). */
export const STORED_MS = 2;
/** When that sample was recorded (the slab's clock, ms). */
export const STAMP_MS = 3;
/**
 * `STORED_MS × e^((STAMP_MS − epoch) / decayMs)`: the EWMA scaled to the slab's epoch, so its decayed
 * value at any time `t` is `SCALED_MS × e^(−(t − epoch) / decayMs)`, one factor that every line
 * shares at `t`. Reading a decayed latency is then a multiplication, not a `Math.exp` (~12 ns) per
 * endpoint: at 10,000 endpoints almost every pick compares two endpoints not read in this tick.
 */
export const SCALED_MS = 4;
/** Outlier detection's (see EndpointHealth): when the failure-rate window started, */
export const WINDOW_STARTED_AT = 5;
/** the calls counted in it, */
export const WINDOW_CALLS = 6;
/** and 1 while failures, ejections or probation are on record (a success must then reach the health object). */
export const HEALTH_ATTENTION = 7;

/** Slots freed this long ago may be reused: a lease still in flight may write to its slot until then. */
const REUSE_AFTER_MS = 60_000;
/**
 * The epoch moves when the clock is this many decay constants away from it, before the scale
 * factors (up to e^256 ≈ 10^111) come anywhere near the limits of a double (e^709).
 */
const REBASE_AFTER_DECAYS = 256;

/**
 * The lines of many {@link EndpointLoad}s in one Float64Array ({@link STRIDE} numbers each), with
 * one latency decay constant; one per discovery. Grows as lines are allocated.
 */
export class LoadSlab {
  /** The lines; replaced by a larger array when the slab grows, so read it again, do not keep it. */
  array: Float64Array;
  private used = 0;
  private readonly reusable: number[] = [];
  private epoch = Number.NaN;
  private factorAt = Number.NaN;
  private factor = 1;

  /**
   * @param decayMs the time constant of every line's latency decay (one per slab: the lines share
   *   their decay factor).
   * @param capacity lines room is made for at first; the slab doubles when they are used up. @default 16
   */
  constructor(
    readonly decayMs: number,
    capacity = 16,
  ) {
    this.array = new Float64Array(capacity * STRIDE);
  }

  /** A fresh, zeroed line; returns its base index. */
  allocate(): number {
    const base = this.reusable.pop() ?? this.grow();
    this.array.fill(0, base, base + STRIDE);
    return base;
  }

  /**
   * Gives a line back, reusable once no straggling lease can still write to it: a minute after
   * release, and only once its leases have all ended (its OUTSTANDING count, which only falls once
   * the member is gone, is back to 0). A stream or long download still open after a minute would
   * otherwise end on the line of whichever instance got it next, leaving that one at −1
   * outstanding, which least-outstanding and p2c then favour.
   */
  release(base: number): void {
    const reuseWhenIdle = (): void => {
      if ((this.array[base + OUTSTANDING] as number) > 0) setTimeout(reuseWhenIdle, REUSE_AFTER_MS).unref();
      else this.reusable.push(base);
    };
    setTimeout(reuseWhenIdle, REUSE_AFTER_MS).unref();
  }

  /** `e^(−(now − epoch) / decayMs)`: multiplies a line's `SCALED_MS` into its decayed latency at `now`. */
  decayFactor(now: number): number {
    if (now !== this.factorAt) this.refreshFactor(now);
    return this.factor;
  }

  /** The decayed latency EWMA of the line at `base`, as of `now`. */
  decayedLatency(base: number, now: number): number {
    // The factor first: computing it may rebase, which rewrites the scaled values.
    const factor = this.decayFactor(now);
    return decayedWith(this.array, base, factor);
  }

  /**
   * Stores a new EWMA value for the line at `base`, sampled at `now`. `factor` is
   * `decayFactor(now)` (its default), passed by a caller that already has it.
   */
  store(base: number, valueMs: number, now: number, factor = this.decayFactor(now)): void {
    const array = this.array;
    array[base + STORED_MS] = valueMs;
    array[base + STAMP_MS] = now;
    array[base + SCALED_MS] = valueMs / factor;
  }

  private refreshFactor(now: number): void {
    const drift = now - this.epoch;
    // NaN (no epoch yet) fails the comparison too.
    if (!(Math.abs(drift) <= REBASE_AFTER_DECAYS * this.decayMs)) this.rebase(now);
    this.factorAt = now;
    this.factor = Math.exp(-(now - this.epoch) / this.decayMs);
  }

  /** Moves the epoch to `now`: every line's scaled value is recomputed from its stored value and stamp. */
  private rebase(now: number): void {
    this.epoch = now;
    const array = this.array;
    for (let base = 0; base < this.used * STRIDE; base += STRIDE) {
      const stored = array[base + STORED_MS] as number;
      // 0 stays 0 (0 × e^x is NaN when a clock that went far back makes e^x infinite).
      array[base + SCALED_MS] =
        stored === 0 ? 0 : stored * Math.exp(((array[base + STAMP_MS] as number) - now) / this.decayMs);
    }
  }

  private grow(): number {
    if ((this.used + 1) * STRIDE > this.array.length) {
      const bigger = new Float64Array(this.array.length * 2);
      bigger.set(this.array);
      this.array = bigger;
    }
    return this.used++ * STRIDE;
  }
}

/**
 * The decayed latency of the line at `base`, given the slab's `decayFactor(now)`: its scaled value
 * times the factor, never above the stored value (which a clock that went back could otherwise
 * exceed). Balancers that compare many lines at one instant take the factor once and call this.
 */
export function decayedWith(array: Float64Array, base: number, factor: number): number {
  return Math.min((array[base + SCALED_MS] as number) * factor, array[base + STORED_MS] as number);
}

/** The number of samples the line has recorded (see SAMPLES: its sign marks a penalty). */
export function sampleCount(array: Float64Array, base: number): number {
  return Math.abs(array[base + SAMPLES] as number);
}

/**
 * Whether the line's latency average is stale at `now`: it holds a penalty (see SAMPLES) and its
 * newest sample is more than `decayMs` (the average's time constant) old. Such an average is no
 * longer evidence: p2c-ewma treats the instance as new (one probe at a time) and the next sample
 * replaces the average instead of being blended into it (see recordLatency). Only a penalised
 * average: a plain one, however old, still ranks a slow instance below a fast one, which matters
 * most on a quiet service, where every average is older than `decayMs` between calls.
 */
export function isStale(array: Float64Array, base: number, now: number, decayMs: number): boolean {
  return (array[base + SAMPLES] as number) < 0 && now - (array[base + STAMP_MS] as number) > decayMs;
}
