import {
  ClockBoundTimeout,
  type Logger,
  type RegistryUnavailableError,
  type RouteRule,
  type ServiceInstance,
  SwitchyardError,
} from '@switchyard/core';
import { ListenerSet } from '../listeners.js';
import type { RegistryEvent, RegistryListener } from '../registry.js';
import { WatchState } from '../watch-state.js';
import { type ChangeMessage, decodeMessage } from './decode.js';
import type { ServiceKeys } from './keys.js';
import type { WarnOnce } from './warn-once.js';

/** What a {@link ServiceWatch} needs from its registry. */
export interface ServiceWatchContext {
  service: string;
  keys: ServiceKeys;
  logger: Logger;
  warnings: WarnOnce;
  sweepIntervalMs: number;
  resyncIntervalMs: number;
  /**
   * Reads the full state: the revision, the live instances and the route ('malformed' keeps the
   * previous one). `routeMissing`: the backend holds no route at all, not even a cleared one (it was
   * never set, or Redis lost it).
   */
  list(): Promise<{
    rev: number;
    instances: ServiceInstance[];
    route: RouteRule | undefined | 'malformed';
    routeMissing: boolean;
  }>;
  /**
   * Writes `rule` back only if the backend holds no route at all: 'restored' it did; 'present' a rule
   * or a clear is there (written since the list); 'refused' it may not write (no retry can help).
   * Rejects when it could not be sent (an outage: try again later).
   */
  restoreRoute(rule: RouteRule): Promise<'restored' | 'present' | 'refused'>;
  /** Reads only the revision (the cheap periodic check). */
  readRev(): Promise<number>;
  /**
   * Removes expired entries, publishing their `down` events. `watching` reads false once the watch
   * has stopped: a sweep under way then sends nothing more (see {@link forgetSweeps}).
   */
  sweep(watching: () => boolean): Promise<void>;
  /** Removes the mark this watcher's sweeps left (it stops sweeping). */
  forgetSweeps(): Promise<void>;
  subscribe(): Promise<void>;
  unsubscribe(): Promise<void>;
}

const RETRY_AFTER_FAILURE_MS = 1_000;
/** After an outage, how long instances missing from the first list are kept (they rewrite themselves). */
const RESTORE_GRACE_MS = 3_000;

/**
 * The one subscription a registry keeps per watched service, shared by all its listeners.
 *
 * Consistency: every change bumps the service's revision and its message carries it. The watch
 * subscribes first, then lists (which returns the revision it saw), so messages racing the list
 * are applied only if newer. A gap in revisions, a malformed message, a reconnect or a periodic
 * revision mismatch triggers a resync, so a missed message is always repaired.
 */
export class ServiceWatch {
  private readonly state = new WatchState();
  private readonly listeners: ListenerSet<[RegistryEvent]>;
  private rev = -1;
  private synced = false;
  private stale = false;
  private closed = false;
  private buffered: ChangeMessage[] = [];
  private resyncing: Promise<void> | undefined;
  /** A resync was asked for while one was in flight: run another when it ends. */
  private resyncAgain = false;
  /** Redis lost its data without a reconnect (flushed): the revision count began again or went back. */
  private dataLost = false;
  /** A route rule Redis lost that this watch is writing back (or will try again to, after a failure). */
  private routeToRestore: RouteRule | undefined;
  private restoringRoute: Promise<void> | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  /**
   * The grace period after an outage (see withMissingKept), bound to its clock: one whose timer a
   * test suite's fake clock (`vi.useFakeTimers()`) dropped never ended, and every later list kept
   * the instances it lacked (one deregistered meanwhile stayed in the view for good).
   */
  private readonly grace = new ClockBoundTimeout();
  readonly started: Promise<void>;

  constructor(private readonly context: ServiceWatchContext) {
    this.listeners = new ListenerSet(context.logger, `watch ${context.service}`);
    this.started = this.start();
  }

  get listenerCount(): number {
    return this.listeners.size;
  }

  /** Adds a listener after the first sync: it receives the current snapshot (and `stale` if so) at once. */
  addListener(listener: RegistryListener): () => void {
    ListenerSet.call(this.context.logger, 'watch', listener, [this.state.snapshot()]);
    if (this.stale) ListenerSet.call(this.context.logger, 'watch', listener, [this.staleEvent]);
    return this.listeners.add(listener);
  }

