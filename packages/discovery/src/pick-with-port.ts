import { type PickArgs, NoInstancesError, type ServiceInstance } from '@switchyard/core';
import type { Discovery, Lease } from './discovery.js';

/**
 * An internal method of the discoveries createDiscovery makes (not of the Discovery interface):
 * a lease on a random instance among those a pick would choose from that `usable` accepts, or
 * undefined. pickUntried's last resort; a Discovery of your own without it is only re-picked.
 * Registered (`Symbol.for`): a client that loaded another copy of this package still finds it.
 */
export const PICK_AMONG: unique symbol = Symbol.for('switchyard.discovery.pickAmong') as never;

type PickAmong = (
  args: PickArgs | undefined,
  usable: (instance: ServiceInstance) => boolean,
  acrossZones?: boolean,
) => Lease | undefined;

/**
 * Picks tried past instances without the port: enough to pass every instance of a view once with
 * a rotating balancer, and for a random one to miss a usable instance only when nearly all lack
 * the port (half of them: one call in 2^32). Bounded, as a call that finds none tries them all.
 */
const MIN_PICKS = 32;
const MAX_PICKS = 256;

/**
 * For transports (the gRPC and HTTP clients): picks an instance that has the named `port` the
 * client dials, after the lease `skipped` turned out to be an instance without it. Such an
 * instance is a registration mistake, not a failure: it is passed over without blame (its lease
 * ends `notSent`, so neither outlier detection nor the balancer's latency hears of it) instead of
 * being counted as a failed call, which ejected it after five calls and fed the circuit breaker.
 *
 * The skipped leases stay open until a usable pick is found: held, they count as load, so a
 * load-aware balancer (p2c-ewma, least-outstanding) turns to another instance. Released at once,
 * a portless instance with no load at all was always the cheapest, and p2c picked it again and
 * again. Sticky balancers (maglev, ring-hash) route a key to the same instance every time: that
 * key then fails, naming the port. Where some instances lack the port by design, give discovery
 * `filter: (instance) => instance.ports.grpc !== undefined` so they are never picked at all. Call
 * it only after a pick found no port: it is never on the success path. A pick without a key that
 * finds no instance with the port where the balancer picks (zone preference keeps it in the
 * caller's zone, whose instances all lack the port) takes one of another zone that has it, at random.
 *
 * @example
 * ```ts
 * let lease = discovery.pick(args);
 * if (lease.instance.ports.http === undefined) lease = pickWithPort(discovery, args, 'http', lease);
 * ```
 *
 * @throws NoInstancesError naming the port when no instance that has it is to be had (with a
 *   key: when the key's instance lacks it).
 */
export function pickWithPort(discovery: Discovery, args: PickArgs | undefined, port: string, skipped: Lease): Lease {
  const held: Lease[] = [skipped];
  try {
    const picks = Math.min(MAX_PICKS, Math.max(MIN_PICKS, discovery.instances().length + 2));
    for (let pick = 0; pick < picks; pick++) {
      const lease = discovery.pick(args);
      // Own ports only: a port named like an Object method (`constructor`) is not Object's.
      if (Object.hasOwn(lease.instance.ports, port)) return lease;
      held.push(lease);
    }
    // Every pick stayed where zone preference keeps them, and no instance there has the port (the
    // local zone's only instance registered without it, say): an instance of another zone that
    // has it, at random. Without it every call of the zone's clients failed NO_INSTANCES while the
    // other zones could serve them. Not for a key: it routes to one instance (see above).
    const among = (discovery as { [PICK_AMONG]?: PickAmong })[PICK_AMONG];
    if (args?.key === undefined && typeof among === 'function') {
      const lease = among.call(discovery, args, (instance) => Object.hasOwn(instance.ports, port), true);
      if (lease !== undefined) return lease;
    }
  } finally {
    for (const lease of held) lease.done({ ok: false, latencyMs: 0, notSent: true });
  }
  const without = [...new Set(held.map((lease) => `${lease.instance.id} (ports: ${portNames(lease)})`))];
  throw new NoInstancesError(
    discovery.service,
    `no instance with a "${port}" port was found; registered without it: ${without.join(', ')}`,
  );
}

function portNames(lease: Lease): string {
  const names = Object.keys(lease.instance.ports);
  return names.length > 0 ? names.join(', ') : 'none';
}

