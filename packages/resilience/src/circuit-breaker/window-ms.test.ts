import { SwitchyardError } from '@switchyard/core';
import { circuitBreaker } from '@switchyard/resilience';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';

// A file of its own: the coarse clock that time windows read starts under this file's fake timers.
beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

const fail = () => Promise.reject(new SwitchyardError('UNAVAILABLE', 'down', { retryable: true }));

it('takes windowMs as the time window, as ARCHITECTURE.md writes it (circuitBreaker({ windowMs: 10_000 }))', async () => {
  const breaker = circuitBreaker({ windowMs: 1_000, minimumCalls: 2, failureRateThreshold: 0.5, openMs: 1_000 });
  await breaker.execute(fail).catch(() => {});
  await vi.advanceTimersByTimeAsync(1_500); // out of a 1 s window (the default 10 s one would keep it)
  await breaker.execute(fail).catch(() => {});
  expect(breaker.state()).toBe('closed'); // one call in the window: below minimumCalls
  await breaker.execute(fail).catch(() => {});
  expect(breaker.state()).toBe('open');
});

it('refuses windowMs together with window, and a windowMs out of range, naming it', () => {
  expect(() => circuitBreaker({ windowMs: 1_000, window: { size: 10 } })).toThrow(
    /circuitBreaker.windowMs: give windowMs or window, not both/,
  );
  expect(() => circuitBreaker({ windowMs: 0 })).toThrow(/circuitBreaker.windowMs: /);
});

it('refuses a window with both size and windowMs, naming it (windowMs was silently ignored)', () => {
  expect(() => circuitBreaker({ window: { size: 10, windowMs: 1_000 } as never })).toThrow(
    /circuitBreaker.window: give size \(a count window\) or windowMs \(a time window\), not both/,
  );
});

it('takes a window whose other member is given as undefined, as its optional type allows', async () => {
  // What `window: { size: config.size, windowMs: config.windowMs }` passes with one of them unset:
  // both were refused ("not both", or "window.size: must be an integer …, got undefined").
  const counted = circuitBreaker({ window: { size: 2, windowMs: undefined }, openMs: 1_000 });
  expect(String(counted)).toContain('minimumCalls=2'); // gave way to the size, as for { size: 2 }
  for (let i = 0; i < 2; i++) await counted.execute(fail).catch(() => {});
  expect(counted.state()).toBe('open');
  const timed = circuitBreaker({ window: { windowMs: 1_000, size: undefined } });
  expect(String(timed)).toContain('minimumCalls=20'); // a time window: the default stands
});