  /** Routes one raw message from the channel. */
  onMessage(raw: string): void {
    // Closed: its listeners have heard their last event. A registry closing with watches open used
    // to deliver its own deregistrations' `down` after the final `stale` it promises nothing follows.
    if (this.closed) return;
    const message = decodeMessage(this.context.service, raw, this.context.warnings);
    if (!message) {
      this.requestResync();
      return;
    }
    // Until the first list, and while a list is in flight, messages wait: applied now, they
    // would be undone when the (older) list replaces the view.
    if (!this.synced || this.resyncing) {
      this.buffered.push(message);
      return;
    }
    this.apply(message);
  }

  /** The backend connection was lost: keep the last view, tell listeners it is stale. */
  onConnectionLost(error: RegistryUnavailableError): void {
    if (this.closed || this.stale) return;
    this.stale = true;
    this.staleEvent = { type: 'stale', error };
    this.listeners.emit(this.staleEvent);
  }

  /** The backend connection is back: resynchronise (which ends the stale period). */
  onConnectionRestored(): void {
    this.requestResync();
  }

  /**
   * Stops the watch. `endedBy` (the registry is closing under listeners that never stopped): they
   * hear a last `stale`, so that a view nobody keeps current any more says so (a discovery left on
   * a closed registry served its frozen view as fresh, for good).
   */
  async close(endedBy?: RegistryUnavailableError): Promise<void> {
    if (endedBy && !this.closed && !this.stale && this.synced) {
      this.stale = true;
      this.staleEvent = { type: 'stale', error: endedBy };
      this.listeners.emit(this.staleEvent);
    }
    this.closed = true;
    for (const timer of [this.sweepTimer, this.resyncTimer, this.retryTimer]) if (timer) clearTimeout(timer);
    this.grace.cancel();
    // Both at once: they go over two connections (pub/sub and commands), and against a hung Redis
    // each waits a command timeout; one after the other, closing a watch took two.
    await Promise.all([
      this.context.unsubscribe().catch(() => undefined),
      // Reads after the last watcher left would otherwise take its old mark for a Redis stall.
      this.context.forgetSweeps().catch(() => undefined),
    ]);
  }

  private staleEvent: RegistryEvent = { type: 'snapshot', instances: [] };

  private async start(): Promise<void> {
    await this.context.subscribe();
    await this.resync();
    this.schedule('sweep');
    this.schedule('resync');
  }

  private apply(message: ChangeMessage): void {
    const { event, gap } = this.absorb(message);
    if (event) this.listeners.emit(event);
    if (gap) this.requestResync();
  }

  /** Applies a message newer than the view to it: the event it makes, and whether revisions were skipped. */
  private absorb(message: ChangeMessage): { event: RegistryEvent | undefined; gap: boolean } {
    if (message.rev <= this.rev) return { event: undefined, gap: false }; // already part of the view
    // A count's first change follows a view listed without one (revision 0) directly; after any
    // other view it means the count was lost (Redis flushed or restarted): a gap.
    const gap = message.rev > this.rev + 1 && !(message.first === true && this.rev === 0);
    if (message.first === true && this.rev > 0) this.dataLost = true;
    this.rev = message.rev;
    let event: RegistryEvent | undefined;
    if (message.type === 'down') event = this.state.remove(message.id, message.reason);
    else if (message.type === 'route') {
      // Someone wrote the route since (a rule, a clear, or another watcher's restore): theirs stands.
      this.routeToRestore = undefined;
      event = message.malformed ? undefined : this.state.setRoute(message.rule);
    } else event = this.state.put(message.instance);
    return { event, gap };
  }

  private requestResync(): void {
    if (this.closed) return;
    // One in flight may have listed before the reason for this request: list again after it.
    if (this.resyncing) {
      this.resyncAgain = true;
      return;
    }
    this.resync().catch(() => undefined);
  }

