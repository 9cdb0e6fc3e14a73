import {
  assertInteger,
  assertKnownKeys,
  assertLogger,
  assertObject,
  type Disposable,
  InvalidArgumentError,
  type InstanceInput,
  type Logger,
  type RouteRule,
  type ServiceInstance,
  silentLogger,
  SwitchyardError,
  validateInstance,
  validateInstanceId,
  validateRouteRule,
  validateServiceName,
  withDefaults,
} from '@switchyard/core';
import { Redis, type RedisOptions } from 'ioredis';
import { RegistryClosedError } from '../closed.js';
import { assertListener, resolveRegisterOptions, validateNamespace } from '../options.js';
import {
  CANARY_RECORD_TTL_MS,
  type CanaryRecord,
  type CanaryRecordInput,
  type CanaryRecordWrite,
  canaryPreconditionFailed,
  decodeCanaryRecord,
  expectedCanaryOf,
  validateCanaryInput,
} from '../canary-record.js';
import { checkRouteAgainst } from '../route-check.js';
import type { RegisterOptions, Registration, Registry, RegistryListener, SetRouteOptions } from '../registry.js';
import { checkExpectedRoute, expectedRouteOf } from '../route-expectation.js';
import { parseRedisUrl, type RedisTarget, redactUrl } from './connection-url.js';
import { createClient } from './create-client.js';
import { RegistryDataError, WRONG_TYPE_SUMMARY } from './data-error.js';
import { decodeInstance, decodeRoute } from './decode.js';
import {
  type KeyType,
  routeKey,
  type ServiceKeys,
  serviceIndexKeys,
  serviceKeys,
  serviceKeyTypes,
  serviceOfChannel,
  servicesKey,
} from './keys.js';
import {
  corruptData,
  describeRedisError,
  outOfMemory,
  RedisConnection,
  type RegistryOperation,
} from './redis-connection.js';
import { RedisRegistration, type RegistrationContext } from './redis-registration.js';
import { RedisScripts, type ServiceState } from './redis-scripts.js';
import { ServiceWatch } from './service-watch.js';
import { WarnOnce } from './warn-once.js';

/** Options for {@link RedisRegistry}. */
export interface RedisRegistryOptions {
  /** `redis://`, `rediss://`, `redis-sentinel://` or `redis-cluster://` URL. */
  url: string;
  /** First segment of every key and channel. @default 'switchyard' */
  namespace?: string;
  /** @default silentLogger */
  logger?: Logger;
  /** Lease length when `register()` is not given one. @default 10_000 */
  defaultTtlMs?: number;
  /** Heartbeat period; never more than a third of a registration's TTL. @default ttlMs / 3 */
  heartbeatIntervalMs?: number;
  /** How often watchers remove expired entries (bounds how late `down/expired` can be). @default 500 */
  sweepIntervalMs?: number;
  /** How often watchers compare revisions to repair a missed message. @default 5_000 */
  resyncIntervalMs?: number;
  /** Per-command timeout: a hung Redis fails calls after this long. @default 1_000 */
  commandTimeoutMs?: number;
  /** How long the first connection may take before calls fail. @default 2_000 */
  connectTimeoutMs?: number;
  /** How long a deregistered or replaced generation stays barred from writing itself back. @default 86_400_000 */
  tombstoneTtlMs?: number;
  /** Extra ioredis options, e.g. `{ tls: { ca } }` for `rediss://` with a private CA. @default none */
  redisOptions?: RedisOptions;
}

/** Defaults of {@link RedisRegistryOptions}. */
export const DEFAULT_REDIS_REGISTRY_OPTIONS = Object.freeze({
  namespace: 'switchyard',
  defaultTtlMs: 10_000,
  sweepIntervalMs: 500,
  resyncIntervalMs: 5_000,
  commandTimeoutMs: 1_000,
  connectTimeoutMs: 2_000,
  tombstoneTtlMs: 86_400_000,
});

/** How many times setRoute() checks a rule again after the service changed under its write. */
const SET_ROUTE_ATTEMPTS = 5;

/** Due index entries one sweep script handles (≈ 7 µs each on the server). */
const SWEEP_BATCH = 200;
/** Batches per sweep tick: up to 10,000 entries per tick per watcher. */
const MAX_SWEEP_BATCHES = 50;
/**
 * A sweep turn lasts this share of the sweep interval: shorter than the shortest jittered tick
 * (0.8 × interval), so the next tick of any watcher finds it free.
 */
const SWEEP_TURN_SHARE = 0.7;
/** And never longer than this, so a watcher configured to sweep rarely cannot hold the others off. */
const MAX_SWEEP_TURN_MS = 350;

