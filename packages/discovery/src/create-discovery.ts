import { PickerFactory } from './balancers/picker-fallback.js';
import {
  ClockBoundTimeout,
  assertInteger,
  CancelledError,
  assertKnownKeys,
  assertObject,
  type BalancingStrategy,
  type Endpoint,
  EventEmitter,
  InvalidArgumentError,
  MAX_TIMER_MS,
  type Logger,
  NoInstancesError,
  type PickArgs,
  type Picker,
  RegistryUnavailableError,
  type ServiceInstance,
  silentLogger,
  isRegistryClosedError,
  SwitchyardError,
  assertLogger,
  validateServiceName,
  coarseNow,
  currentCallScope,
  type RouteRule,
} from '@switchyard/core';
import type { RegistryEvent } from '@switchyard/registry';
import { builtInBalancers } from './balancers/balancer-registry.js';
import type { CallOutcome, Discovery, DiscoveryOptions, EjectionEvent, Lease } from './discovery.js';
import { EndpointLoad, recordLatency } from './endpoint-load.js';
import { LoadSlab, OUTSTANDING } from './load-slab.js';
import {
  EndpointHealth,
  type HealthMemory,
  type OutlierDetectionConfig,
  resolveOutlierDetection,
} from './outlier/outlier-detection.js';
import { compileAllowedHosts } from './pipeline/host-allow-list.js';
import { compileFilter, guardFilter } from './pipeline/instance-filter.js';
import { resolveSlowStart, type SlowStartConfig, slowStartFactor } from './pipeline/slow-start.js';
import { createSubsetter, type Subsetter } from './pipeline/subset.js';
import { preferZone, warmingZonePicker, resolveZone, type ZoneConfig } from './pipeline/zone-preference.js';
import { withinRoute } from './pipeline/route-eligibility.js';
import { buildTrafficGroups, pickFromGroup, type TrafficGroups } from './pipeline/traffic-groups.js';
import { fastRandom } from './balancers/fast-random.js';
import { type VersionOutcome, VersionOutcomes } from './canary/version-outcomes.js';
import { sameInstance, sameView } from './view-equality.js';
import { PICK_AMONG } from './pick-with-port.js';
import { RetriedFailureLog } from './retried-failure-log.js';

/**
 * The options of {@link createDiscovery} besides `registry` and `service`: what a wrapper that
 * takes discovery options among its own (the service runtime's grpcClient()) hands on.
 */
export const DISCOVERY_TUNING_KEYS = Object.freeze([
  'balancer',
  'balancers',
  'filter',
  'zone',
  'outlierDetection',
  'subset',
  'slowStart',
  'latencyDecayMs',
  'allowedHosts',
  'logger',
] as const);
const OPTION_KEYS = ['registry', 'service', ...DISCOVERY_TUNING_KEYS];
const NO_ARGS: PickArgs = Object.freeze({});
const WATCH_RETRY_MS = 1_000;

/** Everything discovery knows about one instance, kept across view rebuilds. */
interface Member {
  instance: ServiceInstance;
  readonly load: EndpointLoad;
  readonly health: EndpointHealth | undefined;
  /**
   * When its slow start began: when it was first seen, or when it last turned from draining to up
   * (see upsert); −Infinity for instances of the first snapshot that were up.
   */
  firstSeenAt: number;
  releaseTimer?: NodeJS.Timeout;
  /** Set when it left the view: a late `done()` must not eject a member that is gone. */
  removed?: boolean;
  /** The outcome counters of its version. */
  outcomes: VersionOutcome;
}

/** Bound on the ejection histories kept for instances that left (see departedHealth). */
const MAX_REMEMBERED_HEALTH = 10_000;

/**
 * Creates a discovery for one service: watches the registry, keeps the healthy view, and balances
 * picks over it. The selection pipeline runs on every change, never per pick:
 * filter → route (versions the rule sends nothing) → subset → health (draining, outlier ejection,
 * panic) → zone → slow start → balancer.
 *
 * The watch starts in the background: await `ready()` before the first `pick()`, which otherwise
 * throws NO_INSTANCES.
 *
 * @throws InvalidArgumentError naming the option: an unknown one, a bad service name, an unknown
 * balancer name (listing the known ones), a value out of its range.
 * @example
 * ```ts
 * const catalog = createDiscovery({ registry, service: 'catalog', balancer: 'p2c-ewma', zone: 'eu-1a' });
 * await catalog.ready();
 * const lease = catalog.pick();
 * const started = performance.now();
 * try { await call(lease.instance); lease.done({ ok: true, latencyMs: performance.now() - started }); }
 * catch (error) { lease.done({ ok: false, latencyMs: performance.now() - started }); throw error; }
 * ```
 */
export function createDiscovery(options: DiscoveryOptions): Discovery {
  return new WatchingDiscovery(options);
}

class WatchingDiscovery implements Discovery {
  readonly service: string;
  private readonly registry: DiscoveryOptions['registry'];
  private readonly strategy: BalancingStrategy;
  /** Builds the groups' pickers with `strategy`, round-robin where it fails (see PickerFactory). */
  private readonly pickers: PickerFactory;
  private filter: (instance: ServiceInstance) => boolean;
  private readonly zone: ZoneConfig | undefined;
  private readonly outlier: OutlierDetectionConfig | undefined;
  private readonly subsetter: Subsetter | undefined;
  private readonly slowStart: SlowStartConfig | undefined;
  private readonly latencyDecayMs: number;
  private readonly logger: Logger;

