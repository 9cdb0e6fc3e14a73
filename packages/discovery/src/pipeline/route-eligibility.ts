import type { RouteRule } from '@switchyard/core';

interface Routable {
  readonly instance: { readonly version?: string | undefined; readonly metadata: Readonly<Record<string, string>> };
}

/**
 * The stage after the filter, before the subset and health: under a route rule, the instances of
 * versions it sends nothing (weight 0, or not named) are left out wherever an instance of a version
 * it sends traffic to is left, in any state (draining, ejected). Health then works among the rule's
 * versions alone, as it would if the others did not exist: a draining stable instance is used as a
 * last resort, an ejected one in panic. Left to the split stage, which drops versions without a
 * healthy instance, a stable version whose only instance drained (a restart) or was ejected had the
 * rule ignored, and the canary rolled back to 0 % for being broken took every call.
 *
 * Judged per track: an A/B arm running no version the rule sends traffic to keeps its instances of
 * versions the rule does not name (its own build, which the rule knows nothing of), but not those of
 * a version it names at 0 % (a canary rolled back): kept, the arm went on taking its track's calls
 * to the rolled-back version. An arm left with no instance falls back on the untracked ones, as a
 * track without instances does. A rule none of whose versions it sends traffic to has an instance
 * here leaves everything in, so traffic never goes nowhere.
 */
export function withinRoute<M extends Routable>(members: readonly M[], rule: RouteRule | undefined): readonly M[] {
  if (rule === undefined) return members;
  const routed = (member: M): boolean => {
    const version = member.instance.version;
    return version !== undefined && Object.hasOwn(rule.splits, version) && (rule.splits[version] as number) > 0;
  };
  // The tracks (as traffic groups read them: '' for none) that have an instance the rule routes to.
  const tracksWithRouted = new Set<string>();
  for (const member of members) if (routed(member)) tracksWithRouted.add(member.instance.metadata.track || '');
  if (tracksWithRouted.size === 0) return members;
  // An instance the rule routes to is kept; so is one of a version it does not name in a track that
  // has none it routes to. There is one kept in some track: a track emptied falls back on it.
  const named = (member: M): boolean => {
    const version = member.instance.version;
    return version !== undefined && Object.hasOwn(rule.splits, version);
  };
  return members.filter(
    (member) => routed(member) || (!named(member) && !tracksWithRouted.has(member.instance.metadata.track || '')),
  );
}
