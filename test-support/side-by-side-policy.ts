import { CancelledError } from '@switchyard/core';
import { createPolicy, type Policy } from '@switchyard/resilience';

/**
 * A policy of a caller's own that runs two attempts side by side and, only once both have settled,
 * returns the first that succeeded (the other is aborted, too late to matter). It makes the tie a
 * hedge can only stumble into deterministic: the attempt passed over has already succeeded when it
 * is dropped, so a transport must close what that attempt opened. Shared by the gRPC and HTTP tests
 * of exactly that.
 */
export const bothThenFirst: Policy = createPolicy(
  [
    async (context, next) => {
      const attempts = [context.child(1), context.child(2)];
      const settled = await Promise.allSettled(attempts.map((attempt) => next(attempt)));
      const taken = settled.findIndex((outcome) => outcome.status === 'fulfilled');
      attempts.forEach((attempt, index) => {
        if (index !== taken) attempt.abort(new CancelledError('not taken'));
      });
      const outcome = settled[taken];
      if (outcome?.status !== 'fulfilled') throw (settled[0] as PromiseRejectedResult).reason;
      return outcome.value;
    },
  ],
  'both, then the first',
);
