/**
 * Redis key layout. Every key of one service carries the hash tag `{service}`, so all of them live
 * in one Cluster slot and every mutation can be one atomic script on standalone, Sentinel and
 * Cluster alike. Values are plain JSON and numbers so an operator can read them with `redis-cli`:
 *
 * ```
 * <ns>:services                  SET   names of services with an instance or a route rule (a vacant one's name is removed)
 * <ns>:{<ns>:services}:indexed   HASH  service name → how often a registration claimed it; same slot as the SET
 *                                      (hash tag = the SET's name), so a name is removed only if unclaimed since checked
 * <ns>:{<service>}:instances     HASH  id → instance JSON
 * <ns>:{<service>}:gens          HASH  id → generation of the registration that owns the id
 * <ns>:{<service>}:lease:<id>:<gen>  STRING the lease's TTL in ms, with that native TTL: the lease itself
 *                                    (TTL − PTTL = time since the last heartbeat, which is a PEXPIRE)
 * <ns>:{<service>}:leases        ZSET  id → lower bound of its lease expiry (ms, server clock)
 * <ns>:{<service>}:tombstones    ZSET  "id|generation" → expiry; ends a generation for good (the key
 *                                      expires with its latest tombstone)
 * <ns>:{<service>}:rev           STRING revision, +1 on every change (gaps reveal missed messages); expires
 *                                      a day after the service is left vacant, unless it changes again
 * <ns>:{<service>}:route         STRING the route rule JSON; '' once cleared (no key: never set, or Redis lost it)
 *                                      ('' expires with a vacant service's revision)
 * <ns>:{<service>}:canary        STRING the canary record JSON (see canary-record.ts): where the service's canary
 *                                      release stands; expires 30 days after its last write
 * <ns>:{<service>}:events        pub/sub channel of change messages
 * <ns>:{<service>}:swept         STRING server time (ms) of the last watcher sweep (a long gap means Redis stalled)
 * <ns>:{<service>}:sweepEvery    STRING the sweeping watchers' interval (ms): a gap over 3 of them is a stall too
 * <ns>:{<service>}:graced        SET   ids whose lease ran out during a stall, waiting one grace period
 * <ns>:{<service>}:stall         STRING for one grace period after a stall was seen: later sweeps grace its backlog too
 * <ns>:{<service>}:sweeper       STRING held for most of a sweep interval by the one watcher sweeping it
 * ```
 */
export interface ServiceKeys {
  /** In script order: instances, gens, leases, tombstones, rev. */
  readonly scriptKeys: readonly [string, string, string, string, string];
  /** `<ns>:{<service>}:instances`: HASH of id → instance JSON. */
  readonly instances: string;
  /** `<ns>:{<service>}:leases`: ZSET of id → lower bound of its lease expiry (ms, server clock). */
  readonly leases: string;
  /** `<ns>:{<service>}:rev`: the service's revision, +1 on every change. */
  readonly rev: string;
  /** `<ns>:{<service>}:events`: the pub/sub channel of change messages. */
  readonly channel: string;
  /** Taken with `SET NX PX` by the watcher that sweeps this interval (see RedisRegistry). */
  readonly sweeper: string;
  /** The lease key of one registration generation. */
  lease(id: string, generation: string): string;
}

/** Keys of one service under a namespace. */
export function serviceKeys(namespace: string, service: string): ServiceKeys {
  const prefix = `${namespace}:{${service}}:`;
  return {
    scriptKeys: [`${prefix}instances`, `${prefix}gens`, `${prefix}leases`, `${prefix}tombstones`, `${prefix}rev`],
    instances: `${prefix}instances`,
    leases: `${prefix}leases`,
    rev: `${prefix}rev`,
    channel: `${prefix}events`,
    sweeper: `${prefix}sweeper`,
    lease: (id, generation) => `${prefix}lease:${id}:${generation}`,
  };
}

/** A key of the registry and the Redis type it holds there (as `TYPE` names it). */
export type KeyType = readonly [key: string, type: 'string' | 'hash' | 'zset' | 'set'];

/**
 * The keys of one service with a fixed name and the type each holds (the lease keys, one per
 * registration, are left out): what a WRONGTYPE reply is checked against to name the culprit.
 */
export function serviceKeyTypes(namespace: string, service: string): readonly KeyType[] {
  const prefix = `${namespace}:{${service}}:`;
  return [
    [`${prefix}instances`, 'hash'],
    [`${prefix}gens`, 'hash'],
    [`${prefix}leases`, 'zset'],
    [`${prefix}tombstones`, 'zset'],
    [`${prefix}rev`, 'string'],
    [routeKey(namespace, service), 'string'],
    [`${prefix}canary`, 'string'],
    [`${prefix}swept`, 'string'],
    [`${prefix}sweepEvery`, 'string'],
    [`${prefix}graced`, 'set'],
    [`${prefix}stall`, 'string'],
    [`${prefix}sweeper`, 'string'],
  ];
}

/** The route rule's key of one service. */
export function routeKey(namespace: string, service: string): string {
  return `${namespace}:{${service}}:route`;
}

/** The set of service names under a namespace. */
export function servicesKey(namespace: string): string {
  return `${namespace}:services`;
}

/**
 * The services index's keys, in script order: the SET of names and the claim counts beside it. The
 * second key's hash tag is the first key's whole name (a namespace has no braces), so both share a
 * Cluster slot and one script can change them together (see INDEX_SERVICE in scripts.ts).
 */
export function serviceIndexKeys(namespace: string): readonly [string, string] {
  return [servicesKey(namespace), `${namespace}:{${servicesKey(namespace)}}:indexed`];
}

/** The service name in a channel name, or undefined for a foreign channel. */
export function serviceOfChannel(namespace: string, channel: string): string | undefined {
  const prefix = `${namespace}:{`;
  if (!channel.startsWith(prefix) || !channel.endsWith('}:events')) return undefined;
  return channel.slice(prefix.length, -'}:events'.length);
}
