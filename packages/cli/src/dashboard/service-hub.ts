import { type Logger, type RouteRule, type ServiceInstance, silentLogger, validateServiceName } from '@switchyard/core';
import type { CanaryRecord, Registry, RegistryEvent } from '@switchyard/registry';
import { sortInstances } from '../format/instance.js';
import type { LeaseInspector } from '../registry/lease-inspector.js';
import { type InstanceView, withLeases } from '../registry/instance-views.js';

/** What the dashboard shows of one service. */
export interface ServiceView {
  readonly service: string;
  /** True while the registry is unreachable: the instances are the last known view. */
  readonly stale: boolean;
  readonly route: RouteRule | null;
  /**
   * The service's canary record (where its canary release stands, written by the canary
   * controller), or null when there is none, it cannot be read, or the registry keeps none. It is
   * not pushed: it is read when the service is first watched and then every `leaseRefreshMs`.
   * While stale, the last one read; its `ownerLeaseMs` is as of that read.
   */
  readonly canary: CanaryRecord | null;
  readonly instances: readonly InstanceJson[];
}

/** An instance as sent to the page: unknown values are `null`, so every key is present. */
export type InstanceJson = Omit<InstanceView, 'ageMs' | 'expiresInMs' | 'lastHeartbeatAgoMs'> & {
  readonly ageMs: number | null;
  readonly expiresInMs: number | null;
  readonly lastHeartbeatAgoMs: number | null;
};

/** A change the hub announces. */
export type HubChange =
  | { readonly type: 'service'; readonly view: ServiceView }
  | { readonly type: 'removed'; readonly service: string }
  | { readonly type: 'status'; readonly registryError: string | null };

/** Options of {@link ServiceHub}. */
export interface ServiceHubOptions {
  readonly registry: Registry;
  /** For instance ages and lease expiry; without it they are `null`. */
  readonly inspector?: LeaseInspector | undefined;
  /** How often the service list is re-read (new services also arrive by a pushed hint). @default 1_000 */
  readonly servicesPollMs?: number;
  /** How often ages and lease expiries are re-read and re-sent. @default 2_000 */
  readonly leaseRefreshMs?: number;
  /** Told (at warn level) of a service that cannot be watched, and so is left out. @default silentLogger */
  readonly logger?: Logger;
}

/** Defaults of {@link ServiceHubOptions}. */
export const DEFAULT_SERVICE_HUB_OPTIONS = Object.freeze({ servicesPollMs: 1_000, leaseRefreshMs: 2_000 });

interface Entry {
  readonly instances: Map<string, ServiceInstance>;
  route: RouteRule | undefined;
  /** The canary record as last read (see ServiceView.canary). */
  canary: CanaryRecord | undefined;
  stale: boolean;
  view: ServiceView | undefined;
  /** When `view` was built (performance.now()), to carry ages over while stale. */
  viewBuiltAt: number;
  stop: (() => Promise<void>) | undefined;
  refreshing: Promise<void> | undefined;
  dirty: boolean;
}

/**
 * Every service of the registry, kept live from registry watches: one watch per service, started
 * when the service appears (a pushed hint from Redis, or the periodic service list), ended when the
 * service has no instance left. Each change is announced as the service's complete view, with ages
 * and lease expiry read from Redis, so a page can simply replace what it shows.
 */
export class ServiceHub {
  private readonly options: Required<Omit<ServiceHubOptions, 'inspector'>> & Pick<ServiceHubOptions, 'inspector'>;
  private readonly entries = new Map<string, Entry>();
  private readonly starting = new Set<string>();
  /** Services whose watch failed to start, with the error last logged for each (retried every poll). */
  private readonly unwatchable = new Map<string, string>();
  private readonly listeners = new Set<(change: HubChange) => void>();
  private registryError: string | null = null;
  private timers: NodeJS.Timeout[] = [];
  private stopActivity: (() => Promise<void>) | undefined;
  private closed = false;

