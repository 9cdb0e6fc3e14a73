/**
 * A millisecond clock that is cheap to read on the hot path: `pick()` reads a variable instead of
 * calling `Date.now()`. It ticks every few ms while at least one discovery holds it; the timer is
 * `unref`'d and stopped when the last holder releases it. Accuracy of ~5 ms is plenty for latency
 * decay with a time constant of seconds.
 */
const TICK_MS = 5;
let current = Date.now();
let holders = 0;
let timer: NodeJS.Timeout | undefined;

/** The coarse current time in ms. */
export function coarseNow(): number {
  return current;
}

/** Starts the clock (reference counted); returns the release function. */
export function holdCoarseClock(): () => void {
  holders++;
  current = Date.now();
  if (!timer) {
    timer = setInterval(() => {
      current = Date.now();
    }, TICK_MS);
    timer.unref();
  }
  let released = false;
  return () => {
    if (released) return;
    released = true;
    holders--;
    if (holders === 0 && timer) {
      clearInterval(timer);
      timer = undefined;
    }
  };
}
