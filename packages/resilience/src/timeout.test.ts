import { DeadlineExceededError, scopedSignal } from '@switchyard/core';
import { compose, retry, timeout } from '@switchyard/resilience';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

describe('timeout', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('rejects with DEADLINE_EXCEEDED at the deadline and aborts the attempt signal', async () => {
    let signal: AbortSignal | undefined;
    const pending = timeout({ ms: 100 }).execute(({ signal: s }) => {
      signal = s;
      return new Promise(() => {});
    });
    const outcome = expect(pending).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' });
    await vi.advanceTimersByTimeAsync(99);
    expect(signal?.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(2);
    await outcome;
    expect(signal?.aborted).toBe(true);
  });

  it('tightens but never extends an incoming deadline', async () => {
    const seen: number[] = [];
    const start = Date.now();
    await timeout({ ms: 1_000 }).execute(({ deadline }) => seen.push(deadline - start), { deadline: start + 200 });
    await timeout({ ms: 100 }).execute(({ deadline }) => seen.push(deadline - start), { deadline: start + 200 });
    expect(seen).toEqual([200, 100]);
  });

  it('enforces an execute() deadline even without a timeout policy', async () => {
    const pending = retry().execute(() => new Promise(() => {}), { deadline: Date.now() + 50 });
    const outcome = expect(pending).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' });
    await vi.advanceTimersByTimeAsync(51);
    await outcome;
  });

  it("reports a caller signal's deadline as DEADLINE_EXCEEDED, not as a cancellation", async () => {
    const scoped = scopedSignal(undefined, Date.now() + 50);
    const pending = retry().execute(() => new Promise(() => {}), { signal: scoped.signal });
    const outcome = expect(pending).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' });
    await vi.advanceTimersByTimeAsync(51);
    await outcome;
    scoped.dispose();
  });

  it('as a per-attempt timeout inside a default retry(), is retried (the call still has time)', async () => {
    let attempts = 0;
    const policy = compose(retry({ backoff: { initialMs: 0, maxMs: 0 }, budget: false }), timeout({ ms: 100 }));
    const pending = policy.execute(
      () => {
        attempts++;
        return attempts === 1 ? new Promise(() => {}) : Promise.resolve('second');
      },
      { deadline: Date.now() + 1_000 },
    );
    await vi.advanceTimersByTimeAsync(101);
    await expect(pending).resolves.toBe('second');
    expect(attempts).toBe(2);
    // The call's own deadline is still final.
    const late = timeout({ ms: 500 }).execute(() => new Promise(() => {}), { deadline: Date.now() + 50 });
    const outcome = expect(late).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED', retryable: false });
    await vi.advanceTimersByTimeAsync(51);
    await outcome;
  });

  it("leaves a downstream DEADLINE_EXCEEDED final while its own time is not up, but relabels the transport's report of its expiry", async () => {
    let attempts = 0;
    const policy = compose(
      retry({ maxAttempts: 3, backoff: { initialMs: 0, maxMs: 0 }, budget: false }),
      timeout({ ms: 10_000 }),
    );
    // A server whose own budget ran out answered at once: not this timeout's doing, not retried.
    const downstream = new DeadlineExceededError('downstream ran out of time');
    await expect(
      policy.execute(() => {
        attempts++;
        return Promise.reject(downstream);
      }),
    ).rejects.toBe(downstream);
    expect(attempts).toBe(1);
    // The transport enforcing this timeout's deadline reports it first: still this timeout's expiry.
    attempts = 0;
    const pending = policy.execute(({ deadline }) => {
      attempts++;
      if (attempts > 1) return Promise.resolve('second');
      return new Promise((_, reject) =>
        setTimeout(() => reject(new DeadlineExceededError('transport deadline')), deadline - Date.now() - 1),
      );
    });
    await vi.advanceTimersByTimeAsync(10_001);
    await expect(pending).resolves.toBe('second');
    expect(attempts).toBe(2);
  });

  it('as a per-attempt timeout inside retry, times out one attempt and lets the next one run', async () => {
    let attempts = 0;
    const policy = compose(
      retry({ maxAttempts: 3, backoff: { initialMs: 0, maxMs: 0 }, retryOn: () => true, budget: false }),
      timeout({ ms: 100 }),
    );
    const pending = policy.execute(({ attempt }) => {
      attempts++;
      return attempt === 1 ? new Promise(() => {}) : Promise.resolve('second');
    });
    await vi.advanceTimersByTimeAsync(101);
    await expect(pending).resolves.toBe('second');
    expect(attempts).toBe(2);
  });

  it('rejects bad options naming them', () => {
    expect(() => timeout({ ms: -1 })).toThrow(/timeout.ms: must be an integer from 0/);
    expect(() => timeout({ ms: 10, extra: 1 } as never)).toThrow(/timeout.extra: unknown option/);
  });
});
