import type { EndpointStats } from '@switchyard/core';
import { coarseNow } from './coarse-clock.js';

/**
 * The live load of one instance: calls in flight and a peak EWMA of latency with time decay
 * (Finagle's PeakEwma). A sample above the average replaces it at once, so slowness is noticed on
 * the first slow call; lower samples pull it down with a weight that depends on the time since the
 * last one; and while no sample arrives the average decays toward zero, so an instance that was
 * avoided gets probed again instead of being shunned forever.
 */
export class EndpointLoad implements EndpointStats {
  outstanding = 0;
  samples = 0;
  private storedMs = 0;
  private stampMs = 0;

  /**
   * @param decayMs time constant of the decay.
   * @param clock the time source for decay on read; simulations pass their own. @default the coarse clock
   */
  constructor(
    private readonly decayMs: number,
    private readonly clock: () => number = coarseNow,
  ) {}

  /** The decayed average as of now (coarse clock: cheap enough for every pick). */
  get latencyEwmaMs(): number {
    const idle = this.clock() - this.stampMs;
    return idle <= 0 ? this.storedMs : this.storedMs * Math.exp(-idle / this.decayMs);
  }

  /** Records a latency sample taken at `now`. */
  record(sampleMs: number, now: number): void {
    if (this.samples === 0 || sampleMs > this.storedMs) {
      this.storedMs = sampleMs;
    } else {
      const weight = Math.exp(-Math.max(now - this.stampMs, 0) / this.decayMs);
      this.storedMs = this.storedMs * weight + sampleMs * (1 - weight);
    }
    this.samples++;
    this.stampMs = now;
  }

  /**
   * Records a failure or an overload reply as load, not as a fast success: the sample is twice the
   * larger of its latency and the current average, so repeated overload replies push traffic away
   * exponentially while decay brings it back.
   */
  recordPenalty(latencyMs: number, now: number): void {
    this.record(Math.max(latencyMs, this.latencyEwmaMs, 1) * 2, now);
  }
}
