import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { fnv1a } from '../hash/fnv1a.js';
import { INSTANCE_LIMITS } from '../instance/instance-limits.js';
import { assertKnownKeys, assertObject, describeValue } from '../validation/assert.js';

/**
 * A version-weighted traffic split for one service (a canary or gray release): each call first
 * chooses a version with these weights, then the balancer chooses among that version's instances.
 *
 * @example
 * ```ts
 * { splits: { '1.4.0': 95, '1.5.0': 5 } }
 * ```
 */
export interface RouteRule {
  /** Version → percent: integers from 0 to 100 that sum to exactly 100. */
  readonly splits: Readonly<Record<string, number>>;
}

/** At most this many versions in one rule. */
export const MAX_ROUTE_VERSIONS = 16;

/**
 * Checks a route rule and returns a frozen copy. Invalid rules are rejected whole, never applied
 * half-way: weights must be integers 0–100 summing to 100, versions must be valid version strings.
 * `field` (the errors' path root) defaults to `'rule'`.
 * @throws InvalidArgumentError naming the field (e.g. `rule.splits.1.5.0`) and the rule.
 */
export function validateRouteRule(input: unknown, field = 'rule'): RouteRule {
  assertObject(field, input);
  assertKnownKeys(field, input, ['splits']);
  assertObject(`${field}.splits`, input.splits);
  const entries = Object.entries(input.splits);
  if (entries.length === 0) throw new InvalidArgumentError(`${field}.splits`, 'must name at least one version');
  if (entries.length > MAX_ROUTE_VERSIONS)
    throw new InvalidArgumentError(`${field}.splits`, `must name at most ${MAX_ROUTE_VERSIONS} versions`);
  let total = 0;
  const splits: Record<string, number> = {};
  for (const [version, weight] of entries) {
    if (!INSTANCE_LIMITS.versionPattern.test(version)) {
      throw new InvalidArgumentError(
        `${field}.splits.${version.slice(0, 64)}`,
        `version ${INSTANCE_LIMITS.versionRule}`,
      );
    }
    if (typeof weight !== 'number' || !Number.isInteger(weight) || weight < 0 || weight > 100) {
      throw new InvalidArgumentError(
        `${field}.splits.${version}`,
        `must be an integer percent from 0 to 100, got ${describeValue(weight)}`,
      );
    }
    total += weight;
    splits[version] = weight;
  }
  if (total !== 100) throw new InvalidArgumentError(`${field}.splits`, `weights must sum to 100, got ${total}`);
  return Object.freeze({ splits: Object.freeze(splits) });
}

/**
 * Deterministic bucketing: the same id always lands in the same bucket 0..buckets-1 for an experiment
 * (`buckets` defaults to 100: a bucket is a percent).
 * @throws InvalidArgumentError for an `experiment` or `id` that is not a string, or `buckets` not an
 * integer from 1 to 2^32.
 */
export function bucketOf(experiment: string, id: string, buckets = 100): number {
  // Checked: 0 buckets gave NaN, a negative or fractional count a bucket outside 0..buckets-1, and
  // an id that is no string (a user object, a missing id) was bucketed as its text, every such
  // caller in one bucket ('[object Object]', 'undefined').
  assertIds(experiment, id, 'id');
  if (typeof buckets !== 'number' || !Number.isInteger(buckets) || buckets < 1 || buckets > 2 ** 32) {
    throw new InvalidArgumentError('buckets', `must be an integer from 1 to 2^32, got ${describeValue(buckets)}`);
  }
  return fnv1a(`${experiment}\u0000${id}`) % buckets;
}

/** An experiment name and an id must be strings (what they are hashed as). */
function assertIds(experiment: unknown, id: unknown, idField: string): void {
  if (typeof experiment !== 'string') {
    throw new InvalidArgumentError('experiment', `must be a string, got ${describeValue(experiment)}`);
  }
  if (typeof id !== 'string') {
    throw new InvalidArgumentError(idField, `must be a string, got ${describeValue(id)}`);
  }
}

/**
 * Chooses an experiment arm for a user, deterministically: the same user always gets the same arm
 * for a given experiment, and arms get shares of users in proportion to their weights (any finite
 * numbers of 0 or more, at least one above 0; only their ratios count).
 * @throws InvalidArgumentError for bad weights (naming the arm), an `experiment` or `userId` that is
 * not a string (a user object, a missing id: every such user landed in one arm), or no `arms` object.
 *
 * @example
 * ```ts
 * assignArm('reco-ranking-2026-11', userId, { a: 50, b: 50 }) // 'a' or 'b', stable per user
 * ```
 */
export function assignArm(experiment: string, userId: string, arms: Readonly<Record<string, number>>): string {
  assertIds(experiment, userId, 'userId');
  assertObject('arms', arms);
  const entries = Object.entries(arms);
  for (const [arm, weight] of entries) {
    // A negative weight shifted every user past the arms before it ({ a: -100, b: 100, c: 100 }
    // sent everyone to c); NaN or Infinity broke the shares the same way.
    if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0) {
      throw new InvalidArgumentError(`arms.${arm}`, `must be a weight of 0 or more, got ${describeValue(weight)}`);
    }
  }
  let total = entries.reduce((sum, [, weight]) => sum + weight, 0);
  if (entries.length === 0 || !(total > 0))
    throw new InvalidArgumentError('arms', 'must give at least one arm a positive weight');
  // Weights are relative. Finite ones whose sum overflows (two of Number.MAX_VALUE) put the point at
  // Infinity or NaN, below no weight: every user went to the last arm. They are then scaled by the
  // largest, which keeps the shares; sums that fit are used as they are, so no user changes arm.
  let scale = 1;
  if (!Number.isFinite(total)) {
    scale = entries.reduce((largest, [, weight]) => Math.max(largest, weight), 0);
    total = entries.reduce((sum, [, weight]) => sum + weight / scale, 0);
  }
  let point = (bucketOf(experiment, userId, 10_000) / 10_000) * total;
  for (const [arm, weight] of entries) {
    if (point < weight / scale) return arm;
    point -= weight / scale;
  }
  return (entries[entries.length - 1] as [string, number])[0];
}
