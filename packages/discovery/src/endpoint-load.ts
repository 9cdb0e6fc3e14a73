import { coarseNow, type EndpointStats } from '@switchyard/core';
import { CACHED_AT, CACHED_MS, LoadSlab, OUTSTANDING, SAMPLES, STAMP_MS, STORED_MS } from './load-slab.js';

/**
 * The live load of one instance: calls in flight and a peak EWMA of latency with time decay
 * (Finagle's PeakEwma). A sample above the average replaces it at once, so slowness is noticed on
 * the first slow call; lower samples pull it down with a weight that depends on the time since the
 * last one; and while no sample arrives the average decays toward zero, so an instance that was
 * avoided gets probed again instead of being shunned forever. The numbers live in a shared
 * {@link LoadSlab} line, so balancers can read them cache-efficiently.
 */
export class EndpointLoad implements EndpointStats {
  readonly base: number;

  /**
   * @param decayMs time constant of the decay.
   * @param clock the time source for decay on read; simulations pass their own. @default the coarse clock
   * @param slab where the numbers live. @default a slab of its own
   */
  constructor(
    readonly decayMs: number,
    readonly clock: () => number = coarseNow,
    readonly slab: LoadSlab = new LoadSlab(1),
  ) {
    this.base = slab.allocate();
  }

  get outstanding(): number {
    return this.slab.array[this.base + OUTSTANDING] as number;
  }

  set outstanding(value: number) {
    this.slab.array[this.base + OUTSTANDING] = value;
  }

  get samples(): number {
    return this.slab.array[this.base + SAMPLES] as number;
  }

  /** The decayed average as of now (coarse clock: cheap enough for every pick). */
  get latencyEwmaMs(): number {
    return decayedLatency(this.slab.array, this.base, this.clock(), this.decayMs);
  }

  /** Records a latency sample taken at `now`. */
  record(sampleMs: number, now: number): void {
    const array = this.slab.array;
    const base = this.base;
    const stored = array[base + STORED_MS] as number;
    if (array[base + SAMPLES] === 0 || sampleMs > stored) {
      array[base + STORED_MS] = sampleMs;
    } else {
      // A sample in the same instant as the last one has weight 0 (exp(0) = 1): skip the exp.
      const idle = now - (array[base + STAMP_MS] as number);
      if (idle > 0) {
        const weight = Math.exp(-idle / this.decayMs);
        array[base + STORED_MS] = stored * weight + sampleMs * (1 - weight);
      }
    }
    array[base + SAMPLES] = (array[base + SAMPLES] as number) + 1;
    array[base + STAMP_MS] = now;
    // The decayed value at the moment of the sample is the stored value itself: cache that, so the
    // picks in the same clock tick read it instead of recomputing an exp() after every call.
    array[base + CACHED_AT] = now;
    array[base + CACHED_MS] = array[base + STORED_MS] as number;
  }

  /**
   * Records a failure or an overload reply as load, not as a fast success: the sample is twice the
   * larger of its latency and the current average, so repeated overload replies push traffic away
   * exponentially while decay brings it back.
   */
  recordPenalty(latencyMs: number, now: number): void {
    this.record(Math.max(latencyMs, this.latencyEwmaMs, 1) * 2, now);
  }

  /** Returns the slab line (the member left the view). */
  release(): void {
    this.slab.release(this.base);
  }
}

/** The decayed EWMA stored at `base`, cached per clock reading (picks within one tick reuse it). */
export function decayedLatency(array: Float64Array, base: number, now: number, decayMs: number): number {
  if (array[base + CACHED_AT] !== now) {
    const idle = now - (array[base + STAMP_MS] as number);
    const stored = array[base + STORED_MS] as number;
    array[base + CACHED_MS] = idle <= 0 ? stored : stored * Math.exp(-idle / decayMs);
    array[base + CACHED_AT] = now;
  }
  return array[base + CACHED_MS] as number;
}