  private readonly members = new Map<string, Member>();
  /**
   * Ejection histories of instances that left the registry, by id, in the order they left: one
   * that comes back (a restart under the same id, an expiry after a stall) takes its history back.
   * Kept for `maxEjectionMs`, at most {@link MAX_REMEMBERED_HEALTH} of them.
   */
  private readonly departedHealth = new Map<string, { memory: HealthMemory; forgetAt: number }>();
  private groups: TrafficGroups = { untracked: { all: { pick: () => undefined } }, tracks: new Map() };
  private route: RouteRule | undefined;
  private readonly random = fastRandom();
  /**
   * The endpoints each picker was built over, for the fallback of retries (see PICK_AMONG): set
   * when the pickers are rebuilt, never read by pick().
   */
  private readonly endpointsOf = new WeakMap<Picker, readonly MemberEndpoint[]>();
  /**
   * With `zone`: each picker's group before zone preference (its members in every zone), for
   * pickWithPort's last resort (see [PICK_AMONG]'s `acrossZones`). Never read by pick().
   */
  private readonly groupMembersOf = new WeakMap<Picker, readonly Member[]>();
  private readonly outcomes = new VersionOutcomes();
  private readonly slab: LoadSlab;
  private view: readonly ServiceInstance[] = [];
  /**
   * For maxEjectionShare, as of the last rebuild (every ejection, release and membership change
   * rebuilds): the members in rotation (usable and up; all usable when none is up) and how many of
   * them are ejected. Ejected members out of rotation (filtered out, outside the subset, draining,
   * gone) are not counted: they used to use up the cap and keep a bad instance in rotation.
   */
  private ejectedCount = 0;
  private rotationCount = 0;
  private isStale = false;
  private synced = false;
  private closed = false;
  /**
   * Why this discovery can never get a snapshot: the registry refused the watch for good (closed,
   * or INVALID_ARGUMENT from a custom registry). Retrying would only log a warning every second.
   */
  private failure: Error | undefined;
  /**
   * Why the latest try to start the watch failed (the registry unreachable), until one succeeds:
   * what pick() names before the first snapshot, instead of only "no snapshot yet".
   */
  private watchError: Error | undefined;
  private stopWatch: (() => Promise<void>) | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  /** A watch retried every second while the registry is down is not warned about every second. */
  private readonly watchFailures: RetriedFailureLog;
  /** Whether any instance has been seen (for the reason of a NoInstancesError). */
  private everHadMembers = false;
  /**
   * The next rebuild while an instance ramps. Bound to its clock: armed again when a test suite's
   * fake clock (uninstalled since) dropped it, where the ramp stood still and its instances stayed cold.
   */
  private readonly slowStartTick = new ClockBoundTimeout();
  /** onChange is being emitted; a rebuild meanwhile sets emitAgain (see emitChange). */
  private emitting = false;
  private emitAgain = false;
  /** Whether onChange was told a view yet: the first view is told even when empty. */
  private viewTold = false;
  private readonly readyWaiters = new Set<() => void>();

  // A listener that throws cannot break the rebuild or the other listeners (EventEmitter catches
  // it), and is logged: the emitters' default dropped its error without a word.
  private readonly changed = new EventEmitter<readonly ServiceInstance[]>((error) =>
    this.listenerFailed('onChange', error),
  );
  private readonly staleChanged = new EventEmitter<boolean>((error) => this.listenerFailed('onStaleChange', error));
  private readonly ejected = new EventEmitter<EjectionEvent>((error) => this.listenerFailed('onEjection', error));
  readonly onChange = this.changed.event;
  readonly onStaleChange = this.staleChanged.event;
  readonly onEjection = this.ejected.event;

  constructor(options: DiscoveryOptions) {
    assertObject('options', options);
    assertKnownKeys('options', options as unknown as Record<string, unknown>, OPTION_KEYS);
    if (!options.registry || typeof options.registry.watch !== 'function') {
      throw new InvalidArgumentError('registry', 'must be a Registry (e.g. createRegistry(url))');
    }
    this.registry = options.registry;
    this.service = validateServiceName(options.service);
    const balancer = options.balancer ?? 'p2c-ewma';
    // Checked here: anything else failed inside the lookup with a TypeError naming no option.
    if (options.balancers !== undefined && typeof (options.balancers as { create?: unknown })?.create !== 'function') {
      throw new InvalidArgumentError('balancers', 'must be a BalancerRegistry (e.g. builtInBalancers().register(…))');
    }
    this.strategy =
      typeof balancer === 'string' ? (options.balancers ?? builtInBalancers()).create(balancer) : balancer;
    if (typeof this.strategy?.createPicker !== 'function') {
      throw new InvalidArgumentError('balancer', 'must be a balancer name or a BalancingStrategy');
    }
    this.filter = compileFilter(options.filter);
    this.zone = resolveZone(options.zone);
    this.outlier = options.outlierDetection === false ? undefined : resolveOutlierDetection(options.outlierDetection);
    this.subsetter = options.subset === undefined ? undefined : createSubsetter(options.subset);
    this.slowStart = resolveSlowStart(options.slowStart);
    this.latencyDecayMs = options.latencyDecayMs ?? 10_000;
    assertInteger('latencyDecayMs', this.latencyDecayMs, 1, 3_600_000);
    this.slab = new LoadSlab(this.latencyDecayMs);
    if (options.logger !== undefined) assertLogger('logger', options.logger);
    this.logger = options.logger ?? silentLogger;
    this.watchFailures = new RetriedFailureLog(this.logger);
    this.pickers = new PickerFactory(this.strategy, this.logger, this.service);
    // A predicate of the user's runs in every rebuild: one that throws must not abort it (see guardFilter).
    if (typeof options.filter === 'function') this.filter = guardFilter(this.filter, this.logger, this.service);
    const hostAllowed = compileAllowedHosts(options.allowedHosts, this.logger);
    if (hostAllowed) {
      const filter = this.filter;
      this.filter = (instance) => hostAllowed(instance.host, instance.id) && filter(instance);
    }
    void this.startWatch();
  }

