import { assertInteger, DeadlineExceededError } from '@switchyard/core';
import { raceAbort } from './call-context.js';
import { checkOptions } from './options.js';
import { type Policy, policyFromSteps } from './policy.js';

/** Timers may run a millisecond or two before Date.now() reaches their due time. */
const EXPIRY_TOLERANCE_MS = 2;

/** Options for {@link timeout}. */
export interface TimeoutOptions {
  /** Time allowed, from when the call reaches this policy. Tightens (never extends) the deadline. */
  ms: number;
}

/**
 * Bounds the time of everything inside it: the deadline becomes the earlier of the incoming one and
 * now + `ms`; when it passes, the inner attempt's signal aborts and the call rejects with
 * DEADLINE_EXCEEDED at once, without waiting for the operation to notice.
 * Put one outermost (whole call, retries included) and, if wanted, one innermost (per attempt).
 * A timeout tighter than the call's deadline rejects with a *retryable* DEADLINE_EXCEEDED (the
 * call has time left), so a retry() outside it tries again.
 *
 * @throws InvalidArgumentError naming `timeout.ms` when it is missing or not an integer from 0 to
 * 2,147,483,647 (or `timeout.<key>` for an unknown option).
 * @example
 * ```ts
 * const policy = compose(timeout({ ms: 2_000 }), retry(), timeout({ ms: 500 })); // whole call, then each attempt
 * ```
 */
export function timeout(options: TimeoutOptions): Policy {
  checkOptions('timeout', options, ['ms']);
  assertInteger('timeout.ms', options?.ms, 0, 2_147_483_647);
  const { ms } = options;
  return policyFromSteps(
    [
      (context, next) => {
        const now = Date.now();
        const scoped = context.child(context.attempt, now + ms);
        scoped.armDeadline(now);
        // Already expired (ms: 0): fail without running the operation (or taking a probe or a slot).
        // Labelled as its expiry is below: retryable while the call has time left (it was final
        // for ms: 0 only, while the same timeout of 1 ms was retried).
        if (scoped.abortReason !== undefined) {
          const reason = scoped.abortReason;
          scoped.disarm();
          if (scoped.deadline < context.deadline && context.abortReason === undefined) {
            return Promise.reject(
              new DeadlineExceededError(`timed out after ${ms} ms`, { cause: reason, retryable: true }),
            );
          }
          return Promise.reject(reason);
        }
        const raced = raceAbort(scoped, next(scoped), () => scoped.disarm());
        if (scoped.deadline >= context.deadline) return raced;
        // Tighter than the call's deadline: when it fires, the call still has time, so the timeout
        // is retryable (a per-attempt timeout inside retry() used to end the call: the default
        // retryOn retries only retryable errors, and a deadline never was).
        return raced.catch((error: unknown) => {
          // Only this timeout's own expiry is relabelled: a DEADLINE_EXCEEDED that arrives while
          // its time is not yet up is a downstream verdict (a server's own budget ran out) and
          // stays final. The transport enforcing the same deadline may report it a moment before
          // this timer fires, hence the small tolerance.
          const expired = scoped.abortReason !== undefined || Date.now() >= scoped.deadline - EXPIRY_TOLERANCE_MS;
          if (
            expired &&
            context.abortReason === undefined &&
            error instanceof DeadlineExceededError &&
            !error.retryable
          ) {
            throw new DeadlineExceededError(`timed out after ${ms} ms`, { cause: error, retryable: true });
          }
          throw error;
        });
      },
    ],
    `timeout(${ms}ms)`,
  );
}