/**
 * For transports (the gRPC and HTTP clients), on an attempt after a call's first (a retry, or a
 * hedge): a pick that passes over the instances the call already used, while another is to be
 * had. Envoy's `previous_hosts` retry predicate; gRPC's retry design prefers another backend too.
 * Without it a retry went straight back to the instance that had just failed: with a `key`
 * (maglev / ring-hash, and the key-hashed version draw of a canary split) every attempt of a call
 * picked the same instance, so a call on an instance that answers UNAVAILABLE spent its whole
 * retry budget there, and a keyed call on a failing canary was retried on the canary.
 *
 * Passed over: the instances in `tried` (the ones the call's failed attempts used), and with a
 * `key` also the instance the key itself picks: where the call's first attempt went (failed, for a
 * retry; still in flight, for a hedge). An instance without the own port `port` (when given) is
 * passed over too, unblamed, as by {@link pickWithPort}.
 *
 * - Without a key it picks again, a bounded number of times, holding the leases it passes over
 *   (held, they count as load: p2c-ewma and least-outstanding turn elsewhere; rotating and random
 *   balancers reach another instance in turn or by chance). Should the balancer still offer only
 *   passed-over instances (p2c-ewma between two, where one that fails fast stays the cheaper), a
 *   discovery made by createDiscovery hands out another of the same group at random (PICK_AMONG).
 * - With a key it picks again with derived keys (`key`, then `key` + `\u0001` + 1, 2, …): the
 *   same key's retries land on the same alternative in every client, the first of that fixed
 *   sequence not yet tried. A derived key draws the version of a split afresh, by the split's
 *   weights, as any key does: a keyed call that failed on a 5 % canary is retried on stable 95 %
 *   of the time (on another canary instance otherwise), never on the canary instance it failed on
 *   while another is up.
 *
 * When every pick lands on a passed-over instance (all were tried, or a single instance), the call
 * goes where a plain pick sent it: a call never fails for lack of an untried instance. Only the
 * lease returned stays open; the others end `notSent` (no latency, no failure, no version outcome).
 * Costs a call's first attempt nothing: transports call it only from the second attempt on.
 *
 * @example
 * ```ts
 * const lease = context.attempt > 1 ? pickUntried(discovery, args, failedOn, 'grpc') : discovery.pick(args);
 * ```
 */
export function pickUntried(
  discovery: Discovery,
  args: PickArgs | undefined,
  tried: readonly string[] | undefined,
  port?: string,
): Lease {
  const first = discovery.pick(args);
  const key = args?.key;
  const firstId = first.instance.id;
  const usable = (instance: ServiceInstance): boolean =>
    !tried?.includes(instance.id) && (port === undefined || Object.hasOwn(instance.ports, port));
  if (key === undefined && usable(first.instance)) return first;
  // From here the first pick's instance is passed over: tried, without the port, or the key's own.
  const held: Lease[] = [];
  let chosen = first;
  try {
    const picks = Math.min(MAX_PICKS, Math.max(MIN_PICKS, discovery.instances().length + 2));
    for (let pick = 1; pick <= picks; pick++) {
      const lease = discovery.pick(key === undefined ? args : { ...args, key: `${key}\u0001${pick}` });
      if (lease.instance.id !== firstId && usable(lease.instance)) {
        chosen = lease;
        break;
      }
      held.push(lease);
    }
    if (chosen === first) {
      // The balancer kept choosing passed-over instances: p2c-ewma between two, where one that
      // fails fast stays the cheaper however many of its leases are held. Any other will do.
      const among = (discovery as { [PICK_AMONG]?: PickAmong })[PICK_AMONG];
      const lease =
        typeof among === 'function'
          ? among.call(discovery, args, (instance) => instance.id !== firstId && usable(instance))
          : undefined;
      if (lease !== undefined) chosen = lease;
    }
  } catch {
    // A pick that throws here (a custom strategy whose validatePickArgs refuses a derived key) ends
    // the search: the first pick stands, as when none would do.
  } finally {
    // Only the lease handed back stays open.
    for (const lease of held) lease.done({ ok: false, latencyMs: 0, notSent: true });
    if (chosen !== first) first.done({ ok: false, latencyMs: 0, notSent: true });
  }
  return chosen;
}
