import { MemoryRegistry } from '@switchyard/registry';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createDiscovery } from '../create-discovery.js';
import {
  bucketOf,
  FORGET_VERSION_AFTER_MS,
  LATENCY_BUCKETS_MS,
  MAX_DEPARTED_VERSIONS,
  outcomeDelta,
  VersionOutcomes,
} from './version-outcomes.js';

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

describe('version outcomes are bounded: versions that left are forgotten', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('forgets a version once no instance runs it and it had no call for a while; never one still running', () => {
    vi.useFakeTimers();
    const outcomes = new VersionOutcomes();
    const old = outcomes.of('1.0.0');
    outcomes.of('1.1.0'); // a live version that gets no calls at all
    VersionOutcomes.record(old, true, 1);
    outcomes.release('1.0.0'); // its last instance left
    vi.advanceTimersByTime(FORGET_VERSION_AFTER_MS - 1_000);
    // A call still in flight to it ends: that is activity, and the clock starts again.
    VersionOutcomes.record(old, false, 1);
    expect([...outcomes.snapshot().keys()]).toEqual(['1.0.0', '1.1.0']);
    vi.advanceTimersByTime(FORGET_VERSION_AFTER_MS - 1_000);
    expect(outcomes.snapshot().get('1.0.0')).toMatchObject({ calls: 2, failures: 1 });
    vi.advanceTimersByTime(1_000);
    expect([...outcomes.snapshot().keys()]).toEqual(['1.1.0']);
    vi.advanceTimersByTime(10 * FORGET_VERSION_AFTER_MS);
    expect([...outcomes.snapshot().keys()]).toEqual(['1.1.0']);
  });

  it('keeps a version while any instance runs it, through rolling restarts and version changes', () => {
    const outcomes = new VersionOutcomes();
    const first = outcomes.of('1.0.0');
    const second = outcomes.of('1.0.0');
    expect(second).toBe(first);
    outcomes.release('1.0.0');
    outcomes.release('2.0.0'); // never held: ignored
    outcomes.release('1.0.0');
    outcomes.release('1.0.0'); // once too often: ignored, and it stays countable
    expect(outcomes.of('1.0.0')).toBe(first); // the restarted instance, before the time is up
    // Many departed versions come and go; the held one stays whatever the count.
    for (let index = 0; index < 3 * MAX_DEPARTED_VERSIONS; index++) {
      outcomes.of(`0.0.${index}`);
      outcomes.release(`0.0.${index}`);
    }
    expect(outcomes.snapshot().has('1.0.0')).toBe(true);
  });

  it('keeps at most MAX_DEPARTED_VERSIONS versions that left, however many deploys come within the wait', () => {
    vi.useFakeTimers();
    const outcomes = new VersionOutcomes();
    let running = '0';
    outcomes.of(running);
    for (let deploy = 1; deploy <= 1_000; deploy++) {
      const next = String(deploy);
      VersionOutcomes.record(outcomes.of(next), true, 1);
      outcomes.release(running);
      running = next;
      vi.advanceTimersByTime(1_000); // a deploy a second: none waited out FORGET_VERSION_AFTER_MS
      expect(outcomes.size).toBeLessThanOrEqual(MAX_DEPARTED_VERSIONS + 1);
    }
    const kept = [...outcomes.snapshot().keys()].map(Number).sort((a, b) => a - b);
    // The running version and the ones that left most recently.
    expect(kept).toEqual(
      Array.from({ length: MAX_DEPARTED_VERSIONS + 1 }, (_, i) => 1_000 - MAX_DEPARTED_VERSIONS + i),
    );
  });

  it('gives a reader diffing across a forgetting an empty window, and a version seen again a fresh record', () => {
    vi.useFakeTimers();
    const outcomes = new VersionOutcomes();
    const first = outcomes.of('1.0.0');
    for (let call = 0; call < 50; call++) VersionOutcomes.record(first, call % 2 === 0, 5);
    outcomes.release('1.0.0');
    const baseline = outcomes.snapshot();
    vi.advanceTimersByTime(FORGET_VERSION_AFTER_MS);
    const forgotten = outcomes.snapshot();
    expect(forgotten.has('1.0.0')).toBe(false);
    expect(outcomeDelta(forgotten.get('1.0.0'), baseline.get('1.0.0'))).toMatchObject({ calls: 0, failures: 0 });
    // Rolled back to it: a new record, counting from 0, which a diff against the old one must not mix.
    const again = outcomes.of('1.0.0');
    expect(again).not.toBe(first);
    for (let call = 0; call < 60; call++) VersionOutcomes.record(again, true, 5);
    const window = outcomeDelta(outcomes.snapshot().get('1.0.0'), baseline.get('1.0.0'));
    expect(window).toMatchObject({ calls: 60, failures: 0 });
    expect(window.latencyBuckets.every((count) => count >= 0)).toBe(true);
  });

  it('bounds what a discovery keeps over many deploys, while it still counts the running version', async () => {
    const registry = new MemoryRegistry();
    const discovery = createDiscovery({ registry, service: 'catalog' });
    try {
      let previous = await registry.register({
        service: 'catalog',
        version: '0',
        host: '127.0.0.1',
        ports: { grpc: 1 },
      });
      await discovery.ready();
      for (let deploy = 1; deploy <= 200; deploy++) {
        const next = await registry.register({
          service: 'catalog',
          version: String(deploy),
          host: '127.0.0.1',
          ports: { grpc: 1 },
        });
        discovery.pick().done({ ok: true, latencyMs: 1 });
        await previous.deregister();
        previous = next;
      }
      const kept = discovery.versionOutcomes();
      // Without forgetting: 201 records (~0.5 KB each), one more per deploy, for the client's life.
      expect(kept.size).toBeLessThanOrEqual(MAX_DEPARTED_VERSIONS + 1);
      const before = kept.get('200');
      for (let call = 0; call < 10; call++) discovery.pick().done({ ok: false, latencyMs: 1 });
      expect(outcomeDelta(discovery.versionOutcomes().get('200'), before)).toMatchObject({ calls: 10, failures: 10 });
    } finally {
      await discovery.close();
      await registry.close();
    }
  });
});