export const OPTION_KEYS = [
  'url',
  'namespace',
  'logger',
  'defaultTtlMs',
  'heartbeatIntervalMs',
  'sweepIntervalMs',
  'resyncIntervalMs',
  'commandTimeoutMs',
  'connectTimeoutMs',
  'tombstoneTtlMs',
  'redisOptions',
] as const;

/**
 * The Redis-backed {@link Registry}: leases on the Redis server clock, one-round-trip heartbeats
 * that write a vanished entry back, atomic Lua mutations, pushed changes with revision-checked
 * resync, and fast `REGISTRY_UNAVAILABLE` failures during outages with recovery by itself.
 * Works the same on standalone Redis, Sentinel and Cluster (all keys of a service share one slot).
 *
 * @example
 * ```ts
 * const registry = new RedisRegistry({ url: 'redis://127.0.0.1:6379' });
 * const registration = await registry.register({ service: 'catalog', host: '10.0.0.7', ports: { grpc: 50051 } });
 * const stop = await registry.watch('catalog', (event) => console.log(event.type));
 * ```
 */
export class RedisRegistry implements Registry {
  private readonly options: Required<Omit<RedisRegistryOptions, 'heartbeatIntervalMs' | 'redisOptions'>> &
    Pick<RedisRegistryOptions, 'heartbeatIntervalMs' | 'redisOptions'>;
  private readonly target: RedisTarget;
  private readonly label: string;
  private readonly logger: Logger;
  private readonly warnings: WarnOnce;
  private readonly connection: RedisConnection;
  private readonly scripts: RedisScripts;
  private subscriber: RedisConnection | undefined;
  private readonly registrations = new Set<RedisRegistration>();
  private readonly watches = new Map<string, ServiceWatch>();
  /** Set as close() starts: from then on nothing new may start (it would outlive the close). */
  private closing: Promise<void> | undefined;

  /**
   * Checks the options and sets up the connection; calls made before it is up wait for it for up
   * to `connectTimeoutMs`, then fail with REGISTRY_UNAVAILABLE.
   * @throws InvalidArgumentError naming the option: an unknown one, a malformed `url` or
   * `namespace`, a number out of its range, a `logger` that lacks a level.
   */
  constructor(options: RedisRegistryOptions) {
    assertObject('options', options);
    assertKnownKeys('options', options as unknown as Record<string, unknown>, OPTION_KEYS);
    // An option given as undefined keeps its default (`namespace: process.env.NS` with NS unset), as
    // the memory registry's and every other package's options do; spread, it replaced the default.
    this.options = withDefaults(
      { ...DEFAULT_REDIS_REGISTRY_OPTIONS, logger: silentLogger },
      options,
    ) as typeof this.options;
    validateNamespace(this.options.namespace);
    assertLogger('options.logger', this.options.logger);
    // Spread into ioredis's options: a string became one option per character, silently.
    if (this.options.redisOptions !== undefined) assertObject('options.redisOptions', this.options.redisOptions);
    const o = this.options;
    assertInteger('options.defaultTtlMs', o.defaultTtlMs, 500, 86_400_000);
    if (o.heartbeatIntervalMs !== undefined)
      assertInteger('options.heartbeatIntervalMs', o.heartbeatIntervalMs, 50, 86_400_000);
    assertInteger('options.sweepIntervalMs', o.sweepIntervalMs, 50, 3_600_000);
    assertInteger('options.resyncIntervalMs', o.resyncIntervalMs, 100, 3_600_000);
    assertInteger('options.commandTimeoutMs', o.commandTimeoutMs, 10, 600_000);
    assertInteger('options.connectTimeoutMs', o.connectTimeoutMs, 10, 600_000);
    assertInteger('options.tombstoneTtlMs', o.tombstoneTtlMs, 1_000, 31_536_000_000);
    this.target = parseRedisUrl(o.url);
    this.label = redactUrl(o.url);
    this.logger = o.logger;
    this.warnings = new WarnOnce(this.logger);
    const tuning = {
      connectTimeoutMs: o.connectTimeoutMs,
      commandTimeoutMs: o.commandTimeoutMs,
      redisOptions: o.redisOptions,
    };
    this.connection = new RedisConnection(
      createClient(this.target, tuning),
      this.label,
      o.connectTimeoutMs,
      this.logger,
    );
    this.scripts = new RedisScripts(this.connection.client);
    this.connection.onConnectionLost((error) => {
      for (const registration of this.registrations) registration.markUnavailable(error);
      // A hung Redis shows on the command connection only (the subscriber just hears nothing).
      for (const watch of this.watches.values()) watch.onConnectionLost(error);
    });
    this.connection.onConnectionRestored(() => {
      // Re-announce at once instead of waiting up to a heartbeat interval: after a Redis restart
      // the entries are gone and every heartbeat writes its entry back.
      // The Redis found may also hold an older copy of an entry (a promoted replica, an AOF that
      // lost its last second): the first heartbeat checks the entry too and writes it again.
      for (const registration of this.registrations) void registration.heartbeatAfterReconnect();
      for (const watch of this.watches.values()) watch.onConnectionRestored();
    });
  }

