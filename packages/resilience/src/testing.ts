/**
 * @switchyard/resilience/testing: policies that run an operation's attempts the way no built-in
 * policy does, for testing a transport's own guards (a request that must not run twice is never
 * sent twice, whatever the policy). Built with {@link createPolicy}, as a policy of one's own is.
 *
 * @example
 * ```ts
 * import { attemptsSideBySide } from '@switchyard/resilience/testing';
 * const client = createGrpcClient({ definition, discovery, policy: attemptsSideBySide(30) });
 * ```
 *
 * @packageDocumentation
 */
import { DeadlineExceededError } from '@switchyard/core';
import { type Policy, policyFromSteps } from './policy.js';

/**
 * Starts a second attempt `afterMs` after the first, whatever became of the first (still out,
 * succeeded or failed), and answers with whichever succeeds first. Unlike `hedge()`, it asks no
 * one whether the call may run twice.
 */
export function attemptsSideBySide(afterMs: number): Policy {
  return policyFromSteps(
    [
      (context, next) => {
        const first = next(context.child(1));
        const second = new Promise((resolve) => setTimeout(resolve, afterMs)).then(() => next(context.child(2)));
        return Promise.any([first, second]);
      },
    ],
    `attemptsSideBySide(${afterMs}ms)`,
  );
}

/**
 * Cuts the first attempt `afterMs` in, if it has not answered, and starts the second in the same
 * breath, with no timer between (unlike `retry()` around `timeout()`): a transport that lets go of
 * a cut attempt only when it settles refuses the second as beside it.
 */
export function cutThenNextAttempt(afterMs: number): Policy {
  return policyFromSteps(
    [
      (context, next) => {
        const first = context.child(1);
        return new Promise((resolve, reject) => {
          let answered = false;
          next(first).then(
            (value) => {
              answered = true;
              resolve(value);
            },
            () => {},
          );
          setTimeout(() => {
            if (answered) return;
            first.abort(new DeadlineExceededError('cut by the policy'));
            next(context.child(2)).then(resolve, reject);
          }, afterMs);
        });
      },
    ],
    `cutThenNextAttempt(${afterMs}ms)`,
  );
}
