import { InvalidArgumentError } from '@switchyard/core';
import { type Policy, policyFromSteps } from './policy.js';

/**
 * Composes policies; the first is the outermost. The recommended order (outermost first):
 * tracing, overall `timeout`, `retry`, a fresh pick per attempt (the transports do that), a
 * per-instance `circuitBreaker`, `bulkhead`, a per-attempt `timeout`.
 *
 * @throws InvalidArgumentError naming `compose[i]` for an argument that is not a policy.
 * @example
 * ```ts
 * const policy = compose(timeout({ ms: 2_000 }), retry({ maxAttempts: 3 }), circuitBreaker(), bulkhead({ maxConcurrent: 100 }));
 * ```
 */
export function compose(first: Policy, ...rest: Policy[]): Policy {
  const policies = [first, ...rest];
  policies.forEach((policy, index) => {
    if (!policy || !Array.isArray(policy.steps)) {
      throw new InvalidArgumentError(`compose[${index}]`, 'must be a policy (e.g. retry(), timeout({ ms }))');
    }
  });
  return policyFromSteps(
    policies.flatMap((policy) => policy.steps),
    `compose(${policies.map((policy) => policy.toString()).join(', ')})`,
  );
}
