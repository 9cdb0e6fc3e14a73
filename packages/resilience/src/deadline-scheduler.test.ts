import { afterEach, describe, expect, it, vi } from 'vitest';
import { cancelDeadline, pendingDeadlineTimers, scheduleDeadline } from './deadline-scheduler.js';

describe('scheduleDeadline', () => {
  afterEach(() => vi.useRealTimers());

  it('fires a deadline that shares its millisecond with one whose timer a fake clock took away', async () => {
    // A test suite's fake clock (vi.useFakeTimers) drops its pending timers when uninstalled. The
    // bucket such a timer served must not swallow the next deadline due at the same millisecond.
    vi.useFakeTimers({ now: 1_000_000 });
    const abandoned = scheduleDeadline(1_005_000, () => {});
    vi.useRealTimers();
    vi.useFakeTimers({ now: 1_000_000 });
    let fired = 0;
    scheduleDeadline(1_005_000, () => fired++);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(fired).toBe(1);
    cancelDeadline(abandoned);
  });

  it('fires each entry of a shared millisecond once, and counts what is pending', async () => {
    vi.useFakeTimers({ now: 2_000_000 });
    const before = pendingDeadlineTimers();
    const fired: string[] = [];
    scheduleDeadline(2_000_010, () => fired.push('a'));
    const cancelled = scheduleDeadline(2_000_010, () => fired.push('b'));
    scheduleDeadline(2_000_010, () => fired.push('c'));
    cancelDeadline(cancelled);
    cancelDeadline(cancelled);
    expect(pendingDeadlineTimers()).toBe(before + 2);
    await vi.advanceTimersByTimeAsync(10);
    expect(fired.sort()).toEqual(['a', 'c']);
    expect(pendingDeadlineTimers()).toBe(before);
  });
});