  /** Lists the service and emits a snapshot when it differs from the view (or a stale period ends). */
  private resync(): Promise<void> {
    if (this.resyncing) return this.resyncing;
    this.resyncing = (async () => {
      try {
        const listed = await this.context.list();
        // Closed while listing (a reconnect or a revision check had asked for it): a snapshot now,
        // after the final `stale`, told a discovery its frozen view was fresh again.
        if (this.closed) return;
        const { rev, instances } = listed;
        // Back from an outage, Redis may have restarted empty: live instances write themselves
        // back within moments (their registrations heartbeat on reconnect), but a list taken first
        // would drop them. So after a stale period, instances missing from the list are kept for
        // a grace period, by every list taken during it (a revision check or a message gap can
        // trigger more than one), and a resync after it decides. The same after Redis lost its
        // data with no reconnect to show it (FLUSHALL): the revision count began again (a `first`
        // message after a counted view) or went back. The list that found that out used to drop
        // every live instance but the first to write itself back, until each one's next heartbeat.
        const lostData = this.dataLost || (this.synced && rev < this.rev);
        this.dataLost = false;
        const afterOutage = this.stale || lostData;
        const keepMissing = afterOutage || this.grace.armed;
        const route = this.routeAfter(listed, afterOutage);
        let changed = this.state.replace(keepMissing ? this.withMissingKept(instances, afterOutage) : instances);
        if (route !== 'malformed' && this.state.setRoute(route)) changed = true;
        const wasStale = this.stale;
        this.rev = rev;
        this.stale = false;
        const firstSync = !this.synced;
        this.synced = true;
        // Messages that came while listing: the newer ones go into the view before it is announced,
        // so one snapshot carries them (a list racing an owner's write-back must not drop it).
        const pending = this.buffered;
        this.buffered = [];
        for (const message of pending) {
          const { event, gap } = this.absorb(message);
          if (event) changed = true;
          if (gap) this.resyncAgain = true;
        }
        if (!firstSync && (changed || wasStale)) this.listeners.emit(this.state.snapshot());
      } catch (error) {
        this.resyncAgain = false; // the retry below lists again anyway
        this.dropBuffered();
        if (!this.synced) throw error;
        if (SwitchyardError.hasCode(error, 'DATA_LOSS')) {
          // Redis answered, about bad data (a key of the wrong type): no outage to wait out, and
          // nothing will mend it but an operator, so say so (once), not only at debug level. The
          // view is kept meanwhile, and the retries below pick up the repair.
          this.context.warnings.warn(
            `resync:${this.context.service}:data`,
            { service: this.context.service, error: (error as Error).message },
            `switchyard registry: cannot read ${this.context.service}; keeping the last view until its data is repaired`,
          );
        } else
          this.context.logger.debug(
            { err: error, service: this.context.service },
            'switchyard registry: resync failed; retrying',
          );
        // One retry pending at a time: a resync asked for while one was pending (a reconnect, a
        // gap, a revision check) that failed too used to arm a timer beside it, and each timer's
        // failed list armed the next, so every such request left a loop of one list a second for as
        // long as lists failed (a key of the wrong type: until an operator repaired it).
        if (this.retryTimer) clearTimeout(this.retryTimer);
        this.retryTimer = setTimeout(() => this.requestResync(), RETRY_AFTER_FAILURE_MS);
        this.retryTimer.unref();
      } finally {
        this.resyncing = undefined;
        if (this.resyncAgain) {
          this.resyncAgain = false;
          this.requestResync();
        }
      }
    })();
    return this.resyncing;
  }

  /**
   * The route a list shows, or the rule Redis lost, which this watch then writes back. Redis holds
   * no route at all (not even a cleared one, which leaves an empty value) only when none was ever
   * set or its data was lost: a restart without persistence, a flush. Instances write themselves
   * back then, but a rule is configuration that nobody rewrote: a canary rolled back to 0 % came
   * back at its share of the instances. So after an outage or a loss (never on an ordinary resync),
   * a watch whose view held a rule writes that rule back if Redis still holds none: of many watchers
   * racing, one writes, and a rule set or cleared since the loss stays. Its view keeps the rule
   * meanwhile (no flap to the instance-count split and back). A write that fails (Redis gone again,
   * out of memory) is tried again while Redis holds no rule and nobody wrote one.
   */
  private routeAfter(
    listed: Awaited<ReturnType<ServiceWatchContext['list']>>,
    afterOutage: boolean,
  ): RouteRule | undefined | 'malformed' {
    if (!listed.routeMissing) {
      this.routeToRestore = undefined;
      return listed.route;
    }
    const rule = this.routeToRestore ?? (afterOutage ? this.state.route : undefined);
    if (rule === undefined) return listed.route;
    this.routeToRestore = rule;
    // Not awaited: the resync goes on (and ends a stale period) without waiting for the write.
    this.restoringRoute ??= this.restoreRoute(rule).finally(() => {
      this.restoringRoute = undefined;
    });
    return rule;
  }

