import { SwitchyardError } from '@switchyard/core';
import { compose, fallback, hedge, retry, retryBudget } from '@switchyard/resilience';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

describe('hedge', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('sends a second attempt after delayMs, takes the first answer and cancels the loser', async () => {
    const signals: AbortSignal[] = [];
    const policy = hedge({ delayMs: 50, budget: false });
    const hedges: number[] = [];
    policy.onHedge((event) => hedges.push(event.attempt));
    const pending = policy.execute(({ attempt, signal }) => {
      signals.push(signal);
      return new Promise((resolve) => setTimeout(() => resolve(`attempt ${attempt}`), attempt === 1 ? 500 : 20));
    });
    await vi.advanceTimersByTimeAsync(71);
    await expect(pending).resolves.toBe('attempt 2');
    expect(hedges).toEqual([2]);
    expect(signals[0]?.aborted).toBe(true);
    expect(signals[1]?.aborted).toBe(false);
  });

  it('launches no hedge once the caller has aborted', async () => {
    const policy = hedge({ delayMs: 50, budget: false });
    let attempts = 0;
    const controller = new AbortController();
    const pending = policy.execute(
      () => {
        attempts++;
        return new Promise(() => {});
      },
      { signal: controller.signal },
    );
    const outcome = expect(pending).rejects.toMatchObject({ code: 'CANCELLED' });
    await vi.advanceTimersByTimeAsync(10);
    controller.abort();
    await outcome;
    await vi.advanceTimersByTimeAsync(200);
    expect(attempts).toBe(1);
  });

  it('starts no hedge, and spends no budget, for a call whose operation disallowed hedging', async () => {
    let acquired = 0;
    const budget = { ...retryBudget(), tryAcquireRetry: () => ++acquired > 0 };
    const policy = hedge({ delayMs: 50, maxHedges: 2, budget });
    const hedges: number[] = [];
    policy.onHedge((event) => hedges.push(event.attempt));
    let attempts = 0;
    const pending = policy.execute((context) => {
      attempts++;
      // A request read once (a stream): a second attempt would find it taken.
      context.disallowHedging();
      return new Promise((resolve) => setTimeout(() => resolve('only'), 300));
    });
    await vi.advanceTimersByTimeAsync(301);
    await expect(pending).resolves.toBe('only');
    expect({ attempts, hedges, acquired }).toEqual({ attempts: 1, hedges: [], acquired: 0 });
  });

  it('does not hedge a call that answers before the delay', async () => {
    const policy = hedge({ delayMs: 50, budget: false });
    let attempts = 0;
    await expect(
      policy.execute(() => {
        attempts++;
        return Promise.resolve('fast');
      }),
    ).resolves.toBe('fast');
    expect(attempts).toBe(1);
  });

  it('starts the next hedge at once when an attempt fails retryably, and reports the last error when all fail', async () => {
    let attempts = 0;
    const policy = hedge({ delayMs: 1_000, maxHedges: 2, budget: false });
    const pending = policy.execute(() => {
      attempts++;
      return Promise.reject(new SwitchyardError('UNAVAILABLE', `down ${attempts}`, { retryable: true }));
    });
    await expect(pending).rejects.toThrow('down 3');
    expect(attempts).toBe(3);
  });

  it("settles with the attempt's error when its retryOn throws", async () => {
    // A classifier that expects every error to carry an HTTP response.
    const retryOn = (error: unknown) => (error as { response: { status: number } }).response.status >= 500;
    const policy = hedge({ delayMs: 1_000, budget: false, retryOn });
    let outcome = 'pending';
    policy
      .execute(() => Promise.reject(new Error('socket hang up')))
      .then(
        () => (outcome = 'resolved'),
        (error: Error) => (outcome = error.message),
      );
    await vi.advanceTimersByTimeAsync(5_000); // past the hedge delay too
    expect(outcome).toBe('socket hang up'); // was 'pending' for good (and an unhandled TypeError)
  });

  it('numbers each attempt of a call once, in order, with retry() and hedge() nested either way', async () => {
    // The transports pick an instance not yet tried only for an attempt above 1, and trace the number.
    const down = () => Promise.reject(new SwitchyardError('UNAVAILABLE', 'down', { retryable: true }));
    const noWait = { maxAttempts: 2, backoff: { initialMs: 0, maxMs: 0 }, budget: false } as const;

    // retry() outside hedge(): both attempts of the first round fail, then the retry answers.
    const retryOutside = compose(retry(noWait), hedge({ delayMs: 1_000, budget: false }));
    const outside: number[] = [];
    const answered = retryOutside.execute(({ attempt }) => {
      outside.push(attempt);
      return outside.length < 3 ? down() : 'third';
    });
    await expect(answered).resolves.toBe('third');
    expect(outside).toEqual([1, 2, 3]); // the retry was attempt 1 again

    // hedge() outside retry(): the first attempt is slow, the hedge fails and its retry answers.
    const hedgeOutside = compose(hedge({ delayMs: 50, budget: false }), retry(noWait));
    const inside: number[] = [];
    const pending = hedgeOutside.execute(({ attempt }) => {
      inside.push(attempt);
      if (inside.length === 1) return new Promise((resolve) => setTimeout(() => resolve('slow'), 500));
      return inside.length === 2 ? down() : 'retried';
    });
    await vi.advanceTimersByTimeAsync(60);
    await expect(pending).resolves.toBe('retried');
    expect(inside).toEqual([1, 2, 3]); // the hedge and its retry were both attempt 2
  });

  it('rejects bad options', () => {
    expect(() => hedge({} as never)).toThrow(/hedge: give exactly one of delayMs or percentile/);
    expect(() => hedge({ percentile: 2 })).toThrow(/hedge.percentile/);
  });
});

describe('fallback', () => {
  it('replaces matching failures with a value', async () => {
    const policy = fallback(() => 'cached', { on: (error) => (error as Error).message === 'down' });
    await expect(policy.execute(() => Promise.reject(new Error('down')))).resolves.toBe('cached');
    await expect(policy.execute(() => Promise.reject(new Error('other')))).rejects.toThrow('other');
  });
});
