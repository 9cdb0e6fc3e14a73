import { type PickArgs, NoInstancesError } from '@switchyard/core';
import type { Discovery, Lease } from './discovery.js';

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
 * it only after a pick found no port: it is never on the success path.
 *
 * @example
 * ```ts
 * let lease = discovery.pick(args);
 * if (lease.instance.ports.http === undefined) lease = pickWithPort(discovery, args, 'http', lease);
 * ```
 *
 * @throws NoInstancesError naming the port when no pick finds an instance that has it.
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