  /**
   * Every command this registry sends (register, heartbeat, list, sweep…): its outcome and
   * duration, for metrics. A heartbeat is reported as exactly one `heartbeat` (its PEXPIRE); the
   * checks sent beside it and the slow path have their own names (`heartbeat ownership check`,
   * `heartbeat entry check`, `heartbeat recovery`; the README's _Operations reported_ lists every
   * name). @returns the subscription
   */
  onOperation(listener: (operation: RegistryOperation) => void): Disposable {
    return this.connection.onOperation(listener);
  }

  async register(input: InstanceInput, options?: RegisterOptions): Promise<Registration> {
    this.assertOpen();
    const instance = validateInstance(input);
    const { ttlMs } = resolveRegisterOptions(options, this.options.defaultTtlMs);
    const heartbeatIntervalMs = Math.min(
      this.options.heartbeatIntervalMs ?? Number.POSITIVE_INFINITY,
      Math.floor(ttlMs / 3),
    );
    const keys = this.keys(instance.service);
    const context: RegistrationContext = {
      connection: this.connection,
      scripts: this.scripts,
      keys,
      logger: this.logger,
      tombstoneTtlMs: this.options.tombstoneTtlMs,
      onEnd: (registration) => this.registrations.delete(registration),
      indexService: () => this.indexService(instance.service),
      touchIndex: () => this.touchIndex(instance.service),
      reapService: () => this.reapService(instance.service),
    };
    const registration = await RedisRegistration.create(instance, ttlMs, heartbeatIntervalMs, context).catch(
      async (error: unknown) => {
        throw await this.nameWrongKey(error, this.keyTypes(instance.service), instance.service);
      },
    );
    if (this.closing !== undefined) {
      // close() started while this was being written, and did not see it: take it back out.
      await registration.deregister().catch(() => undefined);
      throw new RegistryClosedError(`${this.label}: registry closed while registering ${instance.id}`);
    }
    // The same id registered again through this registry replaces the earlier registration for good.
    for (const earlier of [...this.registrations]) {
      if (earlier.instance.id === instance.id && earlier.instance.service === instance.service)
        earlier.markSuperseded();
    }
    this.registrations.add(registration);
    // The service index is a separate key (another Cluster slot), so it cannot join the script;
    // it is only an index: services() checks live counts, and a failed add is repaired next time.
    // Awaited, so that the index names the service by the time register() resolves, for every
    // client (with auto-pipelining, an add left in flight could land after another client's read).
    // After the entry is written, never before: that order is what keeps a register racing the
    // removal of a vacant service's name in the index (see INDEX_SERVICE in scripts.ts).
    await this.indexService(instance.service);
    return registration;
  }

  /**
   * Claims `service` in the services index for an entry or a route rule just written (a name with a
   * claim since a reaper read the count is never removed by it); a failure is logged (the next write,
   * or the registration's once-per-TTL touch, repairs it).
   */
  private async indexService(service: string): Promise<void> {
    await this.connection
      .call('index service', () => this.scripts.indexService(serviceIndexKeys(this.options.namespace), service))
      .then(
        () => undefined,
        (error: unknown) => this.logger.warn({ err: error, service }, 'switchyard registry: could not index service'),
      );
  }

  /**
   * Names `service` in the services index again, for a lost index key: a live registration's native
   * `SADD` once per TTL, sent beside its heartbeat. It needs no claim: a reaper finds a service with a
   * live entry not vacant, and an entry that is written anew is claimed by its (re)write.
   */
  private touchIndex(service: string): Promise<void> {
    return this.connection
      .call('index service', (client) => client.sadd(servicesKey(this.options.namespace), service))
      .then(
        () => undefined,
        (error: unknown) => this.logger.warn({ err: error, service }, 'switchyard registry: could not index service'),
      );
  }

