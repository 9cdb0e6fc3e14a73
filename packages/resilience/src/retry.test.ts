import { NoInstancesError, RetryBudgetExhaustedError, SwitchyardError } from '@switchyard/core';
import { retry, retryBudget } from '@switchyard/resilience';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

const unavailable = () => new SwitchyardError('UNAVAILABLE', 'down', { retryable: true });

describe('retry', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('retries retryable errors with growing, fully jittered delays, then gives up with every error', async () => {
    const delays: number[] = [];
    const policy = retry({ maxAttempts: 4, backoff: { initialMs: 100, maxMs: 250 }, budget: false });
    policy.onRetry((event) => delays.push(event.delayMs));
    const pending = policy.execute(() => Promise.reject(unavailable()));
    const outcome = expect(pending).rejects.toMatchObject({ code: 'RETRY_EXHAUSTED', errors: expect.any(Array) });
    await vi.advanceTimersByTimeAsync(1_000);
    await outcome;
    expect(delays).toHaveLength(3);
    const caps = [100, 200, 250];
    delays.forEach((delay, index) => {
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThanOrEqual(caps[index] as number);
    });
  });

  it('gives up at once, with the reason, once the operation refused further attempts (no wait, no token)', async () => {
    const budget = retryBudget();
    const acquire = vi.spyOn(budget, 'tryAcquireRetry');
    const policy = retry({ maxAttempts: 3, backoff: { initialMs: 1_000, maxMs: 1_000 }, budget });
    const retries: number[] = [];
    const giveUps: string[] = [];
    policy.onRetry((event) => retries.push(event.attempt));
    policy.onGiveUp((event) => giveUps.push(event.reason));
    const refusal = new SwitchyardError('DEADLINE_EXCEEDED', 'POST /orders: may have run; not sent again');
    let attempts = 0;
    const pending = policy.execute((context) => {
      attempts++;
      // A request that may have reached its server and must not run twice.
      context.refuseFurtherAttempts(refusal);
      context.refuseFurtherAttempts(new Error('a later reason')); // the first one stays
      expect(context.furtherAttemptsRefused).toBe(refusal);
      return Promise.reject(unavailable()); // retryable, as a per-attempt timeout labels its expiry
    });
    await expect(pending).rejects.toBe(refusal); // was a 1 s backoff wait, then another attempt
    expect({ attempts, retries, giveUps }).toEqual({ attempts: 1, retries: [], giveUps: ['not-retryable'] });
    expect(acquire).not.toHaveBeenCalled();
  });

  it('still runs no further attempt when refuseFurtherAttempts() is given no reason, and says so', async () => {
    const policy = retry({ maxAttempts: 3, backoff: { initialMs: 0, maxMs: 0 }, budget: false });
    for (const missing of [undefined, null]) {
      let attempts = 0;
      const pending = policy.execute((context) => {
        attempts++;
        // From JavaScript, or with a reason variable left unset: the request must still not run twice.
        context.refuseFurtherAttempts(missing as never);
        return Promise.reject(unavailable());
      });
      await expect(pending).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        message: expect.stringContaining('refuseFurtherAttempts.reason'),
      });
      expect(attempts).toBe(1); // was 3: no reason read as no refusal
    }
  });

  it('waits out a pushback longer than a Node timer holds instead of retrying at once', async () => {
    const longWait = 3_000_000_000; // past MAX_TIMER_MS (2^31 - 1 ms), where setTimeout fires after 1 ms
    let calls = 0;
    const pending = retry({ pushbackOf: () => longWait, budget: false }).execute(() => {
      calls++;
      return calls === 1 ? Promise.reject(unavailable()) : Promise.resolve('ok');
    });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(calls).toBe(1);
    await vi.advanceTimersByTimeAsync(longWait);
    await expect(pending).resolves.toBe('ok');
    expect(calls).toBe(2);
  });

  it('reports a give-up when the caller aborts during the backoff wait', async () => {
    const reasons: string[] = [];
    const policy = retry({ backoff: { initialMs: 1_000, maxMs: 1_000 }, budget: false, pushbackOf: () => 1_000 });
    policy.onGiveUp((event) => reasons.push(event.reason));
    const controller = new AbortController();
    const pending = policy.execute(() => Promise.reject(unavailable()), { signal: controller.signal });
    const outcome = expect(pending).rejects.toMatchObject({ code: 'CANCELLED' });
    await vi.advanceTimersByTimeAsync(100);
    controller.abort();
    await outcome;
    expect(reasons).toEqual(['aborted']); // was [] (metrics missed every give-up during a wait)
  });

  it('starts no further attempt when the caller aborts in the same tick its backoff wait ends', async () => {
    const reasons: string[] = [];
    const budget = retryBudget();
    const giveBack = vi.spyOn(budget, 'releaseRetry');
    const policy = retry({ maxAttempts: 3, budget, pushbackOf: () => 100 });
    policy.onGiveUp((event) => reasons.push(event.reason));
    const controller = new AbortController();
    let attempts = 0;
    const pending = policy.execute(
      () => {
        attempts++;
        return Promise.reject(unavailable());
      },
      { signal: controller.signal },
    );
    const outcome = expect(pending).rejects.toMatchObject({ code: 'CANCELLED' });
    await vi.advanceTimersByTimeAsync(0); // the first attempt failed; the 100 ms wait is armed
    // The caller's own timer is due in the same tick as the wait's: both run before any promise
    // continuation (as in one macrotask), the wait's first.
    setTimeout(() => controller.abort(), 100);
    vi.advanceTimersByTime(100);
    await outcome;
    await vi.advanceTimersByTimeAsync(0);
    expect(attempts).toBe(1); // was 2: a retry started for a call its caller had cancelled
    expect(reasons).toEqual(['aborted']);
    expect(giveBack).toHaveBeenCalledTimes(1); // the retry never made is not charged
  });

  it("reports a give-up as 'deadline' when the call's deadline ends an attempt, and as 'aborted' when the caller does", async () => {
    const reasons: string[] = [];
    const policy = retry({ budget: false });
    policy.onGiveUp((event) => reasons.push(event.reason));
    // An operation that honours its signal, as the transports do: it rejects with the abort reason.
    const honoursSignal = ({ signal }: { signal: AbortSignal }) =>
      new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
    const timedOut = policy.execute(honoursSignal, { deadline: Date.now() + 100 });
    const timedOutOutcome = expect(timedOut).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' });
    await vi.advanceTimersByTimeAsync(100);
    await timedOutOutcome;
    const controller = new AbortController();
    const cancelled = policy.execute(honoursSignal, { signal: controller.signal });
    controller.abort();
    await expect(cancelled).rejects.toMatchObject({ code: 'CANCELLED' });
    // Was ['aborted', 'aborted']: the commonest deadline give-up was counted as a cancellation.
    expect(reasons).toEqual(['deadline', 'aborted']);
  });

  it('gives up on an infinite pushback and falls back to its backoff on a NaN one', async () => {
    let calls = 0;
    const error = unavailable();
    await expect(
      retry({ pushbackOf: () => Number.POSITIVE_INFINITY, budget: false }).execute(() => {
        calls++;
        return Promise.reject(error);
      }),
    ).rejects.toBe(error);
    expect(calls).toBe(1);
    const delays: number[] = [];
    const policy = retry({
      maxAttempts: 2,
      pushbackOf: () => Number.NaN,
      backoff: { initialMs: 50, maxMs: 50 },
      budget: false,
    });
    policy.onRetry((event) => delays.push(event.delayMs));
    const pending = policy.execute(({ attempt }) =>
      attempt === 1 ? Promise.reject(unavailable()) : Promise.resolve('ok'),
    );
    await vi.advanceTimersByTimeAsync(60);
    await expect(pending).resolves.toBe('ok');
    expect(delays[0]).toBeGreaterThanOrEqual(0);
    expect(delays[0]).toBeLessThanOrEqual(50);
  });

  it('takes a pushbackOf answer that is not a number (a raw header string) as no answer, like NaN', async () => {
    // gRPC metadata and HTTP headers are strings: `(error) => error.metadata.get('grpc-retry-pushback-ms')[0]`.
    const policy = retry({
      maxAttempts: 2,
      pushbackOf: () => '100' as never,
      backoff: { initialMs: 50, maxMs: 50 },
      budget: false,
    });
    const operation = ({ attempt }: { attempt: number }) =>
      attempt === 1 ? Promise.reject(unavailable()) : Promise.resolve('ok');
    // Without a deadline the call failed with "delayMs: must be a number of milliseconds", naming
    // an option nobody gave and losing the operation's error.
    const pending = policy.execute(operation);
    await vi.advanceTimersByTimeAsync(60);
    await expect(pending).resolves.toBe('ok');
    // With one, `Date.now() + '100'` concatenated strings, and it gave up at once with DEADLINE_EXCEEDED.
    const withDeadline = policy.execute(operation, { deadline: Date.now() + 10_000 });
    await vi.advanceTimersByTimeAsync(60);
    await expect(withDeadline).resolves.toBe('ok');
  });

  it('does not retry what retryOn rejects (and by default, errors not marked retryable)', async () => {
    let calls = 0;
    const invalid = new SwitchyardError('INVALID_ARGUMENT', 'bad');
    await expect(
      retry().execute(() => {
        calls++;
        return Promise.reject(invalid);
      }),
    ).rejects.toBe(invalid);
    expect(calls).toBe(1);
  });

  it('gives NO_INSTANCES back at once by default (nothing was sent; the caller learns the cause)', async () => {
    vi.useRealTimers(); // were it retried, its backoff must run out rather than wait for the fake clock
    let calls = 0;
    const empty = new NoInstancesError('catalog');
    await expect(
      retry().execute(() => {
        calls++;
        return Promise.reject(empty);
      }),
    ).rejects.toBe(empty);
    expect(calls).toBe(1);
  });

  it('honours server pushback, and stops when the server says not to retry', async () => {
    const pushed = Object.assign(unavailable(), { retryAfterMs: 300 });
    const delays: number[] = [];
    const policy = retry({ maxAttempts: 2, budget: false });
    policy.onRetry((event) => delays.push(event.delayMs));
    const pending = policy.execute(({ attempt }) => (attempt === 1 ? Promise.reject(pushed) : Promise.resolve('ok')));
    await vi.advanceTimersByTimeAsync(299);
    await vi.advanceTimersByTimeAsync(2);
    await expect(pending).resolves.toBe('ok');
    expect(delays).toEqual([300]);

    const refused = Object.assign(unavailable(), { retryAfterMs: -1 });
    let calls = 0;
    await expect(
      retry({ budget: false }).execute(() => {
        calls++;
        return Promise.reject(refused);
      }),
    ).rejects.toBe(refused);
    expect(calls).toBe(1);
  });

  it('never starts an attempt after the deadline, and never outlives it by more than a tick', async () => {
    for (let run = 0; run < 50; run++) {
      const start = Date.now();
      const deadline = start + 500;
      const starts: number[] = [];
      const pending = retry({ maxAttempts: 20, backoff: { initialMs: 50, maxMs: 400 }, budget: false }).execute(
        () => {
          starts.push(Date.now());
          return new Promise((_, reject) => setTimeout(() => reject(unavailable()), 30));
        },
        { deadline },
      );
      let settledAt = 0;
      pending
        .catch(() => {})
        .finally(() => {
          settledAt = Date.now();
        });
      await vi.advanceTimersByTimeAsync(2_000);
      expect(starts.every((at) => at < deadline)).toBe(true);
      expect(settledAt - deadline).toBeLessThanOrEqual(1);
    }
  });

  it('does not start a retry when its backoff timer ran after the deadline (event-loop lag)', async () => {
    const start = Date.now();
    const deadline = start + 150;
    const starts: number[] = [];
    const reasons: string[] = [];
    const policy = retry({ pushbackOf: () => 100, budget: false });
    policy.onGiveUp((event) => reasons.push(event.reason));
    const pending = policy.execute(
      () => {
        starts.push(Date.now());
        return Promise.reject(unavailable());
      },
      { deadline },
    );
    const outcome = expect(pending).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' });
    await vi.advanceTimersByTimeAsync(0); // the first attempt failed; a 100 ms wait is due at +100 < +150
    // The process stalls for 200 ms: the wait's timer and the deadline's are both due, and the
    // wait's (earlier) runs first, at +300.
    vi.setSystemTime(start + 200);
    await vi.advanceTimersByTimeAsync(200);
    await outcome;
    expect(starts.map((at) => at - start)).toEqual([0]); // was [0, 300]: a retry 150 ms past the deadline
    expect(reasons).toEqual(['deadline']);
  });

  it('keeps attempts within 1.2 × requests during a total outage (the budget)', async () => {
    const budget = retryBudget();
    let attempts = 0;
    const requests = 20_000;
    const policy = retry({ maxAttempts: 5, backoff: { initialMs: 0, maxMs: 0 }, budget });
    let refused = 0;
    // 20,000 calls over 10 s of traffic (2,000/s), all failing.
    for (let second = 0; second < 10; second++) {
      const calls = Array.from({ length: requests / 10 }, () =>
        policy
          .execute(() => {
            attempts++;
            return Promise.reject(unavailable());
          })
          .catch((error: unknown) => {
            if (error instanceof RetryBudgetExhaustedError) refused++;
          }),
      );
      await vi.advanceTimersByTimeAsync(1_000);
      await Promise.all(calls);
    }
    expect(attempts / requests).toBeLessThanOrEqual(1.2);
    expect(attempts / requests).toBeGreaterThan(1.1); // the budget is used, not just refused
    expect(refused).toBeGreaterThan(0);
  });

  it('treats a retryOn that throws as "not retryable" and a pushbackOf that throws as no pushback', async () => {
    const failure = unavailable();
    const classifierBug = retry({
      retryOn: (error) => (error as { details: { transient: boolean } }).details.transient,
      backoff: { initialMs: 0, maxMs: 0 },
    });
    const gaveUp: string[] = [];
    classifierBug.onGiveUp(({ reason }) => gaveUp.push(reason));
    // The caller gets the operation's own error (it used to get the classifier's TypeError), and
    // the give-up is reported like any other.
    await expect(classifierBug.execute(() => Promise.reject(failure))).rejects.toBe(failure);
    expect(gaveUp).toEqual(['not-retryable']);

    const pushbackBug = retry({
      pushbackOf: (error) => (error as { headers: { retryAfter: number } }).headers.retryAfter,
      backoff: { initialMs: 0, maxMs: 0 },
    });
    let attempts = 0;
    const call = pushbackBug.execute(() => (++attempts < 2 ? Promise.reject(unavailable()) : 'ok'));
    await vi.runAllTimersAsync();
    await expect(call).resolves.toBe('ok');
    expect(attempts).toBe(2);
  });

  it('takes an initialMs above the default maxMs, which gives way to it; an explicit smaller maxMs is refused, naming it', async () => {
    // Threw "retry.backoff.maxMs: must be an integer from 2000 …, got 1000", naming an option the
    // caller never gave.
    const delays: number[] = [];
    const policy = retry({ maxAttempts: 3, backoff: { initialMs: 2_000 }, budget: false });
    policy.onRetry((event) => delays.push(event.delayMs));
    const pending = policy.execute(() => Promise.reject(unavailable()));
    const outcome = expect(pending).rejects.toMatchObject({ code: 'RETRY_EXHAUSTED' });
    await vi.advanceTimersByTimeAsync(10_000);
    await outcome;
    expect(delays).toHaveLength(2);
    for (const delay of delays) expect(delay).toBeLessThanOrEqual(2_000); // capped at initialMs
    expect(() => retry({ backoff: { initialMs: 2_000, maxMs: 1_000 } })).toThrow(
      /retry.backoff.maxMs: must be an integer from 2000/,
    );
  });

  it('rejects bad options naming them', () => {
    expect(() => retry({ maxAttempts: 0 })).toThrow(/retry.maxAttempts: must be an integer from 1/);
    expect(() => retry({ backoff: { initialMs: -5 } })).toThrow(/retry.backoff.initialMs/);
    expect(() => retry({ tries: 3 } as never)).toThrow(/retry.tries: unknown option/);
    expect(() => retryBudget({ ratio: 1.5 })).toThrow(/retryBudget.ratio: must be a number from 0 to 1/);
    expect(() => retryBudget({ windowMs: -1 })).toThrow(/retryBudget.windowMs/);
  });
});
