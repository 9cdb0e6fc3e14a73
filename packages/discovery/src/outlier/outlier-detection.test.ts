import { describe, expect, it } from 'vitest';
import { LoadSlab } from '../load-slab.js';
import { DEFAULT_OUTLIER_DETECTION, EndpointHealth, resolveOutlierDetection } from './outlier-detection.js';

const OK = { ok: true };
const FAILED = { ok: false };
const config = { ...DEFAULT_OUTLIER_DETECTION, jitter: 0 };

describe('EndpointHealth', () => {
  it('ejects on the failure rate over the window, and a new window starts the count again', () => {
    const health = new EndpointHealth({ ...config, consecutiveFailures: 1_000, failureRateMinimumCalls: 10 });
    let now = 1_000_000;
    // 5 failures among 10 calls: 50 %, at the threshold, ejects at the 10th call.
    for (let call = 0; call < 9; call++) expect(health.record(call % 2 === 0 ? FAILED : OK, now)).toBeUndefined();
    expect(health.record(FAILED, now)).toBe(5_000);
    health.release();
    // Next window: the old failures no longer count; 1 failure in 10 calls does not eject.
    now += config.windowMs + 1;
    for (let call = 0; call < 9; call++) expect(health.record(OK, now)).toBeUndefined();
    expect(health.record(FAILED, now)).toBeUndefined();
  });

  it('a success clears the consecutive count, and long quiet success shrinks the backoff again', () => {
    const health = new EndpointHealth(config);
    let now = 1_000_000;
    for (let call = 0; call < 4; call++) expect(health.record(FAILED, now)).toBeUndefined();
    expect(health.record(OK, now)).toBeUndefined();
    for (let call = 0; call < 4; call++) expect(health.record(FAILED, now)).toBeUndefined();
    expect(health.record(FAILED, now)).toBe(5_000);
    expect(health.ejectionCount).toBe(1);
    health.release();
    expect(health.probation).toBe(true);
    // On probation the first failure ejects again, for twice as long.
    expect(health.record(FAILED, now)).toBe(10_000);
    health.release();
    now += 10_000 + 10_001;
    health.record(OK, now);
    expect(health.probation).toBe(false);
    expect(health.ejectionCount).toBe(1);
    now += 5_000 + 5_001;
    health.record(OK, now);
    expect(health.probation).toBe(false);
    expect(health.ejectionCount).toBe(0);
  });

  it('counts one ejection for a burst of failures: calls in flight when it was ejected do not eject it again', () => {
    const health = new EndpointHealth({ ...config, consecutiveConnectionFailures: 1 });
    const now = 1_000_000;
    expect(health.record({ ok: false, connectionFailed: true }, now)).toBe(5_000);
    // 29 more calls that were already in flight fail the same way.
    for (let call = 0; call < 29; call++) {
      expect(health.record({ ok: false, connectionFailed: true }, now + call)).toBeUndefined();
    }
    expect(health.ejectionCount).toBe(1);
    expect(health.isEjected(now + 4_999)).toBe(true);
    expect(health.isEjected(now + 5_000)).toBe(false);
    // Back on probation, its first failure ejects it again, for the second length (10 s), not the cap.
    health.release();
    expect(health.record(FAILED, now + 5_000)).toBe(10_000);
    expect(health.ejectionCount).toBe(2);
  });

  it('ignores failures of calls that began before the ejection even once it has ended (long deadlines)', () => {
    const health = new EndpointHealth({ ...config, consecutiveConnectionFailures: 1 });
    const now = 1_000_000;
    expect(health.record({ ok: false, connectionFailed: true }, now, true, now - 5)).toBe(5_000);
    health.release();
    // A call picked before the ejection times out after it ended, the instance on probation.
    expect(health.record(FAILED, now + 6_000, true, now - 10)).toBeUndefined();
    expect(health.ejectionCount).toBe(1);
    // A call that began after the ejection still ejects it again, as probation means.
    expect(health.record(FAILED, now + 6_100, true, now + 5_500)).toBe(10_000);
  });

  it('keeps probation and the backoff through successes of calls that began before the ejection', () => {
    const health = new EndpointHealth({ ...config, consecutiveConnectionFailures: 1 });
    const now = 1_000_000;
    expect(health.record({ ok: false, connectionFailed: true }, now, true, now - 5)).toBe(5_000);
    health.release();
    // A slow call picked before the ejection succeeds after it ended: it says nothing about the
    // instance as it is now, so the first failure of a call made since still ejects it again.
    expect(health.record(OK, now + 20_000, true, now - 10)).toBeUndefined();
    expect(health.probation).toBe(true);
    expect(health.ejectionCount).toBe(1);
    expect(health.record(FAILED, now + 20_001, true, now + 19_000)).toBe(10_000);
    // A success of a call made since the release does clear probation.
    health.release();
    health.record(OK, now + 40_000, true, now + 39_990);
    expect(health.probation).toBe(false);
  });

  it('keeps its window in the slab line it is given, so the common success needs only that line', () => {
    const slab = new LoadSlab(1_000);
    const base = slab.allocate();
    const health = new EndpointHealth(config, slab, base);
    const now = 1_000_000;
    expect(EndpointHealth.countCall(slab.array, base, config.windowMs, now)).toBe(false);
    health.record(FAILED, now);
    // A failure is on record: the next success must reach the object, which then clears the flag.
    expect(EndpointHealth.countCall(slab.array, base, config.windowMs, now)).toBe(true);
    health.afterSuccess(now);
    expect(EndpointHealth.countCall(slab.array, base, config.windowMs, now)).toBe(false);
  });
});

describe('resolveOutlierDetection', () => {
  it('takes a baseEjectionMs above the default maxEjectionMs as the cap too, rather than blaming maxEjectionMs (not given)', () => {
    const config = resolveOutlierDetection({ baseEjectionMs: 600_000 });
    expect(config.baseEjectionMs).toBe(600_000);
    expect(config.maxEjectionMs).toBe(600_000);
    expect(resolveOutlierDetection({ baseEjectionMs: 1_000 }).maxEjectionMs).toBe(
      DEFAULT_OUTLIER_DETECTION.maxEjectionMs,
    );
    // Both given and contradictory: still refused, naming the cap.
    expect(() => resolveOutlierDetection({ baseEjectionMs: 600_000, maxEjectionMs: 300_000 })).toThrow(
      /outlierDetection.maxEjectionMs: must be an integer from 600000/,
    );
  });
});
