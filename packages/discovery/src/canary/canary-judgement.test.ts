/**
 * The canary controller's verdicts on windows with few canary calls (its first step), with exact
 * call counts: picks by key draw the version from the key's hash (deterministic), and a pick
 * beyond a version's quota ends `notSent`, which no version's counters hear of.
 */
import { createCanaryController } from '@switchyard/discovery';
import { describe, expect, it } from 'vitest';
import { discovery, registry } from '../test-support/canary-fleet-per-test.js';

interface Calls {
  calls: number;
  /** Outcome of the version's i-th call. */
  outcome: (index: number) => { ok: boolean; latencyMs: number };
}

/** Exactly `stable.calls` calls to 1.4.0 and `canary.calls` to 1.5.0, with the given outcomes. */
function traffic(stable: Calls, canary: Calls): void {
  const sent = { '1.4.0': 0, '1.5.0': 0 };
  const plan = { '1.4.0': stable, '1.5.0': canary };
  for (let key = 0; sent['1.4.0'] < stable.calls || sent['1.5.0'] < canary.calls; key++) {
    if (key > 1_000_000) throw new Error('the split never reached the quotas');
    const lease = discovery.pick({ key: `k${key}` });
    const version = lease.instance.version as '1.4.0' | '1.5.0';
    if (sent[version] >= plan[version].calls) {
      lease.done({ ok: false, latencyMs: 0, notSent: true });
      continue;
    }
    lease.done(plan[version].outcome(sent[version]++));
  }
}

async function firstVerdict(stable: Calls, canary: Calls, maxLatencyRatio?: number) {
  const controller = createCanaryController({
    registry,
    discovery,
    stable: '1.4.0',
    canary: '1.5.0',
    windowMs: 3_600_000,
    // Each verdict is a release of its own: one rolled back before is released again.
    retry: true,
    ...(maxLatencyRatio === undefined ? {} : { maxLatencyRatio }),
  });
  await controller.start(); // 5 %, minCalls 50, z 2.33, p95 ratio 1.5
  traffic(stable, canary);
  const decision = await controller.evaluate();
  await controller.stop();
  return decision;
}

// Latencies with a tail: 2 % of calls take 40 ms, the rest 10 ms.
const tail = (share: number) => (index: number) => ({
  ok: true,
  latencyMs: index % Math.round(1 / share) === 0 ? 40 : 10,
});

describe('canary judgement with few canary calls', () => {
  it('does not roll back a healthy canary whose small sample happened to catch three tail calls', async () => {
    // Stable and canary share one latency distribution (2 % of calls at 40 ms). 50 canary calls
    // hold 3 or more of them 7.8 % of the time: the canary's p95 is then 40 ms against stable's
    // 10 ms, and it was rolled back on that alone, with no test of whether the difference is
    // real (simulated: ~10 % of healthy canaries rolled back per window at lognormal latencies).
    const decision = await firstVerdict(
      { calls: 950, outcome: tail(0.02) },
      { calls: 50, outcome: (index) => ({ ok: true, latencyMs: index < 3 ? 40 : 10 }) },
    );
    expect(decision.canary.p95Ms).toBeGreaterThan(decision.stable.p95Ms * 1.5);
    expect(decision.action, decision.reason).toBe('promote');
  });

  it('still rolls back a canary that is really slower, on as few calls', async () => {
    const decision = await firstVerdict(
      { calls: 950, outcome: tail(0.02) },
      { calls: 50, outcome: (index) => ({ ok: true, latencyMs: index % 4 === 0 ? 40 : 10 }) }, // 25 % slow
    );
    expect(decision.action).toBe('rollback');
    expect(decision.reason).toMatch(/p95 latency/);
  });

  it('does not roll back a canary for two errors in fifty against a 0.5 % baseline', async () => {
    // 2 of 50 (4 %) against 5 of 950 (0.53 %): the uncorrected z-test gave z = 2.87 > 2.33 and
    // rolled back, though a version with stable's own 0.5 % error rate shows 2 or more errors in
    // 50 calls 2.6 % of the time, not the 1 % that z = 2.33 promises.
    const decision = await firstVerdict(
      { calls: 950, outcome: (index) => ({ ok: index % 190 !== 0, latencyMs: 10 }) },
      { calls: 50, outcome: (index) => ({ ok: index >= 2, latencyMs: 10 }) },
    );
    expect(decision.stable.errorRate).toBeCloseTo(5 / 950, 5);
    expect(decision.canary.errorRate).toBeCloseTo(2 / 50, 5);
    expect(decision.action, decision.reason).toBe('promote');
  });

  it('still rolls back a canary at 20 % errors on fifty calls', async () => {
    const decision = await firstVerdict(
      { calls: 950, outcome: (index) => ({ ok: index % 190 !== 0, latencyMs: 10 }) },
      { calls: 50, outcome: (index) => ({ ok: index % 5 !== 0, latencyMs: 10 }) },
    );
    expect(decision.action).toBe('rollback');
    expect(decision.reason).toMatch(/error rate/);
  });
});

describe('canary latency judged to the ratio asked for, not to the histogram’s coarse buckets', () => {
  const steady = (latencyMs: number) => () => ({ ok: true, latencyMs });

  it('does not roll back a canary 1 % slower than stable under maxLatencyRatio 1.2', async () => {
    // 10.8 ms and 10.9 ms fell into neighbouring 25 %-wide buckets: p95 "13.6 ms vs 10.8 ms".
    const decision = await firstVerdict(
      { calls: 950, outcome: steady(10.8) },
      { calls: 50, outcome: steady(10.9) },
      1.2,
    );
    expect(`${decision.action}: ${decision.reason}`).toMatch(/^promote/);
  });

  it('does not roll back a canary 36 % slower under maxLatencyRatio 1.5', async () => {
    const decision = await firstVerdict({ calls: 950, outcome: steady(10) }, { calls: 50, outcome: steady(13.6) }, 1.5);
    expect(`${decision.action}: ${decision.reason}`).toMatch(/^promote/);
  });

  it('still rolls back a canary 60 % slower under maxLatencyRatio 1.5, whatever stable’s latency', async () => {
    for (const stableMs of [1, 8.7, 10, 10.8, 37, 250]) {
      const decision = await firstVerdict(
        { calls: 950, outcome: steady(stableMs) },
        { calls: 50, outcome: steady(stableMs * 1.6) },
        1.5,
      );
      expect(`${stableMs} ms: ${decision.action}: ${decision.reason}`).toMatch(/rollback: p95 latency/);
    }
  });
});
