import {
  openRedis,
  parseRedisUrl,
  type RedisTarget,
  serviceKeys,
  TTL_LIMITS,
  validateNamespace,
} from '@switchyard/registry';
import { type Cluster, Redis } from 'ioredis';

/** What the registry knows about one instance's lease but the `Registry` interface does not expose. */
export interface LeaseInfo {
  /**
   * The registration's generation (the Redis server time at registration, in µs): what
   * `RedisRegistry.evict(…, { generation })` takes to remove this registration and no later one.
   */
  readonly generation: string;
  /** Time since the registration was made (its generation is the Redis server time at registration). */
  readonly ageMs: number | undefined;
  /** Time until the lease expires unless heartbeated (PTTL of the lease key); 0 if already expired. */
  readonly expiresInMs: number | undefined;
  /**
   * Time since the last heartbeat (or the registration): the lease's TTL, which the lease key holds
   * as its value, minus its PTTL, since every heartbeat resets the key's expiry to the full TTL.
   * Undefined for a lease written by a registry version that stored no TTL there.
   */
  readonly lastHeartbeatAgoMs: number | undefined;
}

/** The lease info of a service's instances, by id (ids without a live entry are absent). */
export type LeaseInfos = ReadonlyMap<string, LeaseInfo>;

/**
 * A read-only look at the Redis key layout of `@switchyard/registry` (`<ns>:{svc}:gens`, the lease
 * keys and their PTTL, the route and canary keys) for what the `Registry` interface does not expose: an
 * instance's age and time until its lease expires, a stored route rule or canary record that is malformed. Only
 * reads (HMGET, GET, PTTL, TIME, PSUBSCRIBE); never writes.
 *
 * Times come from the Redis server clock, like the leases themselves, so a skewed local clock does
 * not distort them. A heartbeat is a bare PEXPIRE that records nothing, but it resets the lease to
 * its full TTL, which the lease key holds as its value: TTL − PTTL is the time since the last one.
 */
export class LeaseInspector {
  private readonly client: Redis | Cluster;
  private subscriber: Redis | undefined;

  private constructor(
    private readonly target: RedisTarget,
    private readonly namespace: string,
  ) {
    this.client = createReadClient(target);
    this.client.on('error', () => undefined); // failures surface as rejected reads, reported as "-"
  }

  /**
   * An inspector for a Redis registry URL; undefined for `memory://` (nothing to inspect).
   * @throws InvalidArgumentError naming `url` (not a string, or not a Redis URL) or `namespace`,
   * before any connection is made. A URL that was not a string used to be a raw TypeError, and a
   * bad namespace was taken as is (its reads found nothing).
   */
  static forUrl(url: string, namespace: string): LeaseInspector | undefined {
    if (typeof url === 'string' && url.startsWith('memory://')) return undefined;
    const target = parseRedisUrl(url);
    return new LeaseInspector(target, validateNamespace(namespace));
  }

  /** Age and expiry of the given instances of a service. Rejects if Redis cannot be read. */
  async leases(service: string, ids: readonly string[]): Promise<LeaseInfos> {
    const result = new Map<string, LeaseInfo>();
    if (ids.length === 0) return result;
    const keys = serviceKeys(this.namespace, service);
    const gensKey = keys.scriptKeys[1];
    const [time, generations] = await Promise.all([this.client.time(), this.client.hmget(gensKey, ...ids)]);
    const nowMs = Number(time[0]) * 1000 + Number(time[1]) / 1000;
    const pipeline = this.client.pipeline();
    const owned: { id: string; generation: string }[] = [];
    ids.forEach((id, index) => {
      const generation = generations[index];
      if (typeof generation === 'string' && /^\d+$/.test(generation)) {
        owned.push({ id, generation });
        pipeline.pttl(keys.lease(id, generation));
        pipeline.get(keys.lease(id, generation));
      }
    });
    const replies = owned.length > 0 ? ((await pipeline.exec()) ?? []) : [];
    owned.forEach(({ id, generation }, index) => {
      const [error, pttl] = replies[2 * index] ?? [new Error('no reply'), undefined];
      const [, value] = replies[2 * index + 1] ?? [undefined, undefined];
      const registeredAtMs = Number(generation) / 1000; // µs → ms; < 2^53, exact enough
      const live = !error && typeof pttl === 'number' && pttl >= 0;
      const ttlMs = leaseTtl(value);
      result.set(id, {
        generation,
        ageMs: Math.max(0, Math.round(nowMs - registeredAtMs)),
        expiresInMs: error || typeof pttl !== 'number' ? undefined : pttl >= 0 ? pttl : pttl === -2 ? 0 : undefined,
        lastHeartbeatAgoMs: live && ttlMs !== undefined ? Math.max(0, ttlMs - (pttl as number)) : undefined,
      });
    });
    return result;
  }

