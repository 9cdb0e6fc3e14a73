import { InvalidArgumentError, type RouteRule, type ServiceInstance } from '@switchyard/core';

/**
 * Refuses a rule that could not work right now: a service with no live instance (probably a typo),
 * a version with a positive weight that no live instance runs, or a rule whose traffic would all go
 * to draining instances (see below). `current` is the rule stored now (undefined: none, or one that
 * cannot be read), against which a rollback is recognised.
 *
 * Draining: a rule must send some traffic to a version with an instance that is `up`. Discovery
 * keeps a rule's traffic on the versions it routes to, draining ones included, while any instance
 * of them is left: `{ '1.4.0': 100 }` with 1.4.0's only instance draining sent every call to a
 * process about to exit, and then (once it had gone) the rule to nothing. A version whose instances
 * are all draining may still get a share beside one that is up, since `draining` is also how an
 * instance that is warming up registers (`startService({ ready: false })`): a canary is started at
 * 5 % before it is ready, and discovery gives it nothing until it is up.
 *
 * Rollbacks are never refused for draining: a rule that sends traffic only to versions the current
 * rule already sends some to (it only takes traffic away, e.g. a canary rolled back to 0 % while
 * stable's instances restart) is taken even when all their instances are draining. Refusing it left
 * a failing canary its share, while under the new rule discovery uses the draining stable instance
 * as a last resort and keeps the canary out.
 */
export function checkRouteAgainst(
  service: string,
  rule: RouteRule,
  instances: readonly ServiceInstance[],
  current?: RouteRule,
): void {
  if (instances.length === 0) throw new InvalidArgumentError('service', `"${service}" has no live instance to route`);
  const versions = new Set(instances.map((instance) => instance.version));
  const routed = Object.keys(rule.splits).filter((version) => (rule.splits[version] as number) > 0);
  for (const version of routed) {
    if (!versions.has(version)) {
      throw new InvalidArgumentError(
        `rule.splits.${version}`,
        `no live instance of ${service} runs version ${version}; live versions: ${[...versions].filter(Boolean).join(', ') || 'none'}`,
      );
    }
  }
  const up = new Set(instances.filter((instance) => instance.status === 'up').map((instance) => instance.version));
  if (routed.some((version) => up.has(version))) return;
  const rollback = routed.every(
    (version) =>
      current !== undefined && Object.hasOwn(current.splits, version) && (current.splits[version] as number) > 0,
  );
  if (rollback) return;
  const upVersions = [...up].filter(Boolean).join(', ') || 'none';
  throw new InvalidArgumentError(
    routed.length === 1 ? `rule.splits.${routed[0]}` : 'rule.splits',
    `every live instance of ${service} ${routed.length === 1 ? 'version' : 'versions'} ${routed.join(', ')} is draining (leaving, or not ready yet): the rule would send all traffic to instances that take none; route some to a version with an instance up: ${upVersions}`,
  );
}
