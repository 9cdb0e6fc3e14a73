/**
 * Heartbeats of one process fire on a shared grid of time slots rather than each at its own
 * jittered millisecond, and every heartbeat that ends up in the same slot is sent from one timer
 * callback. The client's auto-pipelining sends what one callback issued as one write, so a
 * process holding many registrations wakes Redis once per slot instead of once per heartbeat:
 * what Redis spends on a request is mostly per wakeup (read, parse, reply), not the `PEXPIRE`.
 *
 * One timer per slot, not one per heartbeat rounded to the slot: Node's timers run on the event
 * loop's millisecond clock, which is not `performance.now()`, so timers aimed at the same moment
 * from different registrations could still fall into two passes of the timer loop.
 */
import { ClockBoundTimeout } from '@switchyard/core';

/** Width of a slot. Delays a heartbeat by less than this; 20 ms is nothing against a lease of seconds. */
export const HEARTBEAT_SLOT_MS = 20;

/**
 * The end of the slot that a heartbeat due `delayMs` after `now` falls in, as a time on the
 * `performance.now()` clock. The slot is never wider than a tenth of the delay, so short intervals
 * (tests) keep their shape; below 2 ms there is no slot and the due time is returned as it is.
 */
export function slotEnd(delayMs: number, now: number): number {
  const slot = Math.min(HEARTBEAT_SLOT_MS, Math.floor(delayMs / 10));
  const due = now + delayMs;
  return slot < 2 ? due : Math.ceil(due / slot) * slot;
}

interface Slot {
  /**
   * The slot's timer, bound to its clock: a test suite's fake clock (`vi.useFakeTimers()`) drops
   * its pending timers when uninstalled, leaving their slots in the map with no timer to run them;
   * and as each fake clock starts `performance.now()` at 0, a beat scheduled under the next one fell
   * in such a slot and never ran (its registration's lease expired). Such a slot is armed again.
   */
  readonly timer: ClockBoundTimeout;
  readonly due: Set<() => void>;
}

/** The heartbeat slots of this process, shared by every registration of every registry in it. */
export class HeartbeatSlots {
  private readonly slots = new Map<number, Slot>();

  /**
   * Runs `beat` at the end of the slot that `delayMs` from now falls in, together with every other
   * beat of that slot, on an `unref`'d timer. Returns a function that cancels it.
   */
  schedule(delayMs: number, beat: () => void, now: number = performance.now()): () => void {
    const end = slotEnd(delayMs, now);
    let slot = this.slots.get(end);
    if (slot === undefined) {
      slot = { timer: new ClockBoundTimeout(), due: new Set() };
      this.slots.set(end, slot);
    }
    if (!slot.timer.pending) {
      const armed = slot;
      armed.timer.arm(() => this.fire(armed, end), Math.max(0, end - now));
    }
    // A wrapper per call: the same function scheduled twice must run twice.
    const entry = (): void => beat();
    slot.due.add(entry);
    const scheduled = slot;
    return () => {
      if (!scheduled.due.delete(entry) || scheduled.due.size > 0) return;
      scheduled.timer.cancel();
      if (this.slots.get(end) === scheduled) this.slots.delete(end);
    };
  }

  /** Slots with a timer pending (for tests). */
  get pending(): number {
    return this.slots.size;
  }

  private fire(slot: Slot, end: number): void {
    // The slot now under its time, if any, may be a newer one.
    if (this.slots.get(end) === slot) this.slots.delete(end);
    for (const beat of slot.due) {
      slot.due.delete(beat);
      try {
        beat();
      } catch (error) {
        // One failing beat must not cost the others theirs; the error surfaces as a timer's would.
        process.nextTick(() => {
          throw error;
        });
      }
    }
  }
}

/** The one instance every registration in the process uses. */
export const heartbeatSlots = new HeartbeatSlots();