  private listenerFailed(event: string, error: unknown): void {
    // Read at call time: the logger is set in the constructor, after these fields.
    this.logger.error(
      { err: error, service: this.service },
      `switchyard discovery: an ${event} listener threw; ignored`,
    );
  }

  get stale(): boolean {
    return this.isStale;
  }

  get isReady(): boolean {
    return this.synced;
  }

  ready(options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<void> {
    if (this.synced) return Promise.resolve();
    const signal = options?.signal;
    if (signal !== undefined && !(signal instanceof AbortSignal)) {
      return Promise.reject(new InvalidArgumentError('ready.signal', 'must be an AbortSignal'));
    }
    if (signal?.aborted) {
      return Promise.reject(new CancelledError(`${this.service}: stopped waiting for the first snapshot`));
    }
    const timeoutMs = options?.timeoutMs;
    if (timeoutMs !== undefined && !(typeof timeoutMs === 'number' && timeoutMs >= 0 && !Number.isNaN(timeoutMs))) {
      return Promise.reject(
        new InvalidArgumentError(
          'ready.timeoutMs',
          `must be a number of ms ≥ 0 (or Infinity), got ${String(timeoutMs)}`,
        ),
      );
    }
    if (this.failure !== undefined && !this.closed) return Promise.reject(this.failure);
    // Closed before its first snapshot: no snapshot will ever come.
    if (this.closed) {
      return Promise.reject(
        new RegistryUnavailableError(`${this.service}: discovery closed before its first snapshot`),
      );
    }
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      // A waiter whose caller gave up leaves at once (it used to stay until its timeout).
      const onAbort = (): void => {
        if (timer) clearTimeout(timer);
        this.readyWaiters.delete(wake);
        reject(
          new CancelledError(`${this.service}: stopped waiting for the first snapshot`, { cause: signal?.reason }),
        );
      };
      const wake = (): void => {
        if (timer) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.readyWaiters.delete(wake);
        if (this.synced) resolve();
        else if (this.failure !== undefined && !this.closed) reject(this.failure);
        else reject(new RegistryUnavailableError(`${this.service}: discovery closed before its first snapshot`));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.readyWaiters.add(wake);
      // Beyond what a Node timer holds (~24.8 days, Infinity included) setTimeout fires after
      // 1 ms: such a wait is unbounded, not over at once.
      // The value read above: `options` may be null (as pick() accepts), which threw here.
      if (timeoutMs !== undefined && timeoutMs <= MAX_TIMER_MS) {
        timer = setTimeout(() => {
          signal?.removeEventListener('abort', onAbort);
          this.readyWaiters.delete(wake);
          // With why the watch could not start, when it could not (Redis down): the timeout alone
          // did not tell an unreachable registry from a slow one.
          const why = this.watchError === undefined ? '' : `: ${this.watchError.message}`;
          reject(
            new RegistryUnavailableError(
              `${this.service}: no snapshot from the registry within ${timeoutMs} ms${why}`,
              {
                cause: this.watchError,
              },
            ),
          );
        }, options.timeoutMs);
        timer.unref();
      }
    });
  }

  versionOutcomes(): Map<string, VersionOutcome> {
    return this.outcomes.snapshot();
  }

  instances(): readonly ServiceInstance[] {
    return this.view;
  }

  pick(given?: PickArgs): Lease {
    // `null` is "no arguments" too: a sticky balancer then says its key is missing, instead of a
    // raw TypeError from reading `null.key`. One nullish check, in place of a default parameter's
    // undefined check: nothing added to the pick.
    const args = given ?? NO_ARGS;
    this.strategy.validatePickArgs?.(args);
    let group = this.groups.untracked;
    if (this.groups.tracks.size > 0) {
      const track = args.track ?? currentCallScope()?.track;
      if (track !== undefined) group = this.groups.tracks.get(track) ?? group;
    }
    const endpoint = pickFromGroup(group, args, this.random);
    if (endpoint === undefined) {
      throw new NoInstancesError(
        this.service,
        this.synced
          ? this.noLiveInstanceReason()
          : this.failure !== undefined
            ? `discovery cannot watch the registry: ${this.failure.message}`
            : // Closed without one: none will come (ready() rejects at once). "No snapshot yet
              // (await ready())" read as a start-up race to wait out.
              this.closed
              ? 'discovery was closed before its first snapshot: it will never have instances to pick'
              : // The registry unreachable since the start (Redis down): said so, rather than only
                // "no snapshot yet", which read as a startup race while the watch kept failing.
                this.watchError !== undefined
                ? `discovery has no snapshot yet: the registry is unreachable (retrying every second): ${this.watchError.message}`
                : 'discovery has no snapshot yet (await ready())',
      );
    }
    // Through the slab, not endpoint.stats: one object fewer to load per pick in a large fleet.
    const array = this.slab.array;
    const line = (endpoint as MemberEndpoint).loadBase;
    array[line + OUTSTANDING] = (array[line + OUTSTANDING] as number) + 1;
    return new DiscoveryLease(this, endpoint as MemberEndpoint);
  }

  /**
   * Why a discovery that has its snapshot has nothing to pick (built on the error path only): a
   * service nothing ever registered under, which is most often a misspelt name, and instances that
   * are registered but all refused by this discovery's own filter or allowedHosts, read differently
   * from instances that all left.
   */
  private noLiveInstanceReason(): string {
    if (this.members.size === 0) {
      return this.everHadMembers
        ? 'no live instance (every instance has left)'
        : 'no instance has registered under this name since discovery started (is the service name right?)';
    }
    for (const member of this.members.values()) if (this.filter(member.instance)) return 'no live instance';
    return `no live instance: ${this.members.size} registered, none accepted by this discovery's filter or allowedHosts`;
  }