  /**
   * Takes a vacant service's name out of the services index (no instance, no route rule left):
   * without this, every service that ever existed stayed in it (per-PR previews, renamed services),
   * and services() paid a script per dead name on every call. Three steps, since the index and the
   * service live in different Cluster slots: the claim count first, then the vacancy check (which
   * sweeps expired entries), then a removal that only goes through if nobody claimed the name since
   * (see INDEX_SERVICE). Best effort: a failure is logged, and the next services() tries again.
   * @returns whether the name was removed.
   */
  private async reapService(service: string): Promise<boolean> {
    const indexKeys = serviceIndexKeys(this.options.namespace);
    try {
      const claims = await this.connection.call('reap service', (client) => client.hget(indexKeys[1], service));
      const state = await this.connection.call('reap service', () => this.scripts.serviceState(this.keys(service)));
      if (!state.vacant) return false;
      return await this.unindex(service, claims);
    } catch (error) {
      this.logger.warn(
        { err: error, service },
        'switchyard registry: could not take a vacant service out of the index; the next services() will',
      );
      return false;
    }
  }

  /** The last step of {@link reapService}, given the claim count read before the service was found vacant. */
  private unindex(service: string, claims: string | null): Promise<boolean> {
    return this.connection.call('reap service', () =>
      this.scripts.unindexService(serviceIndexKeys(this.options.namespace), service, claims),
    );
  }

  async list(service: string): Promise<ServiceInstance[]> {
    this.assertOpen();
    return (await this.listWithRev(validateServiceName(service))).instances;
  }

  /**
   * The services with a live instance, and those with none left that still hold a route rule (it
   * applies again as soon as an instance comes back, so an operator must be able to find it),
   * sorted. Names the index holds for vacant services (nothing left of them: every instance gone by
   * deregister, eviction or expiry, no rule) are taken out of it on the way, so that the index does
   * not grow with every service that ever existed.
   */
  async services(): Promise<string[]> {
    this.assertOpen();
    const indexKeys = serviceIndexKeys(this.options.namespace);
    const names = await this.connection
      .call('services', (client) => client.smembers(indexKeys[0]))
      .catch(async (error: unknown) => {
        throw await this.nameWrongKey(error, [[indexKeys[0], 'set']]);
      });
    const valid = names.filter((name) => {
      try {
        validateServiceName(name);
        return true;
      } catch {
        this.warnings.warn(
          `services:${name}`,
          { name },
          'switchyard registry: skipped an invalid service name in the index',
        );
        return false;
      }
    });
    // The claim counts are read before any service is checked: a name is then removed only if no
    // register claimed it after its check could have missed it (see INDEX_SERVICE). Unreadable
    // (garbage in the key): nothing is removed this time, and the listing goes on.
    const claims =
      valid.length === 0
        ? []
        : await this.connection
            .call('services', (client) => client.hmget(indexKeys[1], ...valid))
            .catch((error: unknown) => {
              if (!this.connection.isReady) throw error;
              this.warnings.warn(
                'services:claims',
                { error: describeRedisError(error) },
                'switchyard registry: cannot read the service index claims; vacant services stay indexed',
              );
              return undefined;
            });
    // One service's garbage (e.g. a key of the wrong type) must not hide the others: data errors
    // are warned about and count as "no live instance" (and are never taken out of the index); a
    // lost connection still fails the call.
    const states = await Promise.all(
      valid.map((name) =>
        this.connection
          .call('services', () => this.scripts.serviceState(this.keys(name)))
          .catch(async (error: unknown): Promise<ServiceState | undefined> => {
            if (!this.connection.isReady || !corruptData(error)) throw error;
            // Told once per service: the key is looked up only until then.
            const named = this.warnings.has(`services:${name}:data`)
              ? error
              : await this.nameWrongKey(error, this.keyTypes(name), name);
            this.warnings.warn(
              `services:${name}:data`,
              { service: name, error: (named as Error).message },
              'switchyard registry: skipped a service whose keys are corrupt',
            );
            return undefined;
          }),
      ),
    );
    if (claims !== undefined) {
      await Promise.all(
        valid.map((name, index) =>
          states[index]?.vacant
            ? this.unindex(name, claims[index] ?? null).catch((error: unknown) =>
                // Once per cause, not on every listing: a connection that may not write (a
                // read-only replica) would otherwise log a line per vacant service per services().
                this.warnings.warn(
                  'services:unindex',
                  { service: name, error: describeRedisError(error) },
                  'switchyard registry: could not take a vacant service out of the index',
                ),
              )
            : undefined,
        ),
      );
    }
    return valid
      .filter((_, index) => {
        const state = states[index];
        return state !== undefined && (state.live > 0 || state.routed);
      })
      .sort();
  }