  constructor(options: ServiceHubOptions) {
    this.options = { ...DEFAULT_SERVICE_HUB_OPTIONS, ...options, logger: options.logger ?? silentLogger };
  }

  /**
   * Reads the service list and starts watching every service. Rejects if the registry is
   * unreachable (the service list cannot be read); a service that cannot be watched (say, a key of
   * the wrong type under its name) is left out with a warning, and tried again at every poll.
   */
  async start(): Promise<void> {
    await this.refreshServices(true);
    this.stopActivity = await this.options.inspector
      ?.onServiceActivity((service) => void this.ensureWatched(service))
      .catch(() => undefined);
    this.timers.push(
      setInterval(() => void this.refreshServices(false), this.options.servicesPollMs),
      setInterval(() => {
        // The canary record is read here, not in the refresh: it is not pushed, so a change of
        // instances need not wait on it, and a burst of changes is announced as quickly as before.
        for (const [service, entry] of this.entries)
          void this.readCanary(service, entry).then(() => this.scheduleRefresh(service));
      }, this.options.leaseRefreshMs),
    );
    for (const timer of this.timers) timer.unref();
  }

  /** The current views, sorted by service name. */
  views(): ServiceView[] {
    return [...this.entries.values()]
      .map((entry) => entry.view)
      .filter((view): view is ServiceView => view !== undefined)
      .sort((a, b) => (a.service < b.service ? -1 : 1));
  }

  /** One service's view. */
  view(service: string): ServiceView | undefined {
    return this.entries.get(service)?.view;
  }

  /** The last error reading the service list, or null while the registry answers. */
  get lastRegistryError(): string | null {
    return this.registryError;
  }

