import { assertKnownKeys, assertObject, InvalidArgumentError } from '@switchyard/core';

/** Validates a policy's options object: a plain object with only known keys (errors name `<policy>.<key>`). */
export function checkOptions(policy: string, options: unknown, known: readonly string[]): Record<string, unknown> {
  if (options === undefined) return {};
  assertObject(policy, options);
  assertKnownKeys(policy, options, known);
  return options;
}

/** Checks that each named option, when given, is a function (errors name `<policy>.<key>`). */
export function checkFunctions(policy: string, options: object, names: readonly string[]): void {
  for (const name of names) {
    const value = (options as Record<string, unknown>)[name];
    if (value !== undefined && typeof value !== 'function') {
      throw new InvalidArgumentError(`${policy}.${name}`, 'must be a function');
    }
  }
}

/** Checks a `budget` option of retry() or hedge(): a retryBudget() (or anything shaped like one), false, or absent. */
export function checkBudget(policy: string, budget: unknown): void {
  if (budget === undefined || budget === false) return;
  const shaped = budget as { recordRequest?: unknown; tryAcquireRetry?: unknown; releaseRetry?: unknown } | null;
  if (
    typeof shaped?.recordRequest !== 'function' ||
    typeof shaped.tryAcquireRetry !== 'function' ||
    (shaped.releaseRetry !== undefined && typeof shaped.releaseRetry !== 'function')
  ) {
    throw new InvalidArgumentError(`${policy}.budget`, 'must be a retryBudget() or false');
  }
}

export { withDefaults } from '@switchyard/core';

/**
 * A user's classifier made safe to call: when it throws (one reading a field the error lacks), the
 * answer is `onThrow`, so the throw can neither replace the operation's error for the caller nor
 * skip the policy's bookkeeping. Classifiers run after a failure only, so this costs the success
 * path nothing.
 */
export function answeringOnThrow<A extends unknown[], R>(classify: (...args: A) => R, onThrow: R): (...args: A) => R {
  return (...args) => {
    try {
      return classify(...args);
    } catch {
      return onThrow;
    }
  };
}
