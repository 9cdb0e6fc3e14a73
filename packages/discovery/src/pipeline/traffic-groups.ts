import { type Endpoint, fnv1a, type PickArgs, type Picker, type RouteRule } from '@switchyard/core';
import { toBound } from '../balancers/fast-random.js';

/** A picker for one traffic group: one version, or all of a track's instances. */
export type BuildPicker<M> = (members: readonly M[]) => Picker;

/** Versions laid out on a line by weight: a point below `cumulative[i]` (and not below the one before) is version i. */
interface VersionLine<P> {
  readonly pickers: readonly P[];
  readonly cumulative: Float64Array;
  readonly total: number;
}

/** The instances that one track's requests go to, split by version when a route rule applies. */
export interface TrafficGroup {
  /** Picks among every instance of the group (no rule, or as a fallback). */
  readonly all: Picker;
  /**
   * When a route rule applies to this group: its versions with instances here (`present`), and
   * every version the rule sends traffic to (`rule`, undefined where none is here), laid out as the
   * rule says. A key's version is drawn on the rule's line, so that a version losing its instances
   * moves only its own keys; a key that lands on a missing one is drawn again among the present.
   */
  readonly split?: { readonly present: VersionLine<Picker>; readonly rule: VersionLine<Picker | undefined> };
}

/** Every group a discovery picks from: untracked requests, and one group per track. */
export interface TrafficGroups {
  readonly untracked: TrafficGroup;
  readonly tracks: ReadonlyMap<string, TrafficGroup>;
}

interface Routable {
  readonly instance: {
    readonly version?: string | undefined;
    readonly metadata: Readonly<Record<string, string>>;
    readonly status?: string;
  };
}

/**
 * Traffic management on top of health: instances labelled with a `track` (metadata) serve only
 * requests of that track (an A/B arm), others serve requests without one; within a group, a route
 * rule splits traffic by version (canary), and the balancer picks within the chosen version.
 * Versions in the rule without instances here get no traffic: a random draw is over the others
 * renormalised, and a key on a missing version is drawn again among them (the others' keys stay);
 * a rule with no version present is ignored, so traffic never goes nowhere.
 */
export function buildTrafficGroups<M extends Routable>(
  pool: readonly M[],
  rule: RouteRule | undefined,
  build: BuildPicker<M>,
): TrafficGroups {
  const untracked: M[] = [];
  const byTrack = new Map<string, M[]>();
  for (const member of pool) {
    const track = member.instance.metadata.track;
    if (track) {
      const list = byTrack.get(track) ?? [];
      list.push(member);
      byTrack.set(track, list);
    } else untracked.push(member);
  }
  const tracks = new Map<string, TrafficGroup>();
  for (const [track, members] of byTrack) tracks.set(track, group(members, rule, build));
  // A fleet where every instance has a track still serves untracked requests, over all of them:
  // those that are up while any is. The pool holds a track's draining instances when none of that
  // track is up (its last resort, see rebuild), which are no one else's.
  let everyone = pool;
  if (untracked.length === 0 && pool.some((member) => member.instance.status !== 'draining')) {
    everyone = pool.filter((member) => member.instance.status !== 'draining');
  }
  return { untracked: group(untracked.length > 0 ? untracked : everyone, rule, build), tracks };
}

function group<M extends Routable>(
  members: readonly M[],
  rule: RouteRule | undefined,
  build: BuildPicker<M>,
): TrafficGroup {
  const all = build(members);
  if (!rule) return { all };
  const present: [Picker, number][] = [];
  const ruled: [Picker | undefined, number][] = [];
  for (const [version, weight] of inVersionOrder(rule.splits)) {
    if (weight <= 0) continue;
    const ofVersion = members.filter((member) => member.instance.version === version);
    const picker = ofVersion.length === 0 ? undefined : build(ofVersion);
    ruled.push([picker, weight]);
    if (picker !== undefined) present.push([picker, weight]);
  }
  if (present.length === 0) return { all };
  return { all, split: { present: line(present), rule: line(ruled) } };
}