  /**
   * For pickUntried only, once the balancer's own picks kept landing on instances a retry passes
   * over (p2c-ewma between two instances, where a fast-failing one stays the cheaper however many
   * of its leases are held): a lease on one of the instances `usable` accepts, uniformly at random,
   * among those a pick with `given` chooses from (its track's group, zone preference applied; every
   * version a split sends traffic to, none it gives 0 %). Undefined when there is none. Never on the path of a plain pick.
   * With `acrossZones`, among the group's instances in every zone, not only those zone preference
   * chose (pickWithPort, when no instance of the caller's zone has the port).
   */
  [PICK_AMONG](
    given: PickArgs | undefined,
    usable: (instance: ServiceInstance) => boolean,
    acrossZones = false,
  ): Lease | undefined {
    const args = given ?? NO_ARGS;
    let group = this.groups.untracked;
    if (this.groups.tracks.size > 0) {
      const track = args.track ?? currentCallScope()?.track;
      if (track !== undefined) group = this.groups.tracks.get(track) ?? group;
    }
    let chosen: MemberEndpoint | undefined;
    let seen = 0;
    // Under a split, only the versions it sends traffic to: drawn from the whole group, a retry
    // whose stable instances had all failed went to a canary rolled back to 0 % (the version that
    // had failed), or to the old version after a full promotion.
    let chosenMember: Member | undefined;
    for (const picker of group.split?.present.pickers ?? [group.all]) {
      const members = acrossZones ? this.groupMembersOf.get(picker) : undefined;
      if (members !== undefined) {
        for (const member of members) {
          if (usable(member.instance) && this.random(++seen) === 0) chosenMember = member;
        }
        continue;
      }
      for (const endpoint of this.endpointsOf.get(picker) ?? []) {
        // Reservoir sampling: each usable endpoint is kept with probability 1 / (usable ones so far).
        if (usable(endpoint.instance) && this.random(++seen) === 0) chosen = endpoint;
      }
    }
    // A member of another zone has no endpoint built: one for its lease (its weight does not matter).
    if (chosenMember !== undefined) chosen = memberEndpoint(chosenMember, baseWeight(chosenMember));
    if (chosen === undefined) return undefined;
    const array = this.slab.array;
    array[chosen.loadBase + OUTSTANDING] = (array[chosen.loadBase + OUTSTANDING] as number) + 1;
    return new DiscoveryLease(this, chosen);
  }

  /**
   * Called by a lease when its call ends. Reads what it needs from the endpoint the lease holds (the
   * slab line, the health, the version's counters), not from the member behind it: in a large fleet
   * every object loaded per call is a likely cache miss.
   */
  finish(endpoint: MemberEndpoint, outcome: CallOutcome): void {
    if (!outcome.ok || outcome.overloaded) {
      this.finishBadly(endpoint, outcome);
      return;
    }
    // The hot path, kept small so V8 inlines it into the caller's loop: a plain success. A coarse
    // clock is enough for latency decay and the failure-rate window.
    const { loadBase, health } = endpoint;
    const slab = this.slab;
    const array = slab.array;
    array[loadBase + OUTSTANDING] = (array[loadBase + OUTSTANDING] as number) - 1;
    const now = coarseNow();
    // The counters of the version that served the call (even if the instance changed version since).
    VersionOutcomes.record(endpoint.outcomes, true, outcome.latencyMs);
    recordLatency(slab, loadBase, outcome.latencyMs, now);
    if (health && EndpointHealth.countCall(array, loadBase, (this.outlier as OutlierDetectionConfig).windowMs, now)) {
      health.afterSuccess(now, now - outcome.latencyMs);
    }
  }

  /** A failure or an overload reply: load for the balancer, and (failures only) a mark against health. */
  private finishBadly(endpoint: MemberEndpoint, outcome: CallOutcome): void {
    const { loadBase, health } = endpoint;
    const slab = this.slab;
    slab.array[loadBase + OUTSTANDING] = (slab.array[loadBase + OUTSTANDING] as number) - 1;
    // Never sent (the client closed the channel it waited on): says nothing about the instance.
    if (outcome.notSent === true) return;
    // The exact clock: ejection timers and rebuilds compare against it.
    const now = Date.now();
    VersionOutcomes.record(endpoint.outcomes, outcome.ok, outcome.latencyMs);
    // The id was registered again at another address while the call was in flight (a restarted
    // process under a stable id, e.g. a StatefulSet pod): the old process's failure says nothing
    // about the new one, which one refused connection used to eject. (Off the success path.)
    const current = endpoint.member.instance;
    if (current !== endpoint.instance && !sameAddress(current, endpoint.instance)) return;
    endpoint.member.load.recordPenalty(outcome.latencyMs, now);
    // Overload is load, not ill health.
    if (!health || outcome.overloaded) return;
    const ejectedForMs = health.record(outcome, now, this.mayEject(), now - outcome.latencyMs);
    // A member removed meanwhile is not ejected: it is gone.
    if (ejectedForMs !== undefined && !endpoint.member.removed) this.eject(endpoint.member, ejectedForMs);
  }

  /** Whether one more ejection stays within `maxEjectionShare` (one is always allowed). */
  private mayEject(): boolean {
    const share = (this.outlier as OutlierDetectionConfig).maxEjectionShare;
    return share >= 1 || this.ejectedCount === 0 || this.ejectedCount + 1 <= share * this.rotationCount;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.slowStartTick.cancel();
    for (const member of this.members.values()) if (member.releaseTimer) clearTimeout(member.releaseTimer);
    for (const wake of [...this.readyWaiters]) wake();
    await this.stopWatch?.();
  }

  toString(): string {
    return `Discovery(${this.service}, balancer=${this.strategy.toString()})`;
  }

