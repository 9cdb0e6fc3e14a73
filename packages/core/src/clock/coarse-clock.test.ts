import { afterEach, describe, expect, it, vi } from 'vitest';
import { coarseNow } from './coarse-clock.js';

/** A few ms of staleness is the coarse clock's contract; a clock left behind is seconds or years off. */
const CLOSE_MS = 10;

describe('coarseNow across a test suite changing clocks', () => {
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it('follows a fake clock installed while it ran on the real one, and each of its steps', () => {
    coarseNow();
    vi.useFakeTimers({ now: Date.UTC(2020, 0, 1) });
    expect(coarseNow()).toBe(Date.UTC(2020, 0, 1));
    // Read between steps, so the clock never idles out and restarts afresh: its interval must run
    // on the fake clock to follow them.
    for (let step = 0; step < 15; step++) {
      vi.advanceTimersByTime(100);
      expect(Math.abs(coarseNow() - Date.now())).toBeLessThanOrEqual(CLOSE_MS);
    }
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
    for (let step = 0; step < 15; step++) {
      vi.advanceTimersByTime(100);
      expect(Math.abs(coarseNow() - Date.now())).toBeLessThanOrEqual(CLOSE_MS);
    }
  });

  it('stops the interval of the clock it leaves, with that clock’s clearInterval', () => {
    // Spies stand in for the real clock's functions: the clock restarts on them, then leaves them.
    const started = vi.spyOn(globalThis, 'setInterval');
    const cleared = vi.spyOn(globalThis, 'clearInterval');
    coarseNow();
    expect(started).toHaveBeenCalledTimes(1);
    const interval = started.mock.results[0]?.value;
    vi.useFakeTimers();
    coarseNow();
    expect(cleared).toHaveBeenCalledWith(interval);
  });
});
