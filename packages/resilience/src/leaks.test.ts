import { getEventListeners } from 'node:events';
import { SwitchyardError } from '@switchyard/core';
import { bulkhead, circuitBreaker, compose, pendingDeadlineTimers, retry, timeout } from '@switchyard/resilience';
import { describe, expect, it } from 'vitest';

describe('no leaks', () => {
  it('leaves no listener on a shared long-lived signal and no pending timer after 100,000 calls', async () => {
    const controller = new AbortController();
    const policy = compose(
      timeout({ ms: 5_000 }),
      retry({ maxAttempts: 2, backoff: { initialMs: 0, maxMs: 0 } }),
      circuitBreaker({ minimumCalls: 1_000_000 }),
      bulkhead({ maxConcurrent: 1_000, maxQueue: 1_000 }),
      timeout({ ms: 1_000 }),
    );
    const deadline = Date.now() + 60_000;
    let failures = 0;
    for (let batch = 0; batch < 100; batch++) {
      await Promise.all(
        Array.from({ length: 1_000 }, (_, index) =>
          policy
            .execute(
              ({ signal, attempt }) => {
                // Touch the signal, as a real transport would.
                if (signal.aborted) throw new Error('aborted early');
                return index % 10 === 0 && attempt === 1
                  ? Promise.reject(new SwitchyardError('UNAVAILABLE', 'flaky', { retryable: true }))
                  : Promise.resolve(index);
              },
              { signal: controller.signal, deadline },
            )
            .catch(() => failures++),
        ),
      );
    }
    expect(failures).toBe(0);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    expect(pendingDeadlineTimers()).toBe(0);
  });
});
