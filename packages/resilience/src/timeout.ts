import { assertInteger } from '@switchyard/core';
import { raceAbort } from './call-context.js';
import { checkOptions } from './options.js';
import { type Policy, policyFromSteps } from './policy.js';

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
        return raceAbort(scoped, next(scoped), () => scoped.disarm());
      },
    ],
    `timeout(${ms}ms)`,
  );
}