  async watch(service: string, listener: RegistryListener): Promise<() => Promise<void>> {
    this.assertOpen();
    validateServiceName(service);
    assertListener(listener);
    let watch = this.watches.get(service);
    if (!watch) {
      watch = this.createWatch(service);
      this.watches.set(service, watch);
    }
    try {
      await watch.started;
    } catch (error) {
      if (this.watches.get(service) === watch && watch.listenerCount === 0) {
        this.watches.delete(service);
        await watch.close();
      }
      throw error;
    }
    // The last other listener stopped while this one waited (awaiting even a started watch yields),
    // and closed the watch: start over, rather than join a closed watch that delivers nothing.
    if (this.watches.get(service) !== watch) return this.watch(service, listener);
    const remove = watch.addListener(listener);
    let stopped = false;
    return async () => {
      if (stopped) return;
      stopped = true;
      remove();
      if (watch.listenerCount === 0 && this.watches.get(service) === watch) {
        this.watches.delete(service);
        await watch.close();
      }
    };
  }

  /**
   * Removes an instance (an operator action, e.g. `switchyard deregister <id>`). The owning process
   * is told at its next heartbeat and never writes it back.
   *
   * Given `options.generation` (the registration's generation as Redis holds it, which `switchyard`
   * reads before asking for confirmation), only that registration is removed: if the id has been
   * registered again meanwhile (a restarted pod that kept its name), nothing is removed and the call
   * fails with FAILED_PRECONDITION, rather than taking the healthy newcomer out for good. If that
   * generation owns nothing any more (it expired: its process hung past its TTL, often the reason
   * for the eviction), it is barred all the same, so the process does not write itself back when
   * it runs again, and the call returns false.
   * @returns whether an entry was removed (false: no such id).
   */
  async evict(service: string, id: string, options: { generation?: string } = {}): Promise<boolean> {
    this.assertOpen();
    const keys = this.keys(validateServiceName(service));
    validateInstanceId(id);
    assertObject('options', options as unknown);
    assertKnownKeys('options', options as Record<string, unknown>, ['generation']);
    const { generation } = options;
    if (generation !== undefined && (typeof generation !== 'string' || !/^\d{1,20}$/.test(generation))) {
      throw new InvalidArgumentError('options.generation', 'must be a registration generation: 1-20 decimal digits');
    }
    const { status: removed, vacant } = await this.connection
      .call('evict', () => this.scripts.evict(keys, id, this.options.tombstoneTtlMs, generation ?? ''))
      .catch(async (error: unknown) => {
        throw await this.nameWrongKey(error, this.keyTypes(service), service);
      });
    if (vacant) await this.reapService(service);
    if (removed === -1) {
      throw new SwitchyardError(
        'FAILED_PRECONDITION',
        `${service}/${id} is now owned by another registration than generation ${generation}; nothing was evicted`,
      );
    }
    return removed === 1;
  }

  close(): Promise<void> {
    this.closing ??= this.closeNow();
    return this.closing;
  }

  private async closeNow(): Promise<void> {
    const deregistrations = [...this.registrations].map((registration) =>
      registration.deregister().catch(() => undefined),
    );
    await Promise.race([Promise.all(deregistrations), delay(this.options.commandTimeoutMs + 500)]);
    const ended = new RegistryClosedError(`${this.label}: registry closed`);
    await Promise.all([...this.watches.values()].map((watch) => watch.close(ended)));
    this.watches.clear();
    await Promise.all([this.connection.close(), this.subscriber?.close()]);
  }

  toString(): string {
    return `RedisRegistry(${this.label}, namespace=${this.options.namespace})`;
  }

