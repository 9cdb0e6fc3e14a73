/**
 * Absolute deadlines, in milliseconds on the `Date.now()` clock. An absolute deadline travels
 * unchanged through every policy and hop of a call; each stage derives what time is left from it,
 * so stacked timeouts can never add up to more than the caller allowed.
 */
import { DeadlineExceededError } from '../errors/deadline-exceeded-error.js';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { describeValue } from '../validation/assert.js';

/** A deadline far enough away to mean "none". */
export const NO_DEADLINE = Number.POSITIVE_INFINITY;

/**
 * The absolute deadline `timeoutMs` from now (`now` defaults to `Date.now()`).
 * @throws InvalidArgumentError when `timeoutMs` is negative or not a number.
 */
export function deadlineAfter(timeoutMs: number, now = Date.now()): number {
  if (typeof timeoutMs !== 'number' || Number.isNaN(timeoutMs) || timeoutMs < 0) {
    throw new InvalidArgumentError('timeoutMs', `must be a number >= 0, got ${describeValue(timeoutMs)}`);
  }
  return now + timeoutMs;
}

/**
 * Milliseconds left before `deadline` (0 when passed; Infinity for no deadline), as of `now`
 * (default `Date.now()`).
 * @throws InvalidArgumentError when `deadline` is not a number (NaN included).
 */
export function remainingMs(deadline: number, now = Date.now()): number {
  assertDeadline(deadline);
  return Math.max(0, deadline - now);
}

/**
 * The earlier of two deadlines (`undefined` means none).
 * @throws InvalidArgumentError when either is neither `undefined` nor a number (NaN included).
 */
export function earliestDeadline(a: number | undefined, b: number | undefined): number {
  if (a !== undefined) assertDeadline(a);
  if (b !== undefined) assertDeadline(b);
  return Math.min(a ?? NO_DEADLINE, b ?? NO_DEADLINE);
}

/**
 * Asserts an absolute deadline: a number of ms on the `Date.now()` clock (±Infinity allowed), never
 * NaN. A NaN one (`Date.parse` of a bad header, `Date.now() + undefined`) compared as neither passed
 * nor pending: a signal scoped to it aborted after 1 ms, a sleep of NaN ended after 1 ms, and the
 * arithmetic here passed it on, each reading as a time-out rather than the bad input it was.
 */
export function assertDeadline(deadline: unknown, field = 'deadline'): asserts deadline is number {
  if (typeof deadline !== 'number' || Number.isNaN(deadline)) {
    throw new InvalidArgumentError(field, `must be an absolute time in ms (a number), got ${describeValue(deadline)}`);
  }
}

/**
 * Throws {@link DeadlineExceededError} when `deadline` has passed, and InvalidArgumentError
 * (`deadline`) when it is not a number (NaN compared false, so the work ran with no deadline).
 * `now` defaults to `Date.now()`.
 */
export function throwIfDeadlinePassed(deadline: number, now = Date.now()): void {
  assertDeadline(deadline);
  if (now >= deadline) throw new DeadlineExceededError();
}
