import { describe, expect, it } from 'vitest';
import { bucketOf, LATENCY_BUCKETS_MS, VersionOutcomes } from './version-outcomes.js';

describe('version outcome latency buckets', () => {
  it('puts each bound in its own bucket and anything just above it in the next', () => {
    for (let index = 0; index < LATENCY_BUCKETS_MS.length - 1; index++) {
      const bound = LATENCY_BUCKETS_MS[index] as number;
      expect(bucketOf(bound)).toBe(index);
      expect(bucketOf(bound * 1.000_001)).toBe(index + 1);
    }
  });

  it('agrees with a linear scan of the bounds over six decades of latencies', () => {
    const scan = (latency: number): number => {
      const index = LATENCY_BUCKETS_MS.findIndex((bound) => latency <= bound);
      return index < 0 ? LATENCY_BUCKETS_MS.length - 1 : index;
    };
    for (let step = 0; step < 100_000; step++) {
      const latency = 10 ** (-2 + (step / 100_000) * 8);
      expect(bucketOf(latency)).toBe(scan(latency));
    }
  });

  it('clamps: zero, negative and NaN to the first bucket, hours to the last', () => {
    for (const latency of [0, -5, Number.NaN]) expect(bucketOf(latency)).toBe(0);
    expect(bucketOf(3_600_000)).toBe(LATENCY_BUCKETS_MS.length - 1);
  });

  it('counts calls, failures and one bucket per call', () => {
    const outcomes = new VersionOutcomes();
    const record = outcomes.of('1.0.0');
    VersionOutcomes.record(record, true, 1);
    VersionOutcomes.record(record, false, 1);
    expect(record).toMatchObject({ calls: 2, failures: 1 });
    expect(record.latencyBuckets[bucketOf(1)]).toBe(2);
  });
});
