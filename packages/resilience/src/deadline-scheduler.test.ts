import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AttemptContext } from './call-context.js';
import { cancelDeadline, pendingDeadlineTimers, scheduleDeadline } from './deadline-scheduler.js';
import { policyFromSteps } from './policy.js';

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

  it('fires the rest of a millisecond when an entry, firing, cancels the next one due then', async () => {
    vi.useFakeTimers({ now: 3_000_000 });
    const before = pendingDeadlineTimers();
    const fired: string[] = [];
    scheduleDeadline(3_000_010, () => fired.push('a'));
    const cancelled = scheduleDeadline(3_000_010, () => fired.push('b'));
    scheduleDeadline(3_000_010, () => {
      fired.push('c');
      cancelDeadline(cancelled);
    });
    await vi.advanceTimersByTimeAsync(10);
    expect(fired.sort()).toEqual(['a', 'c']); // was ['b', 'c']: 'b' ran though cancelled, 'a' never did
    expect(pendingDeadlineTimers()).toBe(before); // was before - 1
  });

  it("ends every call due in a millisecond when one's deadline cancels another (a fail-fast group)", async () => {
    vi.useFakeTimers({ now: 4_000_000 });
    const policy = policyFromSteps([], 'none');
    const outcomes = new Map<string, string>();
    const untilAborted = ({ signal }: AttemptContext) =>
      new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
    const run = (name: string, promise: Promise<unknown>): void => {
      promise.then(
        () => outcomes.set(name, 'resolved'),
        (error: { code?: string }) => outcomes.set(name, String(error.code)),
      );
    };
    // The deadline of a request, shared by its calls; a group signal cancels the others when one
    // of them gives up (here: when its own deadline aborts it).
    const deadline = Date.now() + 100;
    const group = new AbortController();
    run('other', policy.execute(untilAborted, { deadline }));
    run('grouped', policy.execute(untilAborted, { deadline, signal: group.signal }));
    run(
      'first',
      policy.execute(
        (attempt) => {
          attempt.signal.addEventListener('abort', () => group.abort());
          return untilAborted(attempt);
        },
        { deadline },
      ),
    );
    await vi.advanceTimersByTimeAsync(200);
    expect(Object.fromEntries(outcomes)).toEqual({
      first: 'DEADLINE_EXCEEDED',
      grouped: 'CANCELLED',
      other: 'DEADLINE_EXCEEDED', // was never settled: its deadline never fired
    });
  });
});
