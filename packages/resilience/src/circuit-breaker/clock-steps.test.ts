import { SwitchyardError } from '@switchyard/core';
import { circuitBreaker } from '@switchyard/resilience';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';

// A wall clock can step back: an NTP step on a host, or a test suite's fake clock set to another date.
const LATER = Date.UTC(2030, 0, 1);
const EARLIER = Date.UTC(2020, 0, 1);

beforeEach(() => vi.useFakeTimers({ now: LATER }));
afterEach(() => vi.useRealTimers());

const fail = () => Promise.reject(new SwitchyardError('UNAVAILABLE', 'down', { retryable: true }));
const ok = () => Promise.resolve('ok');

it('an open circuit half-opens after openMs even when the clock stepped back meanwhile', async () => {
  const breaker = circuitBreaker({ minimumCalls: 1, openMs: 1_000, halfOpenCalls: 1 });
  await breaker.execute(fail).catch(() => {});
  expect(breaker.state()).toBe('open');
  vi.setSystemTime(EARLIER);
  await expect(breaker.execute(ok)).rejects.toMatchObject({ code: 'CIRCUIT_OPEN' });
  await vi.advanceTimersByTimeAsync(1_000);
  // Kept "open until" 2030 + 1 s, it rejected every call for ten years.
  await expect(breaker.execute(ok)).resolves.toBe('ok');
  expect(breaker.state()).toBe('closed');
});

it('a time window starts over when the clock steps back, rather than counting until it catches up', async () => {
  const breaker = circuitBreaker({ windowMs: 1_000, minimumCalls: 2, failureRateThreshold: 0.5, openMs: 1_000 });
  await breaker.execute(fail).catch(() => {});
  vi.setSystemTime(EARLIER);
  await vi.advanceTimersByTimeAsync(1_500);
  await breaker.execute(fail).catch(() => {});
  // One failure in the last second: below minimumCalls. Kept, the 2030 one counted for ten years.
  expect(breaker.state()).toBe('closed');
  await breaker.execute(fail).catch(() => {});
  expect(breaker.state()).toBe('open');
});
