import { describe, expect, it } from 'vitest';
import type { OtlpSendResult } from './otlp-http-send.js';
import { type RetryClock, sendWithRetries } from './retrying-send.js';

/** A clock that only moves when the code under test sleeps, and records every wait. */
function fakeClock(random = 0.5): RetryClock & { waits: number[]; budgets: number[] } {
  let now = 1_000_000;
  const waits: number[] = [];
  return {
    waits,
    budgets: [],
    now: () => now,
    sleep: async (ms) => {
      waits.push(ms);
      now += ms;
    },
    random: () => random,
  };
}

function attempts(results: OtlpSendResult[], budgets: number[]): (timeout: number) => Promise<OtlpSendResult> {
  return async (timeout) => {
    budgets.push(timeout);
    const result = results.shift();
    if (result === undefined) throw new Error('more attempts than expected');
    return result;
  };
}

const RETRYABLE: OtlpSendResult = { status: 'retryable' };
const SUCCESS: OtlpSendResult = { status: 'success' };

describe('sendWithRetries', () => {
  it('retries a retryable result with backoff 1 s × 1.5ⁿ (no jitter at random 0.5) until it succeeds', async () => {
    const clock = fakeClock();
    const result = await sendWithRetries(
      attempts([RETRYABLE, RETRYABLE, RETRYABLE, SUCCESS], clock.budgets),
      60_000,
      clock,
    );
    expect(result).toBe(SUCCESS);
    expect(clock.waits).toEqual([1_000, 1_500, 2_250]);
    // Each attempt gets what is left of the budget.
    expect(clock.budgets).toEqual([60_000, 59_000, 57_500, 55_250]);
  });

  it('stops after five retries and returns the last result', async () => {
    const clock = fakeClock();
    const last: OtlpSendResult = { status: 'retryable', error: new Error('still down') };
    const results = [RETRYABLE, RETRYABLE, RETRYABLE, RETRYABLE, RETRYABLE, last];
    expect(await sendWithRetries(attempts(results, clock.budgets), 600_000, clock)).toBe(last);
    expect(clock.waits).toEqual([1_000, 1_500, 2_250, 3_375, 5_000]);
  });

  it('waits what Retry-After asked for instead of the backoff', async () => {
    const clock = fakeClock();
    await sendWithRetries(
      attempts([{ status: 'retryable', retryInMillis: 3_000 }, SUCCESS], clock.budgets),
      10_000,
      clock,
    );
    expect(clock.waits).toEqual([3_000]);
  });

  it('gives up when the next wait would end past the deadline', async () => {
    const clock = fakeClock();
    const late: OtlpSendResult = { status: 'retryable', retryInMillis: 20_000 };
    expect(await sendWithRetries(attempts([late], clock.budgets), 10_000, clock)).toBe(late);
    expect(clock.waits).toEqual([]);
  });

  it('never retries a failure or a success', async () => {
    const clock = fakeClock();
    const failure: OtlpSendResult = { status: 'failure', error: new Error('400') };
    expect(await sendWithRetries(attempts([failure], clock.budgets), 10_000, clock)).toBe(failure);
    expect(await sendWithRetries(attempts([SUCCESS], clock.budgets), 10_000, clock)).toBe(SUCCESS);
    expect(clock.waits).toEqual([]);
  });

  it('jitters the backoff by at most ±20 %', async () => {
    for (const [random, wait] of [
      [0, 800],
      [1, 1_200],
    ] as const) {
      const clock = fakeClock(random);
      await sendWithRetries(attempts([RETRYABLE, SUCCESS], clock.budgets), 10_000, clock);
      expect(clock.waits).toEqual([wait]);
    }
  });
});