  /** Subscribes to changes; returns the unsubscribe function. */
  onChange(listener: (change: HubChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    await this.stopActivity?.();
    await Promise.all([...this.entries.values()].map((entry) => entry.stop?.().catch(() => undefined)));
    this.entries.clear();
    this.listeners.clear();
  }

  private async refreshServices(initial: boolean): Promise<void> {
    let services: string[];
    try {
      services = await this.options.registry.services();
    } catch (error) {
      if (initial) throw error;
      this.setRegistryError(error instanceof Error ? error.message : String(error));
      return;
    }
    this.setRegistryError(null);
    await Promise.all(services.map((service) => this.ensureWatched(service)));
    const live = new Set(services);
    for (const service of this.unwatchable.keys()) if (!live.has(service)) this.unwatchable.delete(service);
    for (const [service, entry] of this.entries) {
      // A service whose last instance left: stop watching it (it comes back with a hint or the next poll).
      if (!live.has(service) && entry.instances.size === 0 && !entry.stale) void this.unwatch(service);
    }
  }

  private async ensureWatched(service: string): Promise<void> {
    if (this.closed || this.entries.has(service) || this.starting.has(service)) return;
    try {
      validateServiceName(service);
    } catch {
      return; // a foreign channel or key: not ours to show
    }
    this.starting.add(service);
    const entry: Entry = {
      instances: new Map(),
      route: undefined,
      canary: undefined,
      stale: false,
      view: undefined,
      viewBuiltAt: 0,
      stop: undefined,
      refreshing: undefined,
      dirty: false,
    };
    try {
      entry.stop = await this.options.registry.watch(service, (event) => this.apply(service, entry, event));
      if (this.closed) {
        await entry.stop();
        return;
      }
      this.entries.set(service, entry);
      this.unwatchable.delete(service);
      await this.readCanary(service, entry);
      await this.scheduleRefresh(service);
    } catch (error) {
      // One service's failure used to fail the whole start: one corrupt service hid every other.
      this.warnUnwatchable(service, error);
    } finally {
      this.starting.delete(service);
    }
  }

  /** Logs that `service` is left out, once per service and error (it is retried every poll). */
  private warnUnwatchable(service: string, error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    if (this.closed || this.unwatchable.get(service) === message) return;
    this.unwatchable.set(service, message);
    this.options.logger.warn({ service, error: message }, 'left out until it can be watched');
  }

  private async unwatch(service: string): Promise<void> {
    const entry = this.entries.get(service);
    if (!entry) return;
    this.entries.delete(service);
    await entry.stop?.().catch(() => undefined);
    this.emit({ type: 'removed', service });
  }

  private apply(service: string, entry: Entry, event: RegistryEvent): void {
    switch (event.type) {
      case 'snapshot':
        entry.instances.clear();
        for (const instance of event.instances) entry.instances.set(instance.id, instance);
        entry.route = event.route;
        entry.stale = false;
        break;
      case 'up':
      case 'update':
        entry.instances.set(event.instance.id, event.instance);
        break;
      case 'down':
        entry.instances.delete(event.id);
        break;
      case 'route':
        entry.route = event.rule;
        break;
      case 'stale':
        entry.stale = true;
        break;
    }
    // The first snapshot arrives before the entry is registered; ensureWatched refreshes it then.
    if (this.entries.get(service) === entry) void this.scheduleRefresh(service);
  }

  /** Rebuilds a service's view (reading lease info) and announces it; coalesces bursts of events. */
  private scheduleRefresh(service: string): Promise<void> {
    const entry = this.entries.get(service);
    if (!entry) return Promise.resolve();
    if (entry.refreshing) {
      entry.dirty = true;
      return entry.refreshing;
    }
    entry.refreshing = (async () => {
      do {
        entry.dirty = false;
        const instances = sortInstances([...entry.instances.values()]);
        const views = entry.stale
          ? instances.map((instance) => carriedOver(instance, entry))
          : await withLeases(this.options.inspector, service, instances);
        if (entry.dirty) continue; // changed while reading: read again before announcing
        entry.viewBuiltAt = performance.now();
        entry.view = {
          service,
          stale: entry.stale,
          route: entry.route ?? null,
          canary: entry.canary ?? null,
          instances: views.map((view) => ({
            ...view,
            ageMs: view.ageMs ?? null,
            expiresInMs: view.expiresInMs ?? null,
            lastHeartbeatAgoMs: view.lastHeartbeatAgoMs ?? null,
          })),
        };
        if (this.entries.get(service) === entry) this.emit({ type: 'service', view: entry.view });
      } while (entry.dirty);
    })().finally(() => {
      entry.refreshing = undefined;
      // A change that came after the loop's last check but before this ran was only marked dirty
      // (refreshing was still set): without this it waited for the next lease refresh (2 s by default).
      if (entry.dirty) void this.scheduleRefresh(service);
    });
    return entry.refreshing;
  }

  /**
   * Re-reads the service's canary record into `entry` (best effort: one that cannot be read now
   * keeps the last one read; the registry's own warning names a malformed one). Not while stale:
   * the registry is unreachable, and the view keeps the last one read.
   */
  private async readCanary(service: string, entry: Entry): Promise<void> {
    const { registry } = this.options;
    if (entry.stale || typeof registry.getCanary !== 'function') return;
    try {
      entry.canary = await registry.getCanary(service);
    } catch {
      // unreachable or unreadable for now: the service's stale marking speaks for an outage
    }
  }

  private setRegistryError(error: string | null): void {
    if (this.registryError === error) return;
    this.registryError = error;
    this.emit({ type: 'status', registryError: error });
  }

  private emit(change: HubChange): void {
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch {
        // a broken listener (a closed response) must not stop the others
      }
    }
  }
}

/**
 * While the registry is unreachable nothing can be read: an instance keeps its last known age
 * (advanced by the time since), and its lease expiry and last heartbeat are unknown.
 */
function carriedOver(instance: ServiceInstance, entry: Entry): InstanceView {
  const previous = entry.view?.instances.find((candidate) => candidate.id === instance.id);
  const ageMs =
    previous?.ageMs === null || previous?.ageMs === undefined
      ? undefined
      : previous.ageMs + Math.round(performance.now() - entry.viewBuiltAt);
  return { ...instance, ageMs, expiresInMs: undefined, lastHeartbeatAgoMs: undefined };
}
