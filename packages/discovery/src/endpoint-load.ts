import { coarseNow, type EndpointStats } from '@switchyard/core';
import { decayedWith, isStale, LoadSlab, OUTSTANDING, SAMPLES, STAMP_MS, STORED_MS, sampleCount } from './load-slab.js';

/**
 * The live load of one instance: calls in flight and a peak EWMA of latency with time decay
 * (Finagle's PeakEwma). A sample above the average replaces it at once, so slowness is noticed on
 * the first slow call; lower samples pull it down with a weight that depends on the time since the
 * last one; and while no sample arrives the average decays toward zero, so an instance that was
 * avoided gets probed again instead of being shunned forever. An average whose newest sample is
 * older than `decayMs` is stale ({@link EndpointLoad.stale}): the next sample replaces it. The
 * numbers live in a shared {@link LoadSlab} line, so balancers can read them cache-efficiently, and
 * decay through the slab's shared factor, so neither a read nor a sample calls `Math.exp`.
 */
export class EndpointLoad implements EndpointStats {
  /** The index of its line in `slab.array`. */
  readonly base: number;

  /**
   * @param decayMs time constant of the decay.
   * @param clock the time source for decay on read; simulations pass their own. @default the coarse clock
   * @param slab where the numbers live; its `decayMs` must be this one. @default a slab of its own
   */
  constructor(
    readonly decayMs: number,
    readonly clock: () => number = coarseNow,
    readonly slab: LoadSlab = new LoadSlab(decayMs, 1),
  ) {
    if (slab.decayMs !== decayMs) {
      throw new RangeError(`EndpointLoad: decayMs ${decayMs} differs from its slab's ${slab.decayMs}`);
    }
    this.base = slab.allocate();
  }

  /** Calls picked and not yet done (written by discovery; simulations may write it too). */
  get outstanding(): number {
    return this.slab.array[this.base + OUTSTANDING] as number;
  }

  set outstanding(value: number) {
    this.slab.array[this.base + OUTSTANDING] = value;
  }

  /** Latency samples recorded so far. */
  get samples(): number {
    return sampleCount(this.slab.array, this.base);
  }

  /**
   * Whether the average is stale: it has samples, the newest more than `decayMs` old. p2c-ewma then
   * treats the instance as one without samples (one probe at a time), and that probe's latency
   * replaces the average.
   */
  get stale(): boolean {
    const array = this.slab.array;
    return isStale(array, this.base, this.clock(), this.decayMs);
  }

  /** The decayed average as of now (coarse clock: cheap enough for every pick). */
  get latencyEwmaMs(): number {
    return this.slab.decayedLatency(this.base, this.clock());
  }

  /** Records a latency sample taken at `now`. */
  record(sampleMs: number, now: number): void {
    recordLatency(this.slab, this.base, sampleMs, now);
  }

  /**
   * Records a failure or an overload reply as load, not as a fast success: the sample is twice the
   * larger of its latency and the current average, so repeated overload replies push traffic away
   * exponentially while decay brings it back.
   */
  recordPenalty(latencyMs: number, now: number): void {
    // Capped: doubling on every failure in a row (overload never ejects; in panic every instance
    // fails) reached Infinity after ~1,000, and the next success made the average NaN for good.
    // A NaN latency (Math.max of it is NaN) counts as none: the penalty is then twice the average.
    const latency = Number.isNaN(latencyMs) ? 0 : latencyMs;
    this.record(Math.min(Math.max(latency, this.latencyEwmaMs, 1) * 2, MAX_PENALTY_MS), now);
    // Marked (see SAMPLES), so that this average goes stale if no sample follows (see isStale).
    const array = this.slab.array;
    array[this.base + SAMPLES] = -sampleCount(array, this.base);
  }

  /** Returns the slab line (the member left the view). */
  release(): void {
    this.slab.release(this.base);
  }
}

/** The largest sample a penalty records: an hour, as done() clamps a call's latency. */
const MAX_PENALTY_MS = 3_600_000;

/** Latency samples below this (0 included) count as this: 10 µs, below any real network round trip. */
export const MIN_SAMPLE_MS = 0.01;

/**
 * Records a latency sample taken at `now` into the slab line at `base` (what {@link EndpointLoad.record}
 * does, for callers that hold the line's index and would rather not load the EndpointLoad object).
 */
export function recordLatency(slab: LoadSlab, base: number, sampleMs: number, now: number): void {
  // A 0 ms sample (a fast reply timed with a millisecond clock) made latency × (outstanding + 1) zero
  // however many calls were in flight: p2c then stopped seeing load, and a hung instance kept its share.
  // Written so that NaN fails it too, and capped as penalties are: EndpointLoad is public (custom
  // balancers, simulations), and a NaN or infinite sample handed to it stayed in the average for
  // good (Infinity blended into NaN), leaving p2c's comparisons always false. (lease.done() had
  // already clamped its own.)
  if (!(sampleMs >= MIN_SAMPLE_MS)) sampleMs = MIN_SAMPLE_MS;
  else if (sampleMs > MAX_PENALTY_MS) sampleMs = MAX_PENALTY_MS;
  // The factor first: computing it may rebase, which rewrites the scaled values.
  const factor = slab.decayFactor(now);
  const array = slab.array;
  const stored = array[base + STORED_MS] as number;
  const samples = sampleCount(array, base);
  const stale = isStale(array, base, now, slab.decayMs);
  const penalised = (array[base + SAMPLES] as number) < 0;
  // A stale average (no sample for longer than its time constant) is replaced, not blended into:
  // after a penalty (a 1 s timeout records 2 s) an instance gets no traffic, so no sample, and the
  // average only decays, ~70 s from 2 s down to a 1 ms neighbour's cost. A process that stalled
  // for 2 s and resumed was left idle that long; blended, its first probes barely moved the
  // average (by 1 - e^(-idle / decayMs) each) and it stayed shunned.
  if (samples === 0 || sampleMs > stored || stale) {
    slab.store(base, sampleMs, now, factor);
    // The average is this sample now, no longer a penalty's (recordPenalty marks its own again).
    array[base + SAMPLES] = samples + 1;
  } else {
    // Blended, a penalty still weighs in the average: it stays marked.
    array[base + SAMPLES] = penalised ? -(samples + 1) : samples + 1;
    if (now > (array[base + STAMP_MS] as number)) {
      // Finagle's stored × w + sample × (1 − w), with w = e^(−idle / decayMs): stored × w is the
      // decayed value, which the slab has without an exp, and w is that over stored.
      const decayed = decayedWith(array, base, factor);
      const weight = stored > 0 ? decayed / stored : 0;
      slab.store(base, decayed + sampleMs * (1 - weight), now, factor);
    }
  }
  // A sample in the same instant as the last one (or from a clock that went back) has weight 1: no change.
}