  private async startWatch(): Promise<void> {
    try {
      const stop = await this.registry.watch(this.service, (event) => this.onRegistryEvent(event));
      if (this.closed) await stop();
      else this.stopWatch = stop;
      this.watchError = undefined;
      this.watchFailures.succeeded({ service: this.service }, 'switchyard discovery: watching the registry now');
    } catch (error) {
      if (this.closed) return;
      // Final answers: retrying cannot help. Thrown from here (a promise nobody awaits) this was an
      // unhandled rejection, which ends a Node process; a closed registry was retried (and warned
      // about) every second for good. Both now end the watch: ready() rejects with the error and
      // pick()'s NO_INSTANCES says why; a view already held is kept, marked stale.
      if (SwitchyardError.hasCode(error, 'INVALID_ARGUMENT') || isRegistryClosedError(error)) {
        this.failure = error as Error;
        this.logger.error(
          { err: error, service: this.service },
          'switchyard discovery: the registry refused the watch for good; not retrying',
        );
        this.setStale(true);
        for (const wake of [...this.readyWaiters]) wake();
        return;
      }
      this.watchError = error instanceof Error ? error : new Error(String(error));
      this.watchFailures.failed(
        { err: error, service: this.service },
        'switchyard discovery: cannot watch the registry yet; retrying',
      );
      this.setStale(true);
      this.retryTimer = setTimeout(() => void this.startWatch(), WATCH_RETRY_MS * (0.8 + Math.random() * 0.4));
      this.retryTimer.unref();
    }
  }

  private onRegistryEvent(event: RegistryEvent): void {
    if (this.closed) return;
    switch (event.type) {
      case 'snapshot': {
        const seen = new Set<string>();
        for (const instance of event.instances) {
          seen.add(instance.id);
          this.upsert(instance, !this.synced);
        }
        for (const id of [...this.members.keys()]) if (!seen.has(id)) this.remove(id);
        this.route = event.route;
        this.synced = true;
        // Rebuilt before anyone hears the view is fresh: told first, an onStaleChange listener that
        // picked or read instances() still got the view from before the outage (gone instances).
        this.rebuild();
        this.setStale(false);
        for (const wake of [...this.readyWaiters]) wake();
        return;
      }
      case 'up':
      case 'update':
        this.upsert(event.instance, false);
        break;
      case 'down':
        this.remove(event.id);
        break;
      case 'stale':
        this.setStale(true);
        return; // the view itself did not change
      case 'route':
        this.route = event.rule;
        break;
    }
    this.rebuild();
  }

  private upsert(instance: ServiceInstance, initial: boolean): void {
    const member = this.members.get(instance.id);
    if (member) {
      // The same content again (every resync, a registration written back) keeps the object the
      // view holds, so the rebuild sees an unchanged view and tells no one (see rebuild).
      if (sameInstance(member.instance, instance)) return;
      // Draining to up is an instance starting to take traffic: one that registered draining to warm
      // up (startService({ ready: false }) until markReady()) ramps from now. Ramped from when it
      // registered, one that warmed up for longer than the window got its full share cold at once.
      // So is a new process registered under the same id at another address before the old
      // entry expired (a restarted pod under a stable id): an update, not down + up, it took its
      // full share cold at once, where the same restart seen after the expiry ramped.
      if (
        this.slowStart &&
        instance.status === 'up' &&
        (member.instance.status !== 'up' || !sameAddress(member.instance, instance))
      ) {
        member.firstSeenAt = Date.now();
      }
      const previousVersion = member.instance.version;
      member.instance = instance;
      member.outcomes = this.outcomes.of(instance.version);
      this.outcomes.release(previousVersion); // after of(): the same version is never left unheld
      return;
    }
    const load = new EndpointLoad(this.latencyDecayMs, coarseNow, this.slab);
    const added: Member = {
      instance,
      outcomes: this.outcomes.of(instance.version),
      load,
      // Its window and flag share the load's slab line (see LoadSlab).
      health: this.outlier ? new EndpointHealth(this.outlier, this.slab, load.base) : undefined,
      firstSeenAt: initial || !this.slowStart ? Number.NEGATIVE_INFINITY : Date.now(),
    };
    this.members.set(instance.id, added);
    this.everHadMembers = true;
    const departed = this.departedHealth.get(instance.id);
    if (departed === undefined || !added.health) return;
    this.departedHealth.delete(instance.id);
    const now = Date.now();
    if (departed.forgetAt <= now) return;
    // Back under the same id: still ejected if it left while ejected, else on probation.
    const remainingMs = added.health.recall(departed.memory, now);
    if (remainingMs > 0) this.scheduleRelease(added, remainingMs);
  }

  private remove(id: string): void {
    const member = this.members.get(id);
    if (!member) return;
    if (member.releaseTimer) {
      clearTimeout(member.releaseTimer);
      member.releaseTimer = undefined;
    }
    member.removed = true;
    member.load.release();
    this.members.delete(id);
    this.outcomes.release(member.instance.version);
    const memory = member.health?.memory();
    if (memory !== undefined) this.rememberHealth(id, memory);
  }

  private rememberHealth(id: string, memory: HealthMemory): void {
    const now = Date.now();
    this.departedHealth.delete(id); // re-inserted last: the map stays in departure order
    this.departedHealth.set(id, { memory, forgetAt: now + (this.outlier as OutlierDetectionConfig).maxEjectionMs });
    for (const [oldId, departed] of this.departedHealth) {
      if (departed.forgetAt > now && this.departedHealth.size <= MAX_REMEMBERED_HEALTH) break;
      this.departedHealth.delete(oldId);
    }
  }

