import { InvalidArgumentError } from '@switchyard/core';
import type { AttemptContext } from './call-context.js';
import { answeringOnThrow, checkFunctions, checkOptions } from './options.js';
import { type Policy, policyFromSteps } from './policy.js';

/** Options for {@link fallback}. */
export interface FallbackOptions {
  /** Which errors to replace (one it throws on is not replaced). @default every error */
  on?: (error: unknown) => boolean;
}

/**
 * Replaces a failure with a value: `fallback((error) => cachedProduct)`. Put it outermost, so it
 * sees the final error after retries and breakers. Not run once the call was cancelled or its
 * deadline passed: the caller already has that error, and nothing outlives the deadline.
 *
 * @throws InvalidArgumentError naming `fallback.handler` or `fallback.on` when it is no function, or
 * `fallback.<key>` for an unknown option.
 * @example
 * ```ts
 * const policy = compose(fallback(() => cachedProduct, { on: (error) => SwitchyardError.isInstance(error) }), retry());
 * ```
 */
export function fallback<R>(
  handler: (error: unknown, context: AttemptContext) => R | Promise<R>,
  options: FallbackOptions = {},
): Policy {
  if (typeof handler !== 'function') throw new InvalidArgumentError('fallback.handler', 'must be a function');
  checkOptions('fallback', options, ['on']);
  // Checked here, naming it: a non-function used to fail every call with a TypeError instead.
  checkFunctions('fallback', options, ['on']);
  // An `on` that throws (one reading a field the error lacks) means "not this one": the caller
  // gets the operation's error, as from retry's or hedge's retryOn, not the classifier's TypeError.
  const on = options.on === undefined ? () => true : answeringOnThrow(options.on, false);
  return policyFromSteps(
    [
      async (context, next) => {
        try {
          return await next(context);
        } catch (error) {
          // A call its caller cancelled, or whose own deadline passed, has nobody to answer: the
          // caller already has CANCELLED / DEADLINE_EXCEEDED. Running the handler anyway started
          // its work (often a call to a secondary source) after the deadline, which nothing may
          // outlive, and ran it for a hedge's cancelled loser. An inner timeout tighter than the
          // call aborts only its own attempt, so its DEADLINE_EXCEEDED is still replaced.
          if (context.abortReason !== undefined || !on(error)) throw error;
          return handler(error, context);
        }
      },
    ],
    'fallback',
  );
}
