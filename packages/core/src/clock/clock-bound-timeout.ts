/**
 * A one-shot, unref'd timeout that knows the clock it was armed on. A test suite's fake clock
 * (`vi.useFakeTimers()`) drops its pending timers when uninstalled, so code that took "a timer is
 * set" for "it will fire" waited for good: a departed instance's pool never closed, a slow-start
 * ramp stood still. `pending` is true only for a timeout armed on the
 * clock in force, and arming again replaces the one before (cancelled with its own clock's
 * `clearTimeout`; should that clock's timer still run, it does nothing).
 *
 * @example
 * ```ts
 * const close = new ClockBoundTimeout();
 * if (!close.pending) close.arm(() => pool.close(), 30_000); // armed again under a new clock
 * ```
 */
export class ClockBoundTimeout {
  private cancelTimer: (() => void) | undefined;
  private armedWith: typeof setTimeout | undefined;

  /** Armed, on the clock in force, and not fired or cancelled yet. */
  get pending(): boolean {
    return this.cancelTimer !== undefined && this.armedWith === setTimeout;
  }

  /**
   * Armed and not fired or cancelled, on whichever clock: also true for one a fake clock dropped
   * (what was under way is still under way; {@link pending} says whether its timer will run).
   */
  get armed(): boolean {
    return this.cancelTimer !== undefined;
  }

  /** Calls `fire` after `ms`, instead of anything armed before. */
  arm(fire: () => void, ms: number): void {
    this.cancel();
    const clear = clearTimeout;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const cancel = (): void => clear(timer);
    timer = setTimeout(() => {
      if (this.cancelTimer !== cancel) return; // an earlier arming's timer, on another clock
      this.cancelTimer = undefined;
      this.armedWith = undefined;
      fire();
    }, ms);
    // Optional: some fake clocks (under jsdom) hand out numbers.
    timer.unref?.();
    this.cancelTimer = cancel;
    this.armedWith = setTimeout;
  }

  /** Cancels what is armed, if anything. */
  cancel(): void {
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    this.armedWith = undefined;
  }
}