  private eject(member: Member, ejectedForMs: number): void {
    // A lease that ends after close() (a call still in flight) must not start a release timer,
    // rebuild, or emit onChange / onEjection on a closed discovery.
    if (this.closed) return;
    this.scheduleRelease(member, ejectedForMs);
    this.logger.warn(
      { service: this.service, id: member.instance.id, ejectedForMs },
      'switchyard discovery: outlier ejected',
    );
    this.rebuild();
    this.ejected.emit({ id: member.instance.id, ejectedForMs, ejectionCount: member.health?.ejectionCount ?? 1 });
  }

  /** Ends `member`'s ejection (it returns on probation) in `ms`. */
  private scheduleRelease(member: Member, ms: number): void {
    if (member.releaseTimer) clearTimeout(member.releaseTimer);
    member.releaseTimer = setTimeout(() => {
      member.releaseTimer = undefined;
      member.health?.release();
      if (!this.closed) this.rebuild();
    }, ms);
    member.releaseTimer.unref();
  }

  /**
   * `members` by traffic group: each A/B track and, under a route rule, each version the rule sends
   * traffic to within it (one group for the versions it sends nothing). What the subset is drawn
   * within and what draining and standbys are judged within (see rebuild).
   */
  private byTrafficGroup(members: readonly Member[]): Iterable<Member[]> {
    const route = this.route;
    const groups = new Map<string, Member[]>();
    for (const member of members) {
      const { version, metadata } = member.instance;
      const routed =
        route !== undefined &&
        version !== undefined &&
        Object.hasOwn(route.splits, version) &&
        (route.splits[version] as number) > 0;
      const key = `${metadata.track || ''}\u0000${routed ? version : ''}`;
      const group = groups.get(key);
      if (group) group.push(member);
      else groups.set(key, [member]);
    }
    return groups.values();
  }

  /**
   * The subset stage: `size` instances drawn apart within each traffic group, i.e. each track and,
   * under a route rule, each version it sends traffic to. Drawn over the whole fleet, a client's
   * subset held no instance of a small group most of the time: a 10 % canary took ~2 % of the
   * calls (only the few clients with a canary instance in their subset sent it any), a track's
   * calls went to the untracked instances, and the odd client got only canary instances and sent
   * them every call.
   *
   * Within a group it is drawn from the instances that are up whenever any of the group is (drawn
   * from all, a subset whose members were draining sent every call to them while others were up;
   * from the up ones while an instance of another group was, a version whose instances all drained
   * had none in the subset, and gave its share to the other versions), and from those of weight
   * above 0 when the group has any: a weight-0 instance (a standby, used only when nothing weighted
   * is left) stays out of the draw and in every client's candidates. Drawn with the rest, a client
   * whose subset was the standbys sent them every call, and one whose subset held a standby used a
   * single instance.
   */
  private subsetOf(subsetter: Subsetter, candidates: readonly Member[], now: number): readonly Member[] {
    const chosen = new Set<string>();
    for (const members of this.byTrafficGroup(candidates)) {
      // Up ones while the group has any (not while any instance of the service is up): a version
      // whose instances all drain keeps its share on them (see rebuild), so they must be drawn.
      const anyUp = members.some((member) => member.instance.status === 'up');
      const inRotation = anyUp ? members.filter((member) => member.instance.status === 'up') : members;
      const weighted = inRotation.filter((member) => member.instance.weight > 0);
      const drawFrom = weighted.length > 0 ? weighted : inRotation;
      // Ejected members get healthy stand-ins (see Subsetter.apply) while no more than the panic
      // threshold of the group is ejected: a subset is then in panic when its group would be, not
      // when most of this client's few members are (a subset of 3 with 2 ejected sent 2 calls in 3
      // to them while the rest of the fleet was healthy). Past it (a fault every instance shares)
      // the subset panics over its own members, rather than ejecting its way across the fleet and
      // piling every client's calls on the few instances left.
      const ejected = new Set<ServiceInstance>();
      for (const member of drawFrom) if (member.health?.isEjected(now)) ejected.add(member.instance);
      const standInsGiven =
        ejected.size > 0 && ejected.size <= (this.outlier as OutlierDetectionConfig).panicThreshold * drawFrom.length;
      const needsStandIn = standInsGiven ? (instance: ServiceInstance) => ejected.has(instance) : undefined;
      const instances = drawFrom.map((member) => member.instance);
      for (const instance of subsetter.apply(instances, needsStandIn)) chosen.add(instance.id);
      if (drawFrom === weighted) {
        for (const member of inRotation) if (member.instance.weight <= 0) chosen.add(member.instance.id);
      }
    }
    return candidates.filter((member) => chosen.has(member.instance.id));
  }