  /**
   * One watcher's periodic sweep of a service (see the watch's `sweep`). `watching` false: the watch
   * stopped meanwhile, and its FORGET_SWEEPS has gone out (or is going): a SWEEP sent after it marked
   * the service as swept for 120 s again with nobody sweeping, so reads more than 2 s later took the
   * silence for a Redis stall and kept a dead instance listed for a grace period.
   */
  private async sweepService(service: string, keys: ServiceKeys, watching: () => boolean): Promise<void> {
    // One watcher per interval sweeps a service, not every one: a sweep is a script with a
    // fixed cost on the server, and a service can have hundreds of watchers (every client of
    // it). Whoever ticks first takes the turn with one native SET NX; the others skip. The
    // turn lapses before the next interval, so a watcher that took it and died delays the
    // next sweep by at most one interval.
    const turn = Math.min(MAX_SWEEP_TURN_MS, Math.floor(this.options.sweepIntervalMs * SWEEP_TURN_SHARE));
    const mine = await this.connection
      .call('sweep turn', (client) => client.set(keys.sweeper, '1', 'PX', turn, 'NX'))
      .catch((error: unknown) => {
        // Refused under maxmemory (noeviction): every watcher sweeps until memory is back,
        // rather than none (the sweep script itself runs then; see startWriting in scripts.ts).
        if (outOfMemory(error)) return 'OK';
        throw error;
      });
    if (mine !== 'OK' || !watching()) return;
    // Batches keep each script short (Redis is single-threaded); a full batch means more
    // entries are due, so go on, within a bound, until the backlog is gone.
    let emptied = false;
    for (let batch = 0; batch < MAX_SWEEP_BATCHES && (batch === 0 || watching()); batch++) {
      const swept = await this.connection.call('sweep', () =>
        this.scripts.sweep(keys, SWEEP_BATCH, this.options.sweepIntervalMs),
      );
      emptied ||= swept.emptied;
      if (swept.handled < SWEEP_BATCH) break;
    }
    // The last instance expired: nobody deregisters it, so the sweep that saw it go takes the
    // service's name out of the index (a service nobody watches: the next services() does).
    if (emptied) await this.reapService(service);
  }

  private createWatch(service: string): ServiceWatch {
    const keys = this.keys(service);
    const subscriber = this.subscriberConnection();
    const watch = new ServiceWatch({
      service,
      keys,
      logger: this.logger,
      warnings: this.warnings,
      sweepIntervalMs: this.options.sweepIntervalMs,
      resyncIntervalMs: this.options.resyncIntervalMs,
      list: () => this.listWithRev(service),
      readRev: async () => Number(await this.connection.call('read revision', (client) => client.get(keys.rev))) || 0,
      sweep: (watching) =>
        this.sweepService(service, keys, watching).catch((error: unknown) => {
          // Refused by Redis itself (an ACL without the sweep's commands): said once, or a watcher
          // that could never sweep was silent while expired entries stayed listed. An outage is
          // told by the watch's stale events instead.
          const reason = describeRedisError(error);
          if (this.connection.isReady && reason.includes('permission denied')) {
            this.warnings.warn(
              `sweep:${service}:denied`,
              { service, error: reason },
              `registry: this process cannot sweep ${service} (${reason}); expired instances stay listed until a process allowed to sweep does`,
            );
          }
          throw error;
        }),
      restoreRoute: async (rule) => {
        try {
          const written = await this.connection.call('restore route', () =>
            this.scripts.restoreRoute(keys, JSON.stringify(rule)),
          );
          // Whatever lost the rule may have lost the index too, and a rule must stay findable
          // by its service's name even while the service has no instance.
          if (written) await this.indexService(service);
          return written ? 'restored' : 'present';
        } catch (error) {
          // Refused by Redis itself (an ACL without write access): no retry can succeed.
          const reason = describeRedisError(error);
          if (!this.connection.isReady || !reason.includes('permission denied')) throw error;
          this.warnings.warn(
            `restore route:${service}:denied`,
            { service, error: reason },
            `switchyard registry: Redis lost the route rule of ${service}, and this process may not write it back (${reason})`,
          );
          return 'refused';
        }
      },
      forgetSweeps: () => this.connection.call('forget sweeps', () => this.scripts.forgetSweeps(keys)),
      subscribe: async () => {
        await subscriber.call('subscribe', (client) => client.subscribe(keys.channel));
      },
      unsubscribe: async () => {
        if (subscriber.isReady) await subscriber.call('unsubscribe', (client) => client.unsubscribe(keys.channel));
      },
    });
    return watch;
  }

  /** Subscribes the pub/sub connection again to every watched service's channel, after a reconnect. */
  private async resubscribe(subscriber: RedisConnection): Promise<void> {
    if (this.watches.size === 0) return;
    const channels = [...this.watches.keys()].map((service) => this.keys(service).channel);
    try {
      await subscriber.call('resubscribe', (client) => client.subscribe(...channels));
    } catch (error) {
      // The connection went again: its next 'ready' comes back here.
      this.logger.warn(
        { err: error, registry: this.label },
        'switchyard registry: re-subscribing after a reconnect failed; waiting for the next reconnect',
      );
    }
  }