function line<P>(entries: readonly [P, number][]): VersionLine<P> {
  const cumulative = new Float64Array(entries.length);
  let total = 0;
  entries.forEach(([, weight], index) => {
    total += weight;
    cumulative[index] = total;
  });
  return { pickers: entries.map(([picker]) => picker), cumulative, total };
}

/** The index of the version whose range holds `point`. */
function versionAt<P>(versions: VersionLine<P>, point: number): number {
  let index = 0;
  while (point >= (versions.cumulative[index] as number)) index++;
  return index;
}

/**
 * A rule's versions in one canonical order (oldest first, by {@link compareVersions}), not the order
 * the rule object names them in. Sticky keys are laid out on the key space version after version:
 * in the rule's own order, the same rule written as `1.5.0=5 1.4.0=95` (an operator) and then as
 * `1.4.0=75 1.5.0=25` (the canary controller's next step) moved every key off the canary, and two
 * clients disagreed on a key's version when one had learnt the rule in another order (a rewrite in
 * another order is no change to a watching client, but is what a client starting later reads).
 */
function inVersionOrder(splits: Readonly<Record<string, number>>): [string, number][] {
  return Object.entries(splits).sort(([a], [b]) => compareVersions(a, b));
}

const VERSION_PART = /(\d+)|(\D+)/g;

/**
 * Orders version strings the way people mostly read them: runs of digits by value (`1.10.0` after
 * `1.9.0`), everything else by code unit. Not semver precedence (a pre-release sorts after its
 * release): what matters is a total, locale-free order, the same in every process.
 */
export function compareVersions(a: string, b: string): number {
  const left = a.match(VERSION_PART) ?? [];
  const right = b.match(VERSION_PART) ?? [];
  for (let index = 0; index < Math.min(left.length, right.length); index++) {
    const x = left[index] as string;
    const y = right[index] as string;
    if (x === y) continue;
    if (/^\d/.test(x) && /^\d/.test(y)) {
      // By value without Number() (a long run loses precision): fewer digits first, then digits.
      const u = x.replace(/^0+/, '');
      const v = y.replace(/^0+/, '');
      if (u.length !== v.length) return u.length - v.length;
      if (u !== v) return u < v ? -1 : 1;
    }
    return x < y ? -1 : 1;
  }
  return left.length - right.length;
}

/** Seeds the key's hash for the version draw apart from the one maglev places keys with. */
const VERSION_KEY_SEED = 0x5bd1e995;
/** Seeds the second draw of a key whose version has no instance here. */
const VERSION_REDRAW_SEED = 0x27d4eb2f;

/**
 * Picks from a group: a version by weight first (when split), then an instance of it. With a `key`
 * the version is drawn from the key's hash, not at random: a sticky key must reach one version
 * (a random draw per pick sent it to a stable instance most times and a canary one the others), and
 * as a later version's share grows, keys already on it stay (the points below its range are kept).
 */
export function pickFromGroup(
  group: TrafficGroup,
  args: PickArgs,
  random: (bound: number) => number,
): Endpoint | undefined {
  const split = group.split;
  if (split) {
    const key = args.key;
    let picker: Picker | undefined;
    if (typeof key === 'string') {
      // On the rule's line: keys of the versions present stay put when another loses its instances
      // (re-laid over the present ones alone, about half of them changed version).
      picker = split.rule.pickers[versionAt(split.rule, toBound(fnv1a(key, VERSION_KEY_SEED), split.rule.total))];
      picker ??=
        split.present.pickers[versionAt(split.present, toBound(fnv1a(key, VERSION_REDRAW_SEED), split.present.total))];
    } else {
      picker = split.present.pickers[versionAt(split.present, random(split.present.total))];
    }
    const chosen = (picker as Picker).pick(args);
    if (chosen) return chosen;
  }
  return group.all.pick(args);
}