  /** Runs the selection pipeline and swaps in a new picker. */
  private rebuild(): void {
    const now = Date.now();
    let candidates: readonly Member[] = [...this.members.values()].filter((member) => this.filter(member.instance));
    // Versions the route rule sends nothing are out while one it sends traffic to has an instance
    // (whatever its state): health must not fall back on a canary rolled back to 0 %. Before the
    // subset is drawn: drawn first, a client whose subset held only the rolled-back canary found
    // no routed version in it, and sent the canary all its calls.
    candidates = withinRoute(candidates, this.route);
    if (this.subsetter) candidates = this.subsetOf(this.subsetter, candidates, now);
    // Draining instances and weight-0 standbys are judged within each traffic group (a track; a
    // version of a split): a version or an A/B arm whose instances all drain (a restart) keeps its
    // share on them, as a last resort, rather than giving it to the others. Judged over the whole
    // service, a canary at 5 % took every call while stable's only instance restarted (a canary at
    // 0 % took none: see withinRoute), and a control group's calls all went to the arm.
    const usableSet = new Set<Member>();
    const rotationSet = new Set<Member>();
    for (const group of this.byTrafficGroup(candidates)) {
      const [groupUsable, groupRotation] = inRotation(group, now);
      for (const member of groupUsable) usableSet.add(member);
      for (const member of groupRotation) rotationSet.add(member);
    }
    // In the order of the candidates, as before (the view's order, a rotating balancer's order).
    const usable = candidates.filter((member) => usableSet.has(member));
    const rotation = candidates.filter((member) => rotationSet.has(member));
    // Health is judged within the rotation, draining ones included when they are all there is:
    // when every instance drained (a fleet-wide restart, a deploy that marks all draining first),
    // one whose connection was refused (its process already gone) used to stay in the pool, and
    // took its share of calls, each failing, until its registration expired.
    const healthy = rotation.filter((member) => !member.health?.isEjected(now));
    this.rotationCount = rotation.length;
    this.ejectedCount = rotation.length - healthy.length;
    // A draining instance counts as unhealthy while one of its group is up (see README: panic threshold).
    const unhealthyShare = usable.length === 0 ? 0 : (usable.length - healthy.length) / usable.length;
    const panic = this.outlier !== undefined && unhealthyShare > this.outlier.panicThreshold;
    // Draining instances are used only when no `up` one of their group is left; panic ignores
    // ejections, never draining. A group all of whose instances are ejected (and no panic) gives its
    // calls to the others: to the other versions of its split, between an A/B arm and the
    // untracked instances (see buildTrafficGroups); the panic threshold bounds how much capacity
    // that can take away (a 1-instance canary beside 3 ejected stable instances is panic).
    const pool: readonly Member[] = panic || healthy.length === 0 ? rotation : healthy;
    // onChange is told when the view changed (and the first view), not on every rebuild: slow
    // start rebuilds the pickers every few hundred ms while it ramps, and listeners (the clients'
    // channel pools) redid their work each time for the same view. An unchanged view also keeps
    // its array, so instances() is stable between changes.
    const view = pool.map((member) => member.instance);
    const viewChanged = !this.viewTold || !sameView(view, this.view);
    if (viewChanged) this.view = view;
    let ramping = false;
    // Each traffic group (a track, a version) gets its own picker: zone preference within the
    // group, slow-start weights, then the balancer.
    const build = (members: readonly Member[]): Picker => {
      let chosen = members;
      let localWarmth = 1;
      if (this.zone) {
        const zone = this.zone.name;
        // Capacity is judged against every local instance in rotation of the group's track
        // (ejected ones included): that is what "enough of the zone is healthy" means. A draining
        // one is leaving, not failing: counted, it sent most calls out of the zone for the length
        // of every drain in a rolling restart, and back once the instance had gone.
        // The group's tracks: one, except for untracked requests in a fleet where every instance
        // has a track, whose group is all of them (counted by its first member's track alone, its
        // capacity was that track's, and it stayed in the zone on ejected capacity).
        const tracks = new Set(members.map((member) => member.instance.metadata.track ?? ''));
        const version = members[0]?.instance.version;
        const sameVersion = members.every((member) => member.instance.version === version);
        const localTotal = rotation.filter(
          (member) =>
            member.instance.zone === zone &&
            tracks.has(member.instance.metadata.track ?? '') &&
            (!sameVersion || !this.route || member.instance.version === version),
        ).length;
        // In panic the group holds ejected members too: they are not healthy capacity (counted
        // as such, two ejected local instances kept all traffic from a healthy remote one).
        const healthy = (member: Member): boolean => !member.health?.isEjected(now);
        chosen = preferZone(this.zone, members, localTotal, healthy);
        // A local zone still warming up keeps only the calls it has warm capacity for; the
        // other zones take the rest (see warmingZonePicker).
        if (this.slowStart && chosen !== members) {
          let full = 0;
          let ramped = 0;
          for (const member of chosen) {
            if (!healthy(member)) continue;
            full += baseWeight(member);
            ramped += baseWeight(member) * this.rampFactor(member, now);
          }
          if (ramped < full) localWarmth = ramped / full;
        }
      }
      const endpointOf = (member: Member): MemberEndpoint => {
        const factor = this.rampFactor(member, now);
        if (factor < 1) ramping = true;
        return memberEndpoint(member, baseWeight(member) * factor);
      };
      const endpoints = chosen.map(endpointOf);
      let picker = this.pickers.create(endpoints);
      if (localWarmth < 1 && chosen.length < members.length) {
        const others = members.filter((member) => member.instance.zone !== this.zone?.name).map(endpointOf);
        picker = warmingZonePicker(localWarmth, picker, this.pickers.create(others));
      }
      // Weakly: they go with the picker. A warming zone's are its own alone: [PICK_AMONG] draws
      // uniformly, and over the other zones' too, a retry's fallback pick left the zone 91 % of the
      // time with 3 local instances and 30 remote, whatever the zone's warmth.
      this.endpointsOf.set(picker, endpoints);
      if (this.zone) this.groupMembersOf.set(picker, members);
      return picker;
    };
    this.groups = buildTrafficGroups(pool, this.route, build);
    if (ramping) this.scheduleSlowStartTick();
    if (viewChanged) this.emitChange();
  }

  /**
   * Tells the onChange listeners the current view. A rebuild from inside a listener (one whose
   * pick() and done() ejected an instance) is told after the view being told, not in the middle of
   * it: emitted at once, the listeners after that one heard the new view and then the older one,
   * and kept it (a client's channel pools then held the ejected instance's connections open).
   */
  private emitChange(): void {
    this.viewTold = true;
    if (this.emitting) {
      this.emitAgain = true;
      return;
    }
    this.emitting = true;
    try {
      do {
        this.emitAgain = false;
        this.changed.emit(this.view);
      } while (this.emitAgain && !this.closed);
    } finally {
      this.emitting = false;
    }
  }

