import { afterEach, describe, expect, it, vi } from 'vitest';
import { ClockBoundTimeout } from './clock-bound-timeout.js';

describe('ClockBoundTimeout', () => {
  afterEach(() => vi.useRealTimers());

  it('fires once, after its time, and is pending until then', () => {
    vi.useFakeTimers();
    const timeout = new ClockBoundTimeout();
    const fire = vi.fn();
    timeout.arm(fire, 100);
    vi.advanceTimersByTime(99);
    expect([timeout.pending, fire.mock.calls.length]).toEqual([true, 0]);
    vi.advanceTimersByTime(1);
    expect([timeout.pending, fire.mock.calls.length]).toEqual([false, 1]);
    expect(timeout.armed).toBe(false);
  });

  it('is not pending once the fake clock that armed it is gone, and can be armed again', () => {
    vi.useFakeTimers();
    const timeout = new ClockBoundTimeout();
    timeout.arm(() => {}, 100);
    vi.useRealTimers();
    expect(timeout.pending).toBe(false);
    expect(timeout.armed).toBe(true); // what was under way is still under way
    vi.useFakeTimers();
    const fire = vi.fn();
    timeout.arm(fire, 100);
    vi.advanceTimersByTime(100);
    expect(fire).toHaveBeenCalledTimes(1);
  });

  it("replaces an arming on another clock, cancelled with that clock's clearTimeout", async () => {
    const timeout = new ClockBoundTimeout();
    const first = vi.fn();
    timeout.arm(first, 20); // the real clock
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const second = vi.fn();
    timeout.arm(second, 100);
    vi.useRealTimers();
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(first).not.toHaveBeenCalled();
    expect(timeout.pending).toBe(false); // the second's clock is gone
  });

  it('cancels', () => {
    vi.useFakeTimers();
    const timeout = new ClockBoundTimeout();
    const fire = vi.fn();
    timeout.arm(fire, 10);
    timeout.cancel();
    vi.advanceTimersByTime(20);
    expect([timeout.pending, fire.mock.calls.length]).toEqual([false, 0]);
  });
});
