import { coarseNow, SwitchyardError } from '@switchyard/core';
import { type AttemptContext, compose, hedge, retry, retryBudget } from '@switchyard/resilience';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

const unavailable = () => new SwitchyardError('UNAVAILABLE', 'down', { retryable: true });

/** Rejects with the abort reason when the attempt's signal aborts (as the transports do); never answers otherwise. */
const untilAborted = ({ signal }: AttemptContext) =>
  new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));

describe('retryBudget accounting', () => {
  // One fake clock for the whole file: the coarse clock the budget's window reads starts its
  // interval under it, and would stop ticking if the fake timers were replaced between tests.
  beforeAll(() => vi.useFakeTimers());
  afterAll(() => vi.useRealTimers());

  it('gives the retry back when the deadline cuts its backoff wait short (no attempt was made)', async () => {
    // A floor of exactly one retry per window, and no share of requests: one token in all.
    const budget = retryBudget({ ratio: 0, minPerSecond: 1, windowMs: 1_000 });
    const start = Date.now();
    let attempts = 0;
    const policy = retry({ pushbackOf: () => 50, budget });
    const pending = policy.execute(
      () => {
        attempts++;
        return Promise.reject(unavailable());
      },
      { deadline: start + 100 },
    );
    const outcome = expect(pending).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' });
    await vi.advanceTimersByTimeAsync(0); // the first attempt failed; a 50 ms wait ends before the deadline
    // The process stalls past the deadline: when the wait's timer runs, there is no time left.
    vi.setSystemTime(start + 200);
    await vi.advanceTimersByTimeAsync(50);
    await outcome;
    expect(attempts).toBe(1);
    expect(budget.tryAcquireRetry()).toBe(true); // was false: the token went to a retry never made
  });

  it('gives the retry back when the caller aborts during its backoff wait', async () => {
    const budget = retryBudget({ ratio: 0, minPerSecond: 1, windowMs: 1_000 });
    const controller = new AbortController();
    const pending = retry({ pushbackOf: () => 500, budget }).execute(() => Promise.reject(unavailable()), {
      signal: controller.signal,
    });
    const outcome = expect(pending).rejects.toMatchObject({ code: 'CANCELLED' });
    await vi.advanceTimersByTimeAsync(100);
    controller.abort();
    await outcome;
    expect(budget.tryAcquireRetry()).toBe(true); // was false
  });

  it('gives nothing back for a grant that has already left the window (the cap holds)', async () => {
    const budget = retryBudget({ ratio: 0, minPerSecond: 1, windowMs: 1_000 });
    const grantedAt = coarseNow();
    expect(budget.tryAcquireRetry()).toBe(true);
    await vi.advanceTimersByTimeAsync(1_100);
    expect(budget.tryAcquireRetry()).toBe(true); // the first grant has left the window
    budget.releaseRetry?.(grantedAt); // too late: it must not free the second
    expect(budget.tryAcquireRetry()).toBe(false);
    budget.releaseRetry?.(coarseNow());
    expect(budget.tryAcquireRetry()).toBe(true);
  });

  it('counts a call once, and each retry once, when retry() outside hedge() shares its budget', async () => {
    // ratio 1, no floor: after n calls with one extra attempt each, the budget is exactly spent.
    const budget = retryBudget({ ratio: 1, minPerSecond: 0, windowMs: 10_000 });
    const policy = compose(
      retry({ backoff: { initialMs: 0, maxMs: 0 }, budget }),
      hedge({ delayMs: 1_000, budget, retryOn: () => false }),
    );
    for (let call = 0; call < 10; call++) {
      let attempts = 0;
      const answer = policy.execute(() => (++attempts === 1 ? Promise.reject(unavailable()) : 'ok'));
      await expect(answer).resolves.toBe('ok');
      expect(attempts).toBe(2);
    }
    // Was true: each call recorded 3 requests (retry, hedge, and hedge again for the retry), so
    // retries could reach 3× what the ratio allows.
    expect(budget.tryAcquireRetry()).toBe(false);
  });

  it('counts a call once, and each hedge once, when hedge() outside retry() shares its budget', async () => {
    const budget = retryBudget({ ratio: 1, minPerSecond: 0, windowMs: 10_000 });
    const hedged = hedge({ delayMs: 10, budget, retryOn: () => false });
    const policy = compose(hedged, retry({ budget }));
    let hedges = 0;
    hedged.onHedge(() => hedges++);
    for (let call = 0; call < 10; call++) {
      let attempts = 0;
      const answer = policy.execute((context) => (++attempts === 1 ? untilAborted(context) : 'ok'));
      await vi.advanceTimersByTimeAsync(10);
      await expect(answer).resolves.toBe('ok');
    }
    expect(hedges).toBe(10);
    // Was true: the hedge and retry() inside it each recorded the call, and retry() recorded the
    // hedge as a request of its own.
    expect(budget.tryAcquireRetry()).toBe(false);
  });
});