  /** The pub/sub connection, opened with the first watch. */
  private subscriberConnection(): RedisConnection {
    if (this.subscriber) return this.subscriber;
    // ioredis re-subscribes by itself when a connection is ready again, without catching: should
    // the connection drop once more before that SUBSCRIBE is written (there is no offline queue),
    // its rejection goes unhandled, which can end a process. The registry re-subscribes instead
    // (resubscribe above); a failure there just waits for the next reconnect. Cluster clients
    // re-subscribe through their own subscriber and keep that.
    const source = this.connection.client;
    const ownResubscription = source instanceof Redis;
    const client = ownResubscription ? source.duplicate({ autoResubscribe: false }) : source.duplicate();
    const subscriber = new RedisConnection(
      client,
      `${this.label} (subscriber)`,
      this.options.connectTimeoutMs,
      this.logger,
    );
    client.on('message', (channel: string, message: string) => {
      const service = serviceOfChannel(this.options.namespace, channel);
      if (service) this.watches.get(service)?.onMessage(message);
    });
    subscriber.onConnectionLost((error) => {
      for (const watch of this.watches.values()) watch.onConnectionLost(error);
    });
    subscriber.onConnectionRestored(() => {
      // Subscribed first, then resynchronised (as ioredis's own re-subscription did): the resync
      // covers whatever was published before the subscription was back.
      const resubscribed = ownResubscription ? this.resubscribe(subscriber) : Promise.resolve();
      void resubscribed.finally(() => {
        for (const watch of this.watches.values()) watch.onConnectionRestored();
      });
    });
    this.subscriber = subscriber;
    return subscriber;
  }

  /**
   * A rule is checked against the instances (and the rule it replaces) as one list returned them,
   * and written only if the service is still at that list's revision (see SET_ROUTE), so an instance
   * leaving or starting to drain between the check and the write cannot let a refused rule through:
   * the rule is checked again against what changed. A clear is not checked (a rollback must go through).
   */
  async setRoute(service: string, rule: RouteRule | undefined, options?: SetRouteOptions): Promise<void> {
    this.assertOpen();
    const keys = this.keys(validateServiceName(service));
    const valid = rule === undefined ? undefined : validateRouteRule(rule);
    const expected = expectedRouteOf(options);
    if (valid === undefined && expected === undefined) {
      await this.connection
        .call('set route', () => this.scripts.setRoute(keys, '', ''))
        .catch(async (error: unknown) => {
          throw await this.nameWrongKey(error, this.keyTypes(service), service);
        });
    } else {
      // A conditional write is checked against the same list, at the same revision, as the rule:
      // every rule write moves the revision, so one made in between fails the write's revision
      // check, and the next try finds it.
      const json = valid === undefined ? '' : JSON.stringify(valid);
      for (let attempt = 1; ; attempt++) {
        const { instances, route, revision } = await this.listWithRev(service);
        if (expected !== undefined) checkExpectedRoute(service, expected, route);
        if (valid) checkRouteAgainst(service, valid, instances, route === 'malformed' ? undefined : route);
        const written = await this.connection
          .call('set route', () => this.scripts.setRoute(keys, json, revision))
          .catch(async (error: unknown) => {
            throw await this.nameWrongKey(error, this.keyTypes(service), service);
          });
        if (written !== -1) break;
        // Each retry follows a real change of the service (a register, an update, a departure, a
        // rule), which in practice is seconds apart; only a service changing on every round trip
        // gets here, and a caller's retry then is as good as one more of ours.
        if (attempt === SET_ROUTE_ATTEMPTS) {
          throw new SwitchyardError(
            'ABORTED',
            `${service} changed ${attempt} times while its route rule was being checked; nothing was written, try again`,
            { retryable: true },
          );
        }
      }
    }
    // A rule keeps its service named in the index after the last instance leaves, claimed after it is
    // written (the instances checked above may have left, and the name with them, meanwhile). A
    // clear may leave the service vacant: its name goes then.
    if (valid) await this.indexService(service);
    else await this.reapService(service);
  }

  async getCanary(service: string): Promise<CanaryRecord | undefined> {
    this.assertOpen();
    const keys = this.keys(validateServiceName(service));
    const { json, now } = await this.connection
      .call('get canary', () => this.scripts.getCanary(keys))
      .catch(async (error: unknown) => {
        throw await this.nameWrongKey(error, this.keyTypes(service), service);
      });
    return json === '' ? undefined : this.decodeCanary(service, json, now);
  }

