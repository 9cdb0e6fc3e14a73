import { describe, expect, it } from 'vitest';
import { EndpointLoad } from './endpoint-load.js';
import { LoadSlab } from './load-slab.js';

/** Finagle's PeakEwma, written the textbook way (an exp per read and per sample), as the reference. */
class ReferencePeakEwma {
  private stored = 0;
  private stamp = 0;
  private samples = 0;

  constructor(private readonly decayMs: number) {}

  record(sampleMs: number, now: number): void {
    // Stale (no sample for longer than the decay constant): replaced, not blended.
    if (this.samples === 0 || sampleMs > this.stored || now - this.stamp > this.decayMs) {
      this.stored = sampleMs;
      this.stamp = now;
    } else if (now > this.stamp) {
      const weight = Math.exp(-(now - this.stamp) / this.decayMs);
      this.stored = this.stored * weight + sampleMs * (1 - weight);
      this.stamp = now;
    }
    this.samples++;
  }

  read(now: number): number {
    const idle = now - this.stamp;
    return idle <= 0 ? this.stored : this.stored * Math.exp(-idle / this.decayMs);
  }
}

/** A deterministic generator, so a failure can be replayed. */
function lcg(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
}

describe('EndpointLoad', () => {
  it('matches the textbook peak EWMA over random samples, reads and clock jumps', () => {
    const decayMs = 1_000;
    const slab = new LoadSlab(decayMs, 1);
    let now = 1_700_000_000_000;
    const loads = [0, 1, 2].map(() => new EndpointLoad(decayMs, () => now, slab));
    const references = loads.map(() => new ReferencePeakEwma(decayMs));
    const random = lcg(7);
    for (let step = 0; step < 20_000; step++) {
      const roll = random();
      // Mostly small steps, sometimes minutes or hours (far past the slab's rebase point of 256 decays).
      now += roll < 0.001 ? 3_600_000 : roll < 0.01 ? 300_000 : Math.floor(random() * 50);
      const index = Math.floor(random() * loads.length);
      const sample = random() < 0.1 ? 50 + random() * 500 : 1 + random() * 20;
      (loads[index] as EndpointLoad).record(sample, now);
      (references[index] as ReferencePeakEwma).record(sample, now);
      for (let other = 0; other < loads.length; other++) {
        const expected = (references[other] as ReferencePeakEwma).read(now);
        const actual = (loads[other] as EndpointLoad).latencyEwmaMs;
        expect(Math.abs(actual - expected)).toBeLessThanOrEqual(1e-9 * Math.max(1, expected));
      }
    }
  });

  it('never reads above the stored average when the clock goes back', () => {
    let now = 10_000;
    const load = new EndpointLoad(1_000, () => now);
    load.record(40, now);
    now += 5_000;
    expect(load.latencyEwmaMs).toBeCloseTo(40 * Math.exp(-5), 9);
    now -= 60_000;
    expect(load.latencyEwmaMs).toBe(40);
    // A sample below the average from the past leaves it as it was.
    load.record(1, now);
    expect(load.latencyEwmaMs).toBe(40);
  });

  it('decays toward zero while no sample arrives, and a higher sample replaces the average at once', () => {
    let now = 0;
    const load = new EndpointLoad(100, () => now);
    expect(load.latencyEwmaMs).toBe(0);
    load.record(10, now);
    now = 100;
    expect(load.latencyEwmaMs).toBeCloseTo(10 / Math.E, 9);
    load.record(30, now);
    expect(load.latencyEwmaMs).toBe(30);
    now = 1_000_000;
    expect(load.latencyEwmaMs).toBe(0);
  });

  it('stays finite through a storm of failures or overload replies, and recovers from it', () => {
    // Each penalty records twice the current average: with no ejection to stop them (overload
    // replies never eject; every instance failing means panic), ~1,000 of them in a row reached
    // Infinity, and the next success made the average NaN for good (p2c's comparisons then always
    // fail, so load is ignored).
    let now = 1_700_000_000_000;
    const load = new EndpointLoad(10_000, () => now);
    for (let i = 0; i < 2_000; i++) load.recordPenalty(5, now);
    expect(Number.isFinite(load.latencyEwmaMs)).toBe(true);
    now += 1_000;
    load.record(5, now);
    expect(Number.isFinite(load.latencyEwmaMs)).toBe(true);
    now += 600_000; // idle for a while: back within reach of a probe
    expect(load.latencyEwmaMs).toBeLessThan(1);
  });

  it('replaces a stale average (no sample for longer than decayMs) with the next sample', () => {
    let now = 0;
    const load = new EndpointLoad(1_000, () => now);
    load.recordPenalty(1_000, now); // 2 s: a call that timed out after 1 s
    now = 1_000; // not stale yet: blended, the penalty still dominates
    expect(load.stale).toBe(false);
    load.record(1, now);
    expect(load.latencyEwmaMs).toBeGreaterThan(700);
    now = 2_001;
    expect(load.stale).toBe(true);
    load.record(1, now);
    expect(load.stale).toBe(false);
    expect(load.latencyEwmaMs).toBe(1);
  });

  it('refuses a slab whose decay differs from its own', () => {
    expect(() => new EndpointLoad(1_000, () => 0, new LoadSlab(2_000))).toThrow(/decayMs 1000 differs/);
  });
  it('stays finite when handed a NaN, infinite or negative sample, or a NaN penalty (custom balancers and simulations call it directly)', () => {
    let now = 1_000;
    const clock = (): number => now;
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, -5]) {
      const load = new EndpointLoad(10_000, clock);
      load.record(2, now);
      now += 100;
      load.record(bad, now);
      now += 100;
      load.recordPenalty(Number.NaN, now);
      now += 100;
      load.record(2, now);
      expect(Number.isFinite(load.latencyEwmaMs), `after a sample of ${bad}`).toBe(true);
      expect(load.latencyEwmaMs).toBeLessThanOrEqual(3_600_000);
    }
  });
});
