/**
 * Absolute deadlines, in milliseconds on the `Date.now()` clock. An absolute deadline travels
 * unchanged through every policy and hop of a call; each stage derives what time is left from it,
 * so stacked timeouts can never add up to more than the caller allowed.
 */
import { DeadlineExceededError } from '../errors/deadline-exceeded-error.js';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';

/** A deadline far enough away to mean "none". */
export const NO_DEADLINE = Number.POSITIVE_INFINITY;

/**
 * The absolute deadline `timeoutMs` from now.
 * @throws InvalidArgumentError when `timeoutMs` is negative or not a number.
 */
export function deadlineAfter(timeoutMs: number, now = Date.now()): number {
  if (typeof timeoutMs !== 'number' || Number.isNaN(timeoutMs) || timeoutMs < 0) {
    throw new InvalidArgumentError('timeoutMs', `must be a number >= 0, got ${String(timeoutMs)}`);
  }
  return now + timeoutMs;
}

/** Milliseconds left before `deadline` (0 when passed; Infinity for no deadline). */
export function remainingMs(deadline: number, now = Date.now()): number {
  return Math.max(0, deadline - now);
}

/** The earlier of two deadlines (`undefined` means none). */
export function earliestDeadline(a: number | undefined, b: number | undefined): number {
  return Math.min(a ?? NO_DEADLINE, b ?? NO_DEADLINE);
}

/** Throws {@link DeadlineExceededError} when `deadline` has passed. */
export function throwIfDeadlinePassed(deadline: number, now = Date.now()): void {
  if (now >= deadline) throw new DeadlineExceededError();
}
