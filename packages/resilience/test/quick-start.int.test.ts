/**
 * The README's quick start, run as it is shown (the region between the markers), with a request
 * to follow and an operation that fails once before it answers (so the retry does something).
 */
import { SwitchyardError } from '@switchyard/core';
import { expect, it } from 'vitest';

const request = { signal: new AbortController().signal };
const attemptsSeen: number[] = [];
const fetchProduct = async (id: string, options: { signal: AbortSignal }): Promise<{ id: string }> => {
  attemptsSeen.push(options.signal.aborted ? -1 : attemptsSeen.length + 1);
  // retry() retries errors whose `retryable` is true, as the transports mark a refused connection.
  if (attemptsSeen.length === 1) throw new SwitchyardError('UNAVAILABLE', 'connection refused', { retryable: true });
  return { id };
};

// #region quick-start
import { bulkhead, circuitBreaker, compose, retry, retryBudget, timeout } from '@switchyard/resilience';

const policy = compose(
  timeout({ ms: 2_000 }), // the whole call, retries included
  retry({ maxAttempts: 3, backoff: { initialMs: 25, maxMs: 1_000 }, budget: retryBudget({ ratio: 0.2 }) }),
  circuitBreaker({ failureRateThreshold: 0.5, minimumCalls: 20, openMs: 5_000, halfOpenCalls: 3 }),
  bulkhead({ maxConcurrent: 100, maxQueue: 100 }),
  timeout({ ms: 500 }), // each attempt
);

const product = await policy.execute(({ signal }) => fetchProduct('sku-1', { signal }), {
  signal: request.signal,
  deadline: Date.now() + 3_000,
});
// #endregion quick-start

it('runs the quick start: the first attempt fails, the retry answers', () => {
  expect(product).toEqual({ id: 'sku-1' });
  expect(attemptsSeen).toEqual([1, 2]);
});
