import type { RouteRule, ServiceInstance } from '@switchyard/core';
import { CANARY_RECORD_TTL_MS, type StoredCanaryRecord } from '../canary-record.js';
import type { RegistryEvent } from '../registry.js';
import { WatchState } from '../watch-state.js';

interface Entry {
  instance: ServiceInstance;
  generation: number;
  /** Told when a new generation takes the id over (so its registration turns lost at once). */
  onReplaced: (() => void) | undefined;
}

/**
 * The shared state behind one or more {@link MemoryRegistry} clients: instances per service and the
 * watchers to tell. Several registries over one store behave like several processes over one Redis.
 */
export class MemoryStore {
  private readonly entries = new Map<string, Map<string, Entry>>();
  private readonly states = new Map<string, WatchState>();
  private readonly watchers = new Map<string, Set<(event: RegistryEvent) => void>>();
  private nextGeneration = 1;

  /**
   * Writes an entry; returns its generation. A new generation replaces any older owner of the id,
   * whose `onReplaced` is then called (after this write, as Redis would tell it on its next beat).
   */
  put(instance: ServiceInstance, generation?: number, onReplaced?: () => void): number {
    const gen = generation ?? this.nextGeneration++;
    const entries = this.serviceEntries(instance.service);
    const previous = entries.get(instance.id);
    const sameOwner = previous?.generation === gen;
    entries.set(instance.id, { instance, generation: gen, onReplaced: sameOwner ? previous.onReplaced : onReplaced });
    this.publish(instance.service, this.state(instance.service).put(instance));
    if (previous && !sameOwner && previous.onReplaced) queueMicrotask(previous.onReplaced);
    return gen;
  }

  /** The generation that owns `id`, if any. */
  owner(service: string, id: string): number | undefined {
    return this.entries.get(service)?.get(id)?.generation;
  }

  /** Removes the entry when `generation` still owns it. */
  remove(service: string, id: string, generation: number): boolean {
    const entries = this.entries.get(service);
    if (entries?.get(id)?.generation !== generation) return false;
    entries.delete(id);
    this.publish(service, this.state(service).remove(id, 'deregistered'));
    this.forgetIfIdle(service);
    return true;
  }

  /**
   * Sets (or with `undefined` clears) the service's route rule and tells its watchers. Unchecked:
   * MemoryRegistry validates.
   */
  setRoute(service: string, rule: RouteRule | undefined): void {
    this.publish(service, this.state(service).setRoute(rule));
    this.forgetIfIdle(service);
  }

  /** The service's route rule, if one is set. */
  getRoute(service: string): RouteRule | undefined {
    return this.states.get(service)?.route;
  }

  /**
   * Canary records per service, apart from the rest: a record outlives the service's instances and
   * rule (a rolled-back release must be remembered while nothing of it runs), as it does in Redis.
   */
  private readonly canaries = new Map<string, StoredCanaryRecord>();

  /** The service's canary record as stored, unless it expired (30 days after its last write, as in Redis). */
  getCanary(service: string, now: number): StoredCanaryRecord | undefined {
    const record = this.canaries.get(service);
    if (record !== undefined && now - record.updatedAt >= CANARY_RECORD_TTL_MS) this.canaries.delete(service);
    return this.canaries.get(service);
  }

  /** Stores (or with `undefined` removes) the service's canary record. Unchecked: MemoryRegistry validates. */
  setCanary(service: string, record: StoredCanaryRecord | undefined): void {
    if (record === undefined) this.canaries.delete(service);
    else this.canaries.set(service, record);
  }

  /** The service's instances now (a new array; empty for an unknown service). */
  list(service: string): ServiceInstance[] {
    return [...(this.entries.get(service)?.values() ?? [])].map((entry) => entry.instance);
  }

  /**
   * Services with an instance, and those with none left that still hold a route rule (as the Redis
   * registry's index keeps them: the rule applies again as soon as an instance comes back).
   */
  services(): string[] {
    const names = new Set<string>();
    for (const [service, entries] of this.entries) if (entries.size > 0) names.add(service);
    for (const [service, state] of this.states) if (state.route !== undefined) names.add(service);
    return [...names].sort();
  }

  /** Adds a watcher; it immediately receives a snapshot. */
  watch(service: string, listener: (event: RegistryEvent) => void): () => void {
    const set = this.watchers.get(service) ?? new Set();
    this.watchers.set(service, set);
    set.add(listener);
    listener(this.state(service).snapshot());
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.watchers.get(service) === set) {
        this.watchers.delete(service);
        this.forgetIfIdle(service);
      }
    };
  }

  /**
   * Drops what the store keeps for `service` once nothing is left of it: no instance, no route, no
   * watcher. A named store lives as long as the process, and every service name ever registered,
   * watched or routed (a dashboard or CLI watching names it is asked about) used to keep an empty
   * map, a watch state and a watcher set there for good.
   */
  private forgetIfIdle(service: string): void {
    if ((this.entries.get(service)?.size ?? 0) > 0 || (this.watchers.get(service)?.size ?? 0) > 0) return;
    const state = this.states.get(service);
    if (state !== undefined && (state.instances.size > 0 || state.route !== undefined)) return;
    this.entries.delete(service);
    this.states.delete(service);
    this.watchers.delete(service);
  }

  private serviceEntries(service: string): Map<string, Entry> {
    const entries = this.entries.get(service) ?? new Map<string, Entry>();
    this.entries.set(service, entries);
    return entries;
  }

  private state(service: string): WatchState {
    const state = this.states.get(service) ?? new WatchState();
    this.states.set(service, state);
    return state;
  }

  /**
   * Events waiting to be told, each with the watchers it goes to (those watching when it was
   * published), while watchers are being told of an earlier one.
   */
  private readonly outbox: {
    event: RegistryEvent;
    set: Set<(event: RegistryEvent) => void>;
    listeners: ((event: RegistryEvent) => void)[];
  }[] = [];
  private delivering = false;

  /**
   * Tells the service's watchers of a change, in the order the changes were made. Writes are
   * synchronous here, so a listener that writes (deregisters what it saw marked, updates, sets a
   * route) publishes while the watchers after it have not heard the change it reacted to yet:
   * delivered at once, they heard the two the wrong way round ('down' then 'update') and kept the
   * instance for good. And a watcher a listener started got its snapshot, which already shows the
   * change, and then the change again. Such events now wait for the one being told, and go only to
   * the watchers there were when they were published (still watching when their turn comes).
   */
  private publish(service: string, event: RegistryEvent | undefined): void {
    if (!event) return;
    const set = this.watchers.get(service);
    if (set === undefined || set.size === 0) return;
    this.outbox.push({ event, set, listeners: [...set] });
    if (this.delivering) return;
    this.delivering = true;
    let failure: { error: unknown } | undefined;
    try {
      for (let next = this.outbox.shift(); next !== undefined; next = this.outbox.shift()) {
        for (const listener of next.listeners) {
          if (!next.set.has(listener)) continue; // stopped meanwhile
          try {
            listener(next.event);
          } catch (error) {
            // A listener given to the store directly (MemoryRegistry's never throw): the others
            // are told all the same, and the writer hears the first failure.
            failure ??= { error };
          }
        }
      }
    } finally {
      this.delivering = false;
    }
    if (failure) throw failure.error;
  }
}

const namedStores = new Map<string, MemoryStore>();

/** The process-wide store called `name` (created on first use): `memory://shop` in two places shares one. */
export function namedMemoryStore(name: string): MemoryStore {
  const store = namedStores.get(name) ?? new MemoryStore();
  namedStores.set(name, store);
  return store;
}
