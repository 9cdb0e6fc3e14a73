import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { describeValue } from '../validation/assert.js';
/** The longest delay a Node timer holds (2^31 − 1 ms, ~24.8 days); a longer one fires after 1 ms. */
export const MAX_TIMER_MS = 2_147_483_647;

/**
 * `setTimeout` for any delay, `unref`'d: one longer than {@link MAX_TIMER_MS} (a deadline weeks
 * away, `Infinity`) re-arms in steps instead of firing at once. Returns what cancels it.
 */
export function setLongTimeout(callback: () => void, delayMs: number): () => void {
  // NaN would fire after 1 ms, as Node reads it: a bogus time-out instead of an error.
  if (typeof delayMs !== 'number' || Number.isNaN(delayMs)) {
    throw new InvalidArgumentError('delayMs', `must be a number of milliseconds, got ${describeValue(delayMs)}`);
  }
  const due = Date.now() + delayMs;
  let timer: NodeJS.Timeout;
  const arm = (): void => {
    const left = due - Date.now();
    timer = left > MAX_TIMER_MS ? setTimeout(arm, MAX_TIMER_MS) : setTimeout(callback, Math.max(0, left));
    timer.unref();
  };
  arm();
  return () => clearTimeout(timer);
}