  /** Writes back a rule Redis lost (see {@link routeAfter}). */
  private async restoreRoute(rule: RouteRule): Promise<void> {
    let outcome: 'restored' | 'present' | 'refused';
    try {
      outcome = await this.context.restoreRoute(rule);
    } catch (error) {
      if (this.closed || this.routeToRestore !== rule) return;
      this.context.logger.debug(
        { err: error, service: this.context.service },
        'switchyard registry: writing back a lost route rule failed; retrying',
      );
      if (this.retryTimer) clearTimeout(this.retryTimer);
      this.retryTimer = setTimeout(() => this.requestResync(), RETRY_AFTER_FAILURE_MS);
      this.retryTimer.unref();
      return;
    }
    if (outcome === 'restored') {
      this.context.logger.warn(
        { service: this.context.service, rule },
        `switchyard registry: Redis lost the route rule of ${this.context.service} (a restart without persistence, or a flush); wrote back the last one known`,
      );
    }
    // A route message came meanwhile (ours, or someone's rule, clear or restore): it decides.
    if (this.routeToRestore !== rule) return;
    this.routeToRestore = undefined;
    // 'present': written since the list, or by hand: read what is there. 'refused': what Redis holds (none) stands.
    if (outcome !== 'restored') this.requestResync();
  }

  /**
   * Forgets the messages held for a list that failed. The next list is taken later, so Redis shows
   * every one of them to it (and absorb() would skip them as older than that list). Kept instead,
   * they piled up for as long as lists failed while writers kept publishing (pub/sub has its own
   * connection): one more per change, until a list got through. What they would have told beyond
   * the view, Redis having lost its count (a `first` message after a counted view), is kept.
   */
  private dropBuffered(): void {
    for (const message of this.buffered) {
      if (message.first === true && message.rev > this.rev && this.rev > 0) this.dataLost = true;
    }
    this.buffered = [];
  }

  /**
   * The listed instances plus the current ones the list lacks. Starts the grace period (a fresh one
   * after a new outage; during one, its end stays where it was, so repeated lists cannot stretch
   * it) and, at its end, the deciding resync.
   */
  private withMissingKept(listed: readonly ServiceInstance[], afterOutage: boolean): ServiceInstance[] {
    const ids = new Set(listed.map((instance) => instance.id));
    const missing = [...this.state.instances.values()].filter((instance) => !ids.has(instance.id));
    if (missing.length === 0) return [...listed];
    // One armed under another clock (see grace) is armed again, for a whole period.
    if (this.grace.pending && !afterOutage) return [...listed, ...missing];
    // If a resync is in flight when it ends, it decides: whether to keep is read when its list returns.
    this.grace.arm(() => this.requestResync(), RESTORE_GRACE_MS);
    return [...listed, ...missing];
  }

  private schedule(kind: 'sweep' | 'resync'): void {
    if (this.closed) return;
    const base = kind === 'sweep' ? this.context.sweepIntervalMs : this.context.resyncIntervalMs;
    const timer = setTimeout(
      () => {
        const work = kind === 'sweep' ? this.context.sweep(() => !this.closed) : this.checkRevision();
        work.catch(() => undefined).finally(() => this.schedule(kind));
      },
      base * (0.8 + Math.random() * 0.4),
    );
    timer.unref();
    if (kind === 'sweep') this.sweepTimer = timer;
    else this.resyncTimer = timer;
  }

  private async checkRevision(): Promise<void> {
    const rev = await this.context.readRev();
    if (rev !== this.rev) this.requestResync();
  }
}