  /** The record's check and write are one script (SET_CANARY), on the server's clock. */
  async setCanary(
    service: string,
    record: CanaryRecordInput | undefined,
    options?: CanaryRecordWrite,
  ): Promise<CanaryRecord | undefined> {
    this.assertOpen();
    const keys = this.keys(validateServiceName(service));
    const valid = record === undefined ? undefined : validateCanaryInput(record);
    const expected = expectedCanaryOf(options);
    const fields = valid === undefined ? '' : JSON.stringify({ ...valid, leaseMs: undefined });
    const reply = await this.connection
      .call('set canary', () =>
        this.scripts.setCanary(
          keys,
          fields,
          expected === undefined ? '' : String(expected ?? 0),
          valid?.leaseMs ?? 0,
          CANARY_RECORD_TTL_MS,
        ),
      )
      .catch(async (error: unknown) => {
        throw await this.nameWrongKey(error, this.keyTypes(service), service);
      });
    if (!reply.written) throw canaryPreconditionFailed(service, expected ?? null, reply.found);
    return reply.json === '' ? undefined : this.decodeCanary(service, reply.json, reply.now);
  }

  /** A stored record, or undefined with a warning when it is garbage (written by hand). */
  private decodeCanary(service: string, json: string, now: number): CanaryRecord | undefined {
    let value: unknown;
    try {
      value = JSON.parse(json);
    } catch {
      value = undefined;
    }
    const record = decodeCanaryRecord(value, now);
    if (record === undefined) {
      this.warnings.warn(
        `canary:${service}:${json.slice(0, 64)}`,
        { service, problem: 'malformed canary record' },
        'switchyard registry: ignored a malformed canary record (remove it: switchyard canary clear <service>, or setCanary(service, undefined))',
      );
    }
    return record;
  }

  async getRoute(service: string): Promise<RouteRule | undefined> {
    this.assertOpen();
    const route = (await this.listWithRev(validateServiceName(service))).route;
    return route === 'malformed' ? undefined : route;
  }

  private async listWithRev(service: string): Promise<{
    rev: number;
    /** The revision as Redis holds it (see RedisScripts.setRoute). */
    revision: string;
    instances: ServiceInstance[];
    route: RouteRule | undefined | 'malformed';
    routeMissing: boolean;
  }> {
    const {
      rev,
      revision,
      ids,
      values,
      route: rawRoute,
    } = await this.connection
      .call('list', () => this.scripts.list(this.keys(service)))
      .catch(async (error: unknown) => {
        throw await this.nameWrongKey(error, this.keyTypes(service), service);
      });
    const route =
      rawRoute === null || rawRoute === '' ? undefined : (decodeRoute(service, rawRoute, this.warnings) ?? 'malformed');
    const instances: ServiceInstance[] = [];
    for (let index = 0; index < ids.length; index++) {
      const id = ids[index] as string;
      const instance = decodeInstance(service, id, values[index], this.warnings, 'list');
      if (instance) instances.push(instance);
    }
    return { rev, revision, instances, route, routeMissing: rawRoute === null };
  }

  private keys(service: string): ServiceKeys {
    return serviceKeys(this.options.namespace, service);
  }

  private keyTypes(service: string): readonly KeyType[] {
    return serviceKeyTypes(this.options.namespace, service);
  }

  /**
   * For a key of the wrong type (a {@link RegistryDataError} from WRONGTYPE, whose reply names no
   * key, least of all from inside a script): asks Redis for the `TYPE` of each candidate key (one
   * write, auto-pipelined) and names the one that is not what the registry keeps there, with how
   * to repair it. Best effort: an ACL without `TYPE`, or no culprit found among the candidates (a
   * lease key), leaves the error as it was. Any other error is returned as it is.
   */
  private async nameWrongKey(error: unknown, candidates: readonly KeyType[], service?: string): Promise<unknown> {
    if (!(error instanceof RegistryDataError) || error.key !== undefined) return error;
    let types: string[];
    try {
      types = await this.connection.call('check key types', (client) =>
        Promise.all(candidates.map(([key]) => client.type(key))),
      );
    } catch {
      return error;
    }
    const index = candidates.findIndex(([, expected], at) => types[at] !== 'none' && types[at] !== expected);
    const found = candidates[index];
    if (found === undefined) return error;
    const [key, expected] = found;
    const quoted = `'${key}'`;
    const repair =
      service !== undefined && key === routeKey(this.options.namespace, service)
        ? `clear the route to replace it: switchyard route clear ${service} (or redis-cli SET ${quoted} '')`
        : `delete it (redis-cli DEL ${quoted}): the registry writes it again as it needs it`;
    const said = `${key} holds a ${types[index]}, where the registry keeps a ${expected} (written by hand or by another tool sharing the namespace?); ${repair}; Redis said`;
    return new RegistryDataError(error.message.replace(WRONG_TYPE_SUMMARY, said), { key });
  }

  private assertOpen(): void {
    if (this.closing !== undefined) throw new RegistryClosedError(`${this.label}: registry is closed`);
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