  /** A member's slow-start weight factor at `now`: 1 without slow start, or once ramped. */
  private rampFactor(member: Member, now: number): number {
    if (!this.slowStart || member.firstSeenAt === Number.NEGATIVE_INFINITY) return 1;
    return slowStartFactor(this.slowStart, member.firstSeenAt, now);
  }

  private scheduleSlowStartTick(): void {
    if (!this.slowStart || this.slowStartTick.pending) return;
    this.slowStartTick.arm(
      () => {
        if (!this.closed) this.rebuild();
      },
      Math.max(50, this.slowStart.windowMs / 20),
    );
  }

  private setStale(stale: boolean): void {
    if (this.isStale === stale) return;
    this.isStale = stale;
    this.staleChanged.emit(stale);
  }
}

/**
 * Within one traffic group: the members it may use (`usable`: its weighted ones, or its standbys
 * of weight 0 once none of those serves) and those in rotation (the usable ones that are up; all
 * of them, draining, when none is up).
 */
function inRotation(
  candidates: readonly Member[],
  now: number,
): [usable: readonly Member[], rotation: readonly Member[]] {
  // Weight 0 means "send nothing" unless nothing else is left; a draining instance does not count
  // as something else while any instance is up (it is leaving: weighing it first sent every call
  // to a draining instance while an up one of weight 0 stood by).
  // Nor does an ejected one: with every weighted instance ejected (a primary whose connection
  // was refused), its standby of weight 0 sat idle while panic sent every call to the dead one.
  const weighted = candidates.filter((member) => member.instance.weight > 0);
  const weightedUp = weighted.some((member) => member.instance.status === 'up');
  const anyUp = weightedUp || candidates.some((member) => member.instance.status === 'up');
  const serving = (member: Member): boolean => member.instance.status === 'up' && !member.health?.isEjected(now);
  const weightedServing = weighted.some(serving);
  // Once no weighted instance serves and a standby does, the weighted ones that are up are all
  // ejected: they leave the rotation as the standbys did while one served. Left in, they counted
  // as unhealthy against the standby: two ejected primaries beside one standby were 2 of 3, panic,
  // and the ejected pair took nearly every call (the standby's weight of 1 against theirs).
  const usable =
    weighted.length > 0 && (weightedServing || ((weightedUp || !anyUp) && !candidates.some(serving)))
      ? weighted
      : weightedUp
        ? candidates.filter((member) => member.instance.weight <= 0 || member.instance.status !== 'up')
        : candidates;
  const up = usable.filter((member) => member.instance.status === 'up');
  // In rotation: the instances that are up (draining ones only when none is).
  return [usable, up.length > 0 ? up : usable];
}

/** The endpoint of `member` for its picker (or a lease), at `weight`. */
function memberEndpoint(member: Member, weight: number): MemberEndpoint {
  return {
    instance: member.instance,
    weight,
    stats: member.load,
    member,
    loadBase: member.load.base,
    health: member.health,
    outcomes: member.outcomes,
  };
}

/** An endpoint that remembers its member, so `done()` needs no lookup. */
interface MemberEndpoint extends Endpoint {
  readonly member: Member;
  /** `member.load.base`: its line in the discovery's slab. */
  readonly loadBase: number;
  /** `member.health`. */
  readonly health: EndpointHealth | undefined;
  /** `member.outcomes` when the endpoint was built (the version a lease's call went to). */
  readonly outcomes: VersionOutcome;
}

class DiscoveryLease implements Lease {
  private finished = false;
  constructor(
    private readonly discovery: WatchingDiscovery,
    private readonly endpoint: MemberEndpoint,
  ) {}

  get instance(): ServiceInstance {
    return this.endpoint.instance;
  }

  done(outcome: CallOutcome): void {
    if (this.finished) return;
    this.finished = true;
    const latencyMs = outcome?.latencyMs;
    // One comparison on the hot path; NaN fails it too.
    if (latencyMs >= 0 && latencyMs <= MAX_LATENCY_MS) {
      this.discovery.finish(this.endpoint, outcome);
      return;
    }
    this.finishInvalid(outcome);
  }

  /**
   * An outcome without a usable latency. A NaN or infinite sample would stay in the instance's
   * latency average for good and make p2c's comparisons always false (the instance then wins every
   * draw it is in): the call still ends and its ok / failure still counts, with the latency clamped.
   * Not even an object: the call ends as a plain success, and the caller hears what was wrong.
   */
  private finishInvalid(outcome: CallOutcome): void {
    if (typeof outcome !== 'object' || outcome === null) {
      this.discovery.finish(this.endpoint, { ok: true, latencyMs: 0 });
      throw new InvalidArgumentError('outcome', 'must be { ok, latencyMs } (lease.done)');
    }
    const latencyMs = outcome.latencyMs > MAX_LATENCY_MS ? MAX_LATENCY_MS : 0;
    this.discovery.finish(this.endpoint, { ...outcome, latencyMs });
  }
}

/** Whether two versions of an instance point at the same process address (host and ports). */
function sameAddress(a: ServiceInstance, b: ServiceInstance): boolean {
  if (a.host !== b.host) return false;
  const ports = Object.keys(a.ports);
  if (ports.length !== Object.keys(b.ports).length) return false;
  for (const name of ports) if (a.ports[name] !== b.ports[name]) return false;
  return true;
}

/** Latency samples are clamped to an hour: beyond that a sample is a clock slip, not a measurement. */
const MAX_LATENCY_MS = 3_600_000;

/**
 * A member's weight before slow start. The floor of 1 is for weight-0 instances (used only when
 * nothing weighted is left); it comes before the ramp factor, which it used to undo (weight 1 ×
 * 0.1 back to 1: no ramp at all).
 */
function baseWeight(member: Member): number {
  return Math.max(1, member.instance.weight);
}
