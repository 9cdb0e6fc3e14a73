/**
 * AbortSignal helpers. They never leave a listener on a long-lived parent signal after the child
 * is disposed: a process that shares one signal across 100,000 calls must not grow.
 */
import { CancelledError } from '../errors/cancelled-error.js';
import { SwitchyardError } from '../errors/switchyard-error.js';
import { DeadlineExceededError } from '../errors/deadline-exceeded-error.js';
import { setLongTimeout } from '../clock/long-timeout.js';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { describeValue } from '../validation/assert.js';
import { assertDeadline, NO_DEADLINE } from './deadline.js';

/** A signal derived from a parent and/or a deadline; call `dispose()` when the operation ends. */
export interface ScopedSignal {
  /** Aborts with a CancelledError (the parent aborted) or a DeadlineExceededError (the deadline passed). */
  readonly signal: AbortSignal;
  /** Removes the listener on the parent and clears the deadline timer. Idempotent. */
  dispose(): void;
}

/**
 * Derives a signal that aborts when `parent` aborts or `deadline` passes, whichever comes first.
 * The reason is a {@link CancelledError} or a {@link DeadlineExceededError}. The timer is `unref`'d.
 * `deadline` defaults to {@link NO_DEADLINE} (the parent alone decides).
 * @throws InvalidArgumentError when `deadline` is not a number (NaN included), or `parent` is not
 * an AbortSignal (`signal`).
 */
export function scopedSignal(parent: AbortSignal | undefined, deadline: number = NO_DEADLINE): ScopedSignal {
  // A fresh signal each time (no timer, no listener: still cheap): one shared never-aborted signal
  // collected every caller's listeners, which it never let go (it never aborts) and which set off
  // Node's MaxListenersExceededWarning past ten calls in flight.
  if (parent == null && deadline === NO_DEADLINE) return { signal: new AbortController().signal, dispose: noop };
  // A NaN deadline is neither passed nor pending: its timer fired after 1 ms, a bogus time-out.
  assertDeadline(deadline);
  const controller = new AbortController();
  if (parent?.aborted) {
    controller.abort(toCancelled(parent.reason));
    return { signal: controller.signal, dispose: noop };
  }
  let cancelTimer: (() => void) | undefined;
  const onParentAbort = (): void => {
    cleanup();
    controller.abort(toCancelled(parent?.reason));
  };
  const cleanup = (): void => {
    cancelTimer?.();
    cancelTimer = undefined;
    parent?.removeEventListener('abort', onParentAbort);
  };
  if (parent != null) addAbortListener(parent, onParentAbort);
  if (deadline !== NO_DEADLINE) {
    const delay = deadline - Date.now();
    if (delay <= 0) {
      cleanup();
      controller.abort(new DeadlineExceededError());
    } else {
      // A long timer: a deadline weeks away must not fire after 1 ms (what setTimeout does past ~24.8 days).
      cancelTimer = setLongTimeout(() => {
        cleanup();
        controller.abort(new DeadlineExceededError());
      }, delay);
    }
  }
  return { signal: controller.signal, dispose: cleanup };
}

/** Throws the signal's reason (as a Switchyard error) when it has aborted. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw toCancelled(signal.reason);
}

/**
 * Normalises an abort reason: a Switchyard CANCELLED or DEADLINE_EXCEEDED error passes through (by
 * its code, so one from another copy of this package too); the `TimeoutError` of
 * `AbortSignal.timeout()` becomes a {@link DeadlineExceededError}; anything else becomes a
 * {@link CancelledError}, with the reason as its cause.
 *
 * Why the timeout case: `{ signal: AbortSignal.timeout(200) }` is the standard way to bound a call,
 * and reporting it as CANCELLED hid it from the breaker (which counts time-outs, not
 * cancellations) and misnamed it in logs and metrics.
 */
export function toCancelled(reason: unknown): Error {
  if (reason instanceof Error) {
    const code = (reason as { code?: unknown }).code;
    if (code === 'DEADLINE_EXCEEDED' || (code === 'CANCELLED' && SwitchyardError.isInstance(reason))) return reason;
    if (reason.name === 'TimeoutError') {
      return new DeadlineExceededError(`deadline exceeded (the call's signal timed out: ${reason.message})`, {
        cause: reason,
      });
    }
  }
  return new CancelledError('operation cancelled', { cause: reason });
}

/**
 * Resolves after `ms` (at once for 0 or less), or rejects early when `signal` aborts. The timer is
 * `unref`'d and the listener removed either way. Rejects with InvalidArgumentError (`ms`) when `ms`
 * is not a number or is NaN: it used to end after 1 ms, as Node's timers read NaN; and (`signal`)
 * when `signal` is not an AbortSignal.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (typeof ms !== 'number' || Number.isNaN(ms)) {
      return reject(new InvalidArgumentError('ms', `must be a number of milliseconds, got ${describeValue(ms)}`));
    }
    if (signal?.aborted) return reject(toCancelled(signal.reason));
    const onAbort = (): void => {
      cancel();
      reject(toCancelled(signal?.reason));
    };
    const cancel = setLongTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    if (signal == null) return;
    try {
      addAbortListener(signal, onAbort);
    } catch (error) {
      cancel();
      reject(error);
    }
  });
}

/**
 * Listens for `signal`'s abort. Anything but an AbortSignal (a plain object, a string) used to
 * throw a raw TypeError ("addEventListener is not a function"), after sleep() had started its
 * timer: it is INVALID_ARGUMENT naming `signal`. Caught, not checked up front: a valid signal
 * pays nothing for it.
 */
function addAbortListener(signal: AbortSignal, listener: () => void): void {
  try {
    signal.addEventListener('abort', listener, { once: true });
  } catch (error) {
    throw new InvalidArgumentError('signal', `must be an AbortSignal, got ${describeValue(signal)}`, { cause: error });
  }
}

function noop(): void {}
