/** Call outcomes over a sliding window, with O(1) recording and O(1) rates. */
export interface SlidingWindow {
  record(failed: boolean, slow: boolean, now: number): void;
  /** Calls, failures and slow calls currently in the window. */
  totals(now: number): { calls: number; failures: number; slow: number };
  reset(): void;
}

/** The last `size` calls (a ring buffer). */
export function countWindow(size: number): SlidingWindow {
  const outcomes = new Uint8Array(size); // bit 0: recorded, bit 1: failed, bit 2: slow
  let next = 0;
  let calls = 0;
  let failures = 0;
  let slow = 0;
  return {
    record(failed, isSlow) {
      const old = outcomes[next] as number;
      if (old & 1) {
        calls--;
        if (old & 2) failures--;
        if (old & 4) slow--;
      }
      outcomes[next] = 1 | (failed ? 2 : 0) | (isSlow ? 4 : 0);
      calls++;
      if (failed) failures++;
      if (isSlow) slow++;
      next = next + 1 === size ? 0 : next + 1;
    },
    totals: () => ({ calls, failures, slow }),
    reset() {
      outcomes.fill(0);
      next = calls = failures = slow = 0;
    },
  };
}

const BUCKETS = 10;

/** The calls of the last `windowMs`, in 10 buckets. */
export function timeWindow(windowMs: number): SlidingWindow {
  const bucketMs = windowMs / BUCKETS;
  const calls = new Float64Array(BUCKETS);
  const failures = new Float64Array(BUCKETS);
  const slow = new Float64Array(BUCKETS);
  let totalCalls = 0;
  let totalFailures = 0;
  let totalSlow = 0;
  let slot = Math.floor(Date.now() / bucketMs);
  const advance = (now: number): number => {
    const current = Math.floor(now / bucketMs);
    if (current < slot) {
      // The clock stepped back (an NTP step, a test's fake clock set back): the buckets cannot be
      // placed on it, and kept, they would count until the clock caught up again, years for a
      // clock set back years. The window starts over.
      calls.fill(0);
      failures.fill(0);
      slow.fill(0);
      totalCalls = totalFailures = totalSlow = 0;
      slot = current;
    } else if (current > slot) {
      const steps = Math.min(current - slot, BUCKETS);
      for (let step = 1; step <= steps; step++) {
        const index = (slot + step) % BUCKETS;
        totalCalls -= calls[index] as number;
        totalFailures -= failures[index] as number;
        totalSlow -= slow[index] as number;
        calls[index] = failures[index] = slow[index] = 0;
      }
      slot = current;
    }
    return slot % BUCKETS;
  };
  return {
    record(failed, isSlow, now) {
      const index = advance(now);
      calls[index] = (calls[index] as number) + 1;
      totalCalls++;
      if (failed) {
        failures[index] = (failures[index] as number) + 1;
        totalFailures++;
      }
      if (isSlow) {
        slow[index] = (slow[index] as number) + 1;
        totalSlow++;
      }
    },
    totals(now) {
      advance(now);
      return { calls: totalCalls, failures: totalFailures, slow: totalSlow };
    },
    reset() {
      calls.fill(0);
      failures.fill(0);
      slow.fill(0);
      totalCalls = totalFailures = totalSlow = 0;
    },
  };
}
