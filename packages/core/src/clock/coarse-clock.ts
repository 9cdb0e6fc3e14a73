/**
 * A millisecond clock that is cheap to read on hot paths (a variable read instead of `Date.now()`,
 * which costs ~50 ns on some VMs). It ticks every few ms while someone reads it, and stops by
 * itself after a second without reads, so an idle process has no timer; the next read restarts it
 * with an exact time. Use it where a few ms of staleness cannot matter: sliding-window buckets,
 * latency decay, "is the circuit still open"; never for a deadline.
 */
const TICK_MS = 4;
const IDLE_TICKS_BEFORE_STOP = 250;
let current = 0;
/** Stops the running interval, with the `clearInterval` of the clock that started it; undefined when stopped. */
let stopTimer: (() => void) | undefined;
/**
 * The `setInterval` that started the interval. A test suite's fake clock (`vi.useFakeTimers()`)
 * drops its interval when uninstalled, and a real interval goes on under a fake clock without seeing
 * its jumps: either way the clock stopped following `Date.now()` (a breaker's window and an
 * ejection's probation read the time from before the jump), so a change of clocks restarts it.
 */
let armedWith: typeof setInterval | undefined;
let readSinceTick = false;
let idleTicks = 0;
let reads = 0;

/** The current time in ms, at most a few ms old (checked against the real clock every 1,024 reads). */
export function coarseNow(): number {
  if (stopTimer === undefined || armedWith !== setInterval) start();
  // A long synchronous loop starves the interval: every so often, compare with the real clock and
  // catch up.
  else if ((++reads & 1023) === 0) {
    const real = Date.now();
    if (real - current > 2 * TICK_MS || real < current) start();
  }
  readSinceTick = true;
  return current;
}

function start(): void {
  stopTimer?.();
  current = Date.now();
  idleTicks = 0;
  // The clock's own clearInterval: the real one still stops a real interval under a fake clock.
  const clear = clearInterval;
  const interval = setInterval(tick, TICK_MS);
  interval.unref();
  armedWith = setInterval;
  stopTimer = () => clear(interval);
}

function tick(): void {
  current = Date.now();
  if (readSinceTick) {
    readSinceTick = false;
    idleTicks = 0;
  } else if (++idleTicks > IDLE_TICKS_BEFORE_STOP) {
    stopTimer?.();
    stopTimer = undefined;
  }
}
