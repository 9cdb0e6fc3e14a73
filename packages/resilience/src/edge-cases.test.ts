import { getEventListeners } from 'node:events';
import { SwitchyardError } from '@switchyard/core';
import {
  circuitBreaker,
  compose,
  fallback,
  hedge,
  pendingDeadlineTimers,
  retry,
  retryBudget,
  timeout,
} from '@switchyard/resilience';
import { describe, expect, it, vi } from 'vitest';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const hang = () => new Promise<never>(() => {});
const boom = () => Promise.reject(new SwitchyardError('UNAVAILABLE', 'down', { retryable: true }));

describe('resilience edge cases (found in review)', () => {
  it('a half-open probe whose operation ignores its signal and hangs past its deadline does not wedge the circuit', async () => {
    const breaker = circuitBreaker({ window: { size: 2 }, minimumCalls: 2, openMs: 20, halfOpenCalls: 1 });
    for (let i = 0; i < 2; i++) await breaker.execute(boom).catch(() => {});
    expect(breaker.state()).toBe('open');
    await sleep(30);
    // The probe: the dependency black-holes it and the operation ignores its signal.
    await expect(breaker.execute(hang, { deadline: Date.now() + 20 })).rejects.toMatchObject({
      code: 'DEADLINE_EXCEEDED',
    });
    await sleep(100); // well past the probe's deadline and openMs
    // The dependency has recovered: calls should be probed again (or the probe counted as a failure
    // and the circuit re-opened for openMs, then probed). Instead every call is rejected forever.
    let ok = 0;
    for (let i = 0; i < 5; i++) {
      await breaker
        .execute(() => 'ok')
        .then(
          () => ok++,
          () => {},
        );
      await sleep(30);
    }
    expect(breaker.state()).not.toBe('half-open');
    expect(ok).toBeGreaterThan(0);
  });

  it('a shared caller signal keeps no listener after a call ended by its deadline, even when the operation hangs', async () => {
    const controller = new AbortController();
    const policy = compose(retry({ maxAttempts: 1 }));
    await expect(policy.execute(hang, { signal: controller.signal, deadline: Date.now() + 10 })).rejects.toMatchObject({
      code: 'DEADLINE_EXCEEDED',
    });
    await sleep(20);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it("a throwing onAbort listener neither escapes the deadline timer nor keeps another call's deadline from firing", async () => {
    vi.useFakeTimers();
    try {
      const deadline = Date.now() + 50;
      const policy = compose(retry({ maxAttempts: 1 }));
      // Both calls share the deadline's millisecond, so one timer fires both.
      const other = policy.execute(hang, { deadline });
      const otherOutcome = expect(other).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' });
      const throwing = policy.execute(
        (attempt) => {
          attempt.onAbort(() => {
            throw new Error('a transport bug');
          });
          return hang();
        },
        { deadline },
      );
      const throwingOutcome = expect(throwing).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' });
      await vi.advanceTimersByTimeAsync(100); // threw 'a transport bug' out of the timer
      await throwingOutcome;
      await otherOutcome; // never settled: its deadline entry was dropped unfired
      expect(pendingDeadlineTimers()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('an onAbort listener added after the attempt aborted and that throws is ignored, not an uncaught exception', async () => {
    const controller = new AbortController();
    const heard: unknown[] = [];
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', onUncaught);
    try {
      const call = compose(retry({ maxAttempts: 1 })).execute(
        (attempt) => {
          controller.abort('the caller left');
          // Already aborted: these run on the next microtask. The first one's throw escaped there.
          attempt.onAbort(() => {
            throw new Error('a transport bug');
          });
          attempt.onAbort((reason) => heard.push(reason));
          return hang();
        },
        { signal: controller.signal },
      );
      await expect(call).rejects.toMatchObject({ code: 'CANCELLED' });
      await sleep(0);
      expect(heard).toMatchObject([{ code: 'CANCELLED' }]);
      expect(uncaught).toEqual([]);
    } finally {
      process.off('uncaughtException', onUncaught);
    }
  });

  it('an option given as undefined keeps its default, as its optional type says, in every policy', async () => {
    // What `retry({ maxAttempts: config.retries })` passes when nothing is configured: these
    // threw "must be an integer …, got undefined" while bulkhead() and hedge() took the default.
    const unset = undefined;
    const policy = retry({
      maxAttempts: unset,
      backoff: { initialMs: 0, maxMs: unset, multiplier: unset },
      budget: unset,
    });
    let attempts = 0;
    await expect(
      policy.execute(() => {
        attempts++;
        return boom();
      }),
    ).rejects.toMatchObject({ code: 'RETRY_EXHAUSTED' });
    expect(attempts).toBe(3); // the default maxAttempts
    expect(String(retryBudget({ ratio: unset, minPerSecond: unset, windowMs: unset }))).toBe(
      'retryBudget(ratio=0.2, minPerSecond=10, windowMs=10000)',
    );
    const breaker = circuitBreaker({
      failureRateThreshold: unset,
      minimumCalls: unset,
      openMs: unset,
      halfOpenCalls: unset,
      slowCallMs: unset,
      maxKeys: unset,
    });
    expect(String(breaker)).toBe('circuitBreaker(failureRate>=0.5, minimumCalls=20, openMs=5000, halfOpenCalls=3)');
    // A value that is given is still checked, naming it.
    expect(() => retry({ maxAttempts: Number.NaN })).toThrow(/retry.maxAttempts: must be an integer/);
  });

  it('fallback() refuses an `on` that is not a function when built, naming it', async () => {
    expect(() => fallback(() => 'cached', { on: 'UNAVAILABLE' } as never)).toThrow(/fallback.on: must be a function/);
  });

  it('fallback() does not run its handler for a call its caller cancelled or whose deadline passed', async () => {
    const handler = vi.fn(() => 'cached');
    const policy = fallback(handler);
    const hangOnSignal = ({ signal }: { signal: AbortSignal }) =>
      new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
    const controller = new AbortController();
    const cancelled = policy.execute(hangOnSignal, { signal: controller.signal });
    controller.abort();
    await expect(cancelled).rejects.toMatchObject({ code: 'CANCELLED' });
    await expect(policy.execute(hangOnSignal, { deadline: Date.now() + 5 })).rejects.toMatchObject({
      code: 'DEADLINE_EXCEEDED',
    });
    await sleep(5);
    expect(handler).not.toHaveBeenCalled();
    // An inner timeout tighter than the call is still replaced: the call has time left.
    await expect(
      compose(
        fallback(() => 'cached'),
        timeout({ ms: 5 }),
      ).execute(hang),
    ).resolves.toBe('cached');
  });

  it("fallback() whose `on` throws keeps the operation's error, as retry's and hedge's retryOn do", async () => {
    // A classifier that expects every error to carry an HTTP response.
    const policy = fallback(() => 'cached', {
      on: (error) => (error as { response: { status: number } }).response.status === 503,
    });
    const failure = new SwitchyardError('UNAVAILABLE', 'down', { retryable: true });
    // The caller used to get the classifier's TypeError instead.
    await expect(policy.execute(() => Promise.reject(failure))).rejects.toBe(failure);
  });

  it('timeout({ ms: 0 }) fails without running the operation', async () => {
    let ran = 0;
    await expect(
      timeout({ ms: 0 }).execute(() => {
        ran++;
        return 'x';
      }),
    ).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' });
    expect(ran).toBe(0);
  });

  it('timeout({ ms: 0 }) tighter than the call is retryable like any per-attempt timeout; the call’s own deadline stays final', async () => {
    const run = () => 'x';
    // It was final for ms: 0 only (README: tighter than the call's deadline means retryable).
    await expect(timeout({ ms: 0 }).execute(run, { deadline: Date.now() + 60_000 })).rejects.toMatchObject({
      code: 'DEADLINE_EXCEEDED',
      retryable: true,
    });
    await expect(timeout({ ms: 0 }).execute(run)).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED', retryable: true });
    await expect(timeout({ ms: 0 }).execute(run, { deadline: Date.now() - 1 })).rejects.toMatchObject({
      code: 'DEADLINE_EXCEEDED',
      retryable: false,
    });
  });

  it('finished calls with long deadlines leave no timer per distinct millisecond behind', async () => {
    // Unref'd timers do not show in getActiveResourcesInfo(); count the ones armed and never cleared.
    const armed = new Set<unknown>();
    const realSet = globalThis.setTimeout;
    const realClear = globalThis.clearTimeout;
    const setSpy = vi.spyOn(globalThis, 'setTimeout').mockImplementation(((fn: () => void, ms?: number) => {
      const t = realSet(fn, ms);
      armed.add(t);
      return t;
    }) as typeof setTimeout);
    const clearSpy = vi.spyOn(globalThis, 'clearTimeout').mockImplementation(((t: NodeJS.Timeout) => {
      armed.delete(t);
      realClear(t);
    }) as typeof clearTimeout);
    try {
      const base = Date.now() + 3_600_000;
      const policy = compose(retry({ maxAttempts: 1 }));
      for (let i = 0; i < 2_000; i++) await policy.execute(() => i, { deadline: base + i });
      expect(pendingDeadlineTimers()).toBe(0); // every call has ended
      // Their buckets are due in an hour: none keeps a timer.
      expect(armed.size).toBeLessThan(100);
    } finally {
      setSpy.mockRestore();
      clearSpy.mockRestore();
    }
  });

  it('retryAfterMs: Infinity means do not retry (RetryOptions.pushbackOf), by default too', async () => {
    let calls = 0;
    const policy = retry({ maxAttempts: 3, backoff: { initialMs: 0, maxMs: 0 }, budget: false });
    await policy
      .execute(() => {
        calls++;
        const error = new SwitchyardError('UNAVAILABLE', 'go away', { retryable: true }) as SwitchyardError & {
          retryAfterMs: number;
        };
        error.retryAfterMs = Number.POSITIVE_INFINITY;
        throw error;
      })
      .catch(() => {});
    expect(calls).toBe(1);
  });

  it('hedge() refuses a malformed budget or retryOn with INVALID_ARGUMENT', async () => {
    expect(() => hedge({ delayMs: 10, budget: {} as never })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    expect(() => hedge({ delayMs: 10, retryOn: 'yes' as never })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });

  it('hedge cancels the loser and counts attempts', async () => {
    const h = hedge({ delayMs: 10, budget: false });
    const hedges: number[] = [];
    h.onHedge(({ attempt }) => hedges.push(attempt));
    const signals: AbortSignal[] = [];
    const value = await h.execute(({ attempt, signal }) => {
      signals.push(signal);
      return attempt === 1
        ? new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)))
        : 'second';
    });
    expect(value).toBe('second');
    expect(hedges).toEqual([2]);
    expect(signals[0]?.aborted).toBe(true);
    expect(signals[1]?.aborted).toBe(false);
  });
});
