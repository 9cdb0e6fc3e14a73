import { assertKnownKeys, assertObject, type RouteRule, SwitchyardError, validateRouteRule } from '@switchyard/core';
import type { SetRouteOptions } from './registry.js';

/**
 * The rule a conditional {@link Registry.setRoute} expects to find (`null`: none), checked, or
 * undefined when the write is unconditional.
 */
export function expectedRouteOf(options: SetRouteOptions | undefined): RouteRule | null | undefined {
  if (options === undefined) return undefined;
  assertObject('options', options);
  assertKnownKeys('options', options, ['expected']);
  const { expected } = options;
  if (expected === undefined || expected === null) return expected;
  return validateRouteRule(expected, 'options.expected');
}

/**
 * Refuses a conditional write when the stored rule is not the expected one: FAILED_PRECONDITION,
 * not retryable (someone else changed the rule: the caller decides again from what is there now).
 * `stored` is the rule as the backend read it ('malformed' matches nothing).
 */
export function checkExpectedRoute(
  service: string,
  expected: RouteRule | null,
  stored: RouteRule | 'malformed' | undefined,
): void {
  if (stored === 'malformed' ? false : sameRule(expected ?? undefined, stored)) return;
  const now =
    stored === 'malformed' ? 'a rule that cannot be read' : stored ? JSON.stringify(stored.splits) : 'no rule';
  const wanted = expected ? JSON.stringify(expected.splits) : 'no rule';
  throw new SwitchyardError(
    'FAILED_PRECONDITION',
    `${service}'s route rule is ${now}, not the ${wanted} expected: it was changed meanwhile; nothing was written`,
    { retryable: false },
  );
}

/** Same versions at the same weights (a version at 0 % is named, so it counts). */
function sameRule(a: RouteRule | undefined, b: RouteRule | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  const versions = Object.keys(a.splits);
  if (versions.length !== Object.keys(b.splits).length) return false;
  return versions.every((version) => a.splits[version] === b.splits[version]);
}
