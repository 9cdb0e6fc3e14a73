/**
 * Heartbeats of one process fire on a shared grid of time slots rather than each at its own
 * jittered millisecond. Node runs every timer due in the same slot in one pass of its timer
 * loop, and the client's auto-pipelining sends what one pass issued as one write, so a process
 * holding many registrations wakes Redis once per slot instead of once per heartbeat: what Redis
 * spends on a request is mostly per wakeup (read, parse, reply), not the `PEXPIRE` itself.
 */

/** Width of a slot. Delays a heartbeat by less than this; 20 ms is nothing against a lease of seconds. */
export const HEARTBEAT_SLOT_MS = 20;

/**
 * The timer delay that makes a heartbeat due `delayMs` from now fire at the end of its slot. The
 * slot is never wider than a tenth of the delay, so short intervals (tests) keep their shape.
 */
export function slottedDelay(delayMs: number, now: number = performance.now()): number {
  const slot = Math.min(HEARTBEAT_SLOT_MS, Math.floor(delayMs / 10));
  if (slot < 2) return delayMs;
  // Whole milliseconds, as Node's timer loop counts them: timers due on the same slot boundary
  // then share one expiry.
  const start = Math.floor(now);
  return Math.ceil((start + delayMs) / slot) * slot - start;
}
