import { InvalidArgumentError, type RouteRule, type ServiceInstance } from '@switchyard/core';

/**
 * Refuses a rule that could not work right now: a service with no live instance (probably a typo),
 * or a version with a positive weight that no live instance runs.
 */
export function checkRouteAgainst(service: string, rule: RouteRule, instances: readonly ServiceInstance[]): void {
  if (instances.length === 0) throw new InvalidArgumentError('service', `"${service}" has no live instance to route`);
  const versions = new Set(instances.map((instance) => instance.version));
  for (const [version, weight] of Object.entries(rule.splits)) {
    if (weight > 0 && !versions.has(version)) {
      throw new InvalidArgumentError(
        `rule.splits.${version}`,
        `no live instance of ${service} runs version ${version}; live versions: ${[...versions].filter(Boolean).join(', ') || 'none'}`,
      );
    }
  }
}