  /**
   * The service's route rule as stored (`<ns>:{svc}:route`, raw text), undefined when there is none.
   * `Registry.getRoute` answers undefined for a stored rule it cannot read (a malformed one, which
   * watchers ignore while keeping the rule they had): this is how the CLI still sees it. Rejects if
   * Redis cannot be read.
   */
  async storedRoute(service: string): Promise<string | undefined> {
    const value = await this.client.get(`${this.namespace}:{${service}}:route`);
    return value === null || value === '' ? undefined : value;
  }

  /**
   * The service's canary record as stored (`<ns>:{svc}:canary`, raw JSON), undefined when there is
   * none. `Registry.getCanary` answers undefined for a stored record it cannot read (written by hand
   * or by a foreign tool), on which every canary controller's start is refused: this is how the CLI
   * still sees it. Rejects if Redis cannot be read.
   */
  async storedCanary(service: string): Promise<string | undefined> {
    const value = await this.client.get(`${this.namespace}:{${service}}:canary`);
    return value === null || value === '' ? undefined : value;
  }

  /**
   * Calls `listener` with the service name of every change message published under the namespace
   * (a hint that a service exists or changed, pushed by Redis). Not available on Cluster, where a
   * pattern subscription sees only one node: returns undefined there.
   */
  async onServiceActivity(listener: (service: string) => void): Promise<(() => Promise<void>) | undefined> {
    if (this.target.kind === 'cluster' || !(this.client instanceof Redis)) return undefined;
    const subscriber = this.client.duplicate();
    subscriber.on('error', () => undefined);
    this.subscriber = subscriber;
    const prefix = `${this.namespace}:{`;
    subscriber.on('pmessage', (_pattern: string, channel: string) => {
      if (channel.startsWith(prefix) && channel.endsWith('}:events')) {
        listener(channel.slice(prefix.length, -'}:events'.length));
      }
    });
    // The namespace pattern allows letters, digits, ".", "_" and "-": nothing to escape for a glob.
    await subscriber.psubscribe(`${this.namespace}:{*}:events`);
    return async () => {
      await subscriber.punsubscribe().catch(() => undefined);
      subscriber.disconnect();
    };
  }

  async close(): Promise<void> {
    this.subscriber?.disconnect();
    this.client.disconnect();
  }
}

/** The TTL a lease key holds as its value, if it holds one (older registries stored the generation). */
function leaseTtl(value: unknown): number | undefined {
  if (typeof value !== 'string' || !/^\d{1,8}$/.test(value)) return undefined;
  const ttlMs = Number(value);
  return ttlMs >= TTL_LIMITS.minMs && ttlMs <= TTL_LIMITS.maxMs ? ttlMs : undefined;
}

function createReadClient(target: RedisTarget): Redis | Cluster {
  return openRedis(target, {
    lazyConnect: false,
    connectTimeout: 2_000,
    commandTimeout: 2_000,
    maxRetriesPerRequest: 1,
    retryStrategy: (times) => Math.min(100 * times, 1_000),
  });
}
