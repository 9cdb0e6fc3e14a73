import { afterEach, describe, expect, it, vi } from 'vitest';
import { coarseNow } from './coarse-clock.js';

/** A few ms of staleness is the coarse clock's contract; a clock left behind is seconds or years off. */
const CLOSE_MS = 10;

describe('coarseNow across a test suite changing clocks', () => {
  afterEach(() => vi.useRealTimers());

  it('follows a fake clock installed while it ran on the real one, jumps included', () => {
    coarseNow();
    vi.useFakeTimers({ now: Date.UTC(2020, 0, 1) });
    expect(coarseNow()).toBe(Date.UTC(2020, 0, 1));
    vi.advanceTimersByTime(1_500);
    expect(Math.abs(coarseNow() - Date.now())).toBeLessThanOrEqual(CLOSE_MS);
  });

  it('follows the real clock again once the fake one is gone', async () => {
    vi.useFakeTimers({ now: Date.UTC(2020, 0, 1) });
    coarseNow();
    vi.useRealTimers();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(Math.abs(coarseNow() - Date.now())).toBeLessThanOrEqual(CLOSE_MS);
  });

  it('follows a second fake clock after the first was uninstalled', () => {
    vi.useFakeTimers({ now: Date.UTC(2020, 0, 1) });
    coarseNow();
    vi.useRealTimers();
    vi.useFakeTimers({ now: Date.UTC(2021, 0, 1) });
    coarseNow();
    vi.advanceTimersByTime(1_500);
    expect(Math.abs(coarseNow() - Date.now())).toBeLessThanOrEqual(CLOSE_MS);
    // One interval, this clock's: the ones before were stopped, not left ticking.
    expect(vi.getTimerCount()).toBe(1);
  });
});
