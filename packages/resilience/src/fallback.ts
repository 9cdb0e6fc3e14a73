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
 * sees the final error after retries and breakers.
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
          if (!on(error)) throw error;
          return handler(error, context);
        }
      },
    ],
    'fallback',
  );
}
