import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { HEARTBEAT_SLOT_MS, HeartbeatSlots, slotEnd } from './heartbeat-slot.js';

describe('slotEnd', () => {
  it('moves a heartbeat to the end of its slot, never earlier and by less than one slot', () => {
    for (const now of [0, 1, 19.5, 1_234.567, 987_654.3]) {
      for (const delay of [2_700, 2_999.9, 3_000, 3_300]) {
        const end = slotEnd(delay, now);
        expect(end % HEARTBEAT_SLOT_MS).toBe(0);
        expect(end).toBeGreaterThanOrEqual(now + delay);
        expect(end - (now + delay)).toBeLessThan(HEARTBEAT_SLOT_MS);
      }
    }
  });

  it('gives heartbeats scheduled at different moments for nearby times one common slot', () => {
    expect(new Set([slotEnd(3_005, 100.2), slotEnd(2_995, 107.9), slotEnd(2_996.5, 111)])).toEqual(new Set([3_120]));
  });

  it('keeps short delays in shape: the slot is at most a tenth of the delay, none below 20 ms', () => {
    expect(slotEnd(50, 3) - 3).toBeLessThan(50 + 5);
    expect(slotEnd(15, 3.3)).toBe(18.3);
  });
});

describe('HeartbeatSlots', () => {
  it('runs every beat of a slot from one timer callback, one after another', async () => {
    const slots = new HeartbeatSlots();
    const log: string[] = [];
    // Just past a slot boundary, so that all thirty fall in one slot, wherever the clock is.
    const start = Math.ceil(performance.now() / HEARTBEAT_SLOT_MS) * HEARTBEAT_SLOT_MS + 1;
    for (let n = 0; n < 30; n++) {
      // Due anywhere within one 20 ms slot, scheduled at slightly different moments.
      slots.schedule(
        200 + (n % 15),
        () => {
          log.push('beat');
          // Queued by the first beat: it runs only once the whole slot has run.
          if (n === 0) queueMicrotask(() => log.push('microtask'));
        },
        start + (n % 3) * 0.3,
      );
    }
    expect(slots.pending).toBeLessThanOrEqual(2);
    await sleep(260);
    const firstMicrotask = log.indexOf('microtask');
    // Those of the first beat's slot all ran before its microtask: same callback.
    expect(firstMicrotask).toBeGreaterThanOrEqual(15);
    expect(log.filter((entry) => entry === 'beat')).toHaveLength(30);
    expect(slots.pending).toBe(0);
  });

  it('cancels one beat without touching the others, and drops the timer with the last one', async () => {
    const slots = new HeartbeatSlots();
    const ran: number[] = [];
    // One clock reading for the three: read one by one, a busy machine could put them either side
    // of a slot boundary (two timers pending, which failed this test once in CI).
    const now = performance.now();
    const cancels = [1, 2, 3].map((n) => slots.schedule(100, () => ran.push(n), now));
    cancels[1]?.();
    expect(slots.pending).toBe(1);
    await sleep(140);
    expect(ran).toEqual([1, 3]);

    const only = slots.schedule(100, () => ran.push(4));
    expect(slots.pending).toBe(1);
    only();
    expect(slots.pending).toBe(0);
    await sleep(140);
    expect(ran).toEqual([1, 3]);
  });

  it('runs the same function twice when it was scheduled twice, and a throwing beat costs no other', async () => {
    const slots = new HeartbeatSlots();
    let count = 0;
    const beat = () => {
      count++;
    };
    slots.schedule(100, beat);
    slots.schedule(100, beat);
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => uncaught.push(error);
    process.prependListener('uncaughtException', onUncaught);
    try {
      slots.schedule(100, () => {
        throw new Error('beat failed');
      });
      slots.schedule(100, beat);
      await sleep(140);
    } finally {
      process.removeListener('uncaughtException', onUncaught);
    }
    expect(count).toBe(3);
    expect(uncaught).toHaveLength(1);
  });
});

describe('HeartbeatSlots across a test suite changing clocks', () => {
  afterEach(() => vi.useRealTimers());

  it('runs a beat that falls in the slot of one whose timer a fake clock took away', () => {
    // A test suite's fake clock (vi.useFakeTimers) drops its pending timers when uninstalled, and
    // each fake clock starts performance.now() at 0: the next one's beats fall in the same slots.
    const slots = new HeartbeatSlots();
    vi.useFakeTimers();
    const abandoned = slots.schedule(1_000, () => {});
    vi.useRealTimers();
    vi.useFakeTimers();
    const beat = vi.fn();
    slots.schedule(1_000, beat);
    vi.advanceTimersByTime(2_000);
    expect(beat).toHaveBeenCalledTimes(1);
    expect(slots.pending).toBe(0);
    abandoned();
  });

  it('runs each beat of a slot once when the timer of the clock that armed it still runs', async () => {
    // Armed on the real clock, joined under a fake one: both timers fire, the beats run once, and
    // the old timer leaves a newer slot at the same time alone.
    const slots = new HeartbeatSlots();
    const now = performance.now();
    const first = vi.fn();
    slots.schedule(50, first, now);
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const second = vi.fn();
    slots.schedule(50, second, now);
    vi.advanceTimersByTime(100);
    expect([first.mock.calls.length, second.mock.calls.length]).toEqual([1, 1]);
    const third = vi.fn();
    slots.schedule(50, third, now);
    vi.useRealTimers();
    await sleep(100);
    expect([first.mock.calls.length, second.mock.calls.length, third.mock.calls.length]).toEqual([1, 1, 0]);
    expect(slots.pending).toBe(1);
  });
});
