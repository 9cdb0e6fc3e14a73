import { coarseNow, type EndpointStats } from '@switchyard/core';

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
  // The decayed value is cached per clock reading: picks within one coarse tick reuse it.
  private cachedAt = -1;
  private cachedMs = 0;

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
    const now = this.clock();
    if (now !== this.cachedAt) {
      const idle = now - this.stampMs;
      this.cachedMs = idle <= 0 ? this.storedMs : this.storedMs * Math.exp(-idle / this.decayMs);
      this.cachedAt = now;
    }
    return this.cachedMs;
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
    this.cachedAt = -1;
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
