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
let timer: NodeJS.Timeout | undefined;
let readSinceTick = false;
let idleTicks = 0;
let reads = 0;

/** The current time in ms, at most a few ms old (checked against the real clock every 1,024 reads). */
export function coarseNow(): number {
  if (timer === undefined) start();
  // A long synchronous loop starves the interval, and a test's fake clock can replace it: every
  // so often, compare with the real clock and catch up.
  else if ((++reads & 1023) === 0) {
    const real = Date.now();
    if (real - current > 2 * TICK_MS || real < current) {
      clearInterval(timer);
      start();
    }
  }
  readSinceTick = true;
  return current;
}

function start(): void {
  current = Date.now();
  idleTicks = 0;
  timer = setInterval(tick, TICK_MS);
  timer.unref();
}

function tick(): void {
  current = Date.now();
  if (readSinceTick) {
    readSinceTick = false;
    idleTicks = 0;
  } else if (++idleTicks > IDLE_TICKS_BEFORE_STOP) {
    clearInterval(timer);
    timer = undefined;
  }
}
