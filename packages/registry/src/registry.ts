import type { CanaryRecord, CanaryRecordInput, CanaryRecordWrite } from './canary-record.js';
import type { RegistryClosedError } from './closed.js';
import type {
  InstanceInput,
  InstancePatch,
  RegistryUnavailableError,
  RouteRule,
  ServiceInstance,
} from '@switchyard/core';

/** Options of {@link Registry.setRoute}. */
export interface SetRouteOptions {
  /**
   * Write only if the stored rule is this one (same versions at the same weights), or with `null`
   * only if there is none; else FAILED_PRECONDITION. @default unconditional
   */
  expected?: RouteRule | null;
}

/** Options for one registration. */
export interface RegisterOptions {
  /**
   * How long the entry lives without a heartbeat. The registration heartbeats about three times per
   * TTL, so a dead process leaves `list()` within `ttlMs` (plus the sweep interval for watchers).
   * Integer 500..86_400_000. @default the registry's `defaultTtlMs` (10_000)
   */
  ttlMs?: number;
}

/**
 * What a watcher is told. The first event of every watch is a complete `snapshot`. Then:
 * - `up`: an instance id the watcher did not know appeared;
 * - `update`: a known instance changed (status, weight, metadata, version, or a replacement
 *   registration with the same id);
 * - `down`: the instance left, because it was deregistered (or evicted) or its lease expired;
 * - `stale`: the registry lost its connection to the backend. The watcher's last view is still the
 *   best one known; no event follows until the connection is back, then a `snapshot` (always sent
 *   after `stale`, even if nothing changed) marks the view fresh again. A watch still open when its
 *   registry is closed gets a last `stale` too, and nothing after it;
 * - `snapshot` after the first: a resynchronisation found differences (or ended a stale period);
 *   every snapshot carries the service's route rule, if any;
 * - `route`: the service's traffic split changed (or was cleared: `rule` undefined). A malformed
 *   rule written to the backend by hand is ignored with a warning and the previous rule is kept.
 * An event identical to the previous state is never sent.
 */
export type RegistryEvent =
  | { type: 'snapshot'; instances: ServiceInstance[]; route?: RouteRule | undefined }
  | { type: 'route'; rule: RouteRule | undefined }
  | { type: 'up' | 'update'; instance: ServiceInstance }
  | { type: 'down'; id: string; reason: 'deregistered' | 'expired' }
  | { type: 'stale'; error: RegistryUnavailableError };

/**
 * A callback for {@link Registry.watch}. Exceptions it throws, and the rejection of the promise an
 * async listener returns, are logged and otherwise ignored (events are not held for its promise).
 */
export type RegistryListener = (event: RegistryEvent) => void;

/**
 * The state of a registration:
 * - `active`: the entry is in the registry and heartbeats succeed;
 * - `unavailable`: the backend cannot be reached; heartbeats keep trying and the entry is written
 *   back in full when it returns;
 * - `lost`: another registration took the id, or an operator removed the entry; it is never
 *   written back;
 * - `deregistered`: `deregister()` was called.
 */
export type RegistrationState = 'active' | 'unavailable' | 'lost' | 'deregistered';

/** A live registration, returned by {@link Registry.register}. It heartbeats by itself. */
export interface Registration {
  /** The instance as currently registered (after the latest `update`). */
  readonly instance: ServiceInstance;
  /** Where the registration stands now (see {@link RegistrationState}); `onStateChange` tells each change. */
  readonly state: RegistrationState;
  /**
   * Changes status, weight, metadata or version. The new values are kept locally first, so if the
   * backend is unreachable (the promise rejects with `REGISTRY_UNAVAILABLE`) they are still written
   * when it returns. Rejects with `INVALID_ARGUMENT` for a bad patch (nothing changes) and
   * `REGISTRATION_LOST` after `deregister()` or when the registration was lost.
   */
  update(patch: InstancePatch): Promise<void>;
  /**
   * Removes the entry and stops heartbeating (at once, whatever the outcome). Idempotent: calls
   * share the outcome of the removal, and a call after one that failed (the backend was
   * unreachable) tries the removal again.
   */
  deregister(): Promise<void>;
  /**
   * Lets go of the entry without removing it, as a process that crashed would: heartbeats stop at
   * once and nothing is written, so the entry stays listed until its lease expires (Redis) or for
   * the registry's life (memory, which has no leases). The state becomes `lost` (reason
   * `abandoned`); `update()` then rejects, and neither `deregister()` nor the registry's `close()`
   * removes the entry. For failure tests and `crash()`. Idempotent; does nothing once deregistered.
   */
  abandon(): void;
  /** Subscribes to state changes; returns the unsubscribe function. */
  onStateChange(listener: (state: RegistrationState, error?: Error) => void): () => void;
}

/**
 * A service registry: where instances announce themselves and callers find them.
 * Implementations: {@link MemoryRegistry} (in-process) and {@link RedisRegistry}.
 */
export interface Registry {
  /** Validates and registers an instance. Rejects with `INVALID_ARGUMENT` (nothing written) or `REGISTRY_UNAVAILABLE`. */
  register(instance: InstanceInput, options?: RegisterOptions): Promise<Registration>;
  /** The live instances of a service (an unknown service has none). */
  list(service: string): Promise<ServiceInstance[]>;
  /**
   * The names of services with at least one live instance, sorted; also of a service with none left
   * that still holds a route rule (the rule applies again as soon as an instance comes back, so it
   * must stay findable), until the rule is cleared. A service whose last instance left (deregistered,
   * evicted or expired) and that holds no rule is not named, and the backend forgets its name.
   */
  services(): Promise<string[]>;
  /**
   * Watches a service. Resolves once `listener` has received its first `snapshot`, with a function
   * that stops the watch. Many watches of one service share one backend subscription.
   */
  watch(service: string, listener: RegistryListener): Promise<() => Promise<void>>;
  /**
   * Sets (or with `undefined` clears) the service's version-weighted traffic split. Watchers see it
   * within a push. Rejects with INVALID_ARGUMENT for a malformed rule, a service with no live
   * instance, a version with a positive weight that no live instance runs, or a rule that sends no
   * traffic to a version with an instance `up` (every instance of the versions it routes to is
   * draining: leaving, or not ready yet); nothing is written then. A rule that only takes traffic
   * away (every version it routes to already had a share under the stored rule: a rollback) is never
   * refused for draining. A clear is never refused. The check and the write see the same instances:
   * a change in between has the rule checked again (the Redis backend fails with ABORTED, retryable,
   * if the service changed at every one of 5 tries).
   *
   * With `options.expected`, the write is conditional: it happens only if the stored rule is that
   * one (`null`: only if there is none), checked and written as one step, and otherwise rejects with
   * FAILED_PRECONDITION (not retryable; nothing written). A controller that read the rule, decided,
   * and writes its next step uses it so that a rule someone changed in between is never overwritten.
   */
  setRoute(service: string, rule: RouteRule | undefined, options?: SetRouteOptions): Promise<void>;
  /** The service's current route rule, if any. */
  getRoute(service: string): Promise<RouteRule | undefined>;
  /**
   * The service's canary record (where its canary release stands, see {@link CanaryRecord}), or
   * undefined when there is none (never written, cleared, expired 30 days after its last write, or
   * unreadable: a record written by hand that is not one is skipped with a warning). Both built-in
   * backends have it; it is optional only so that a Registry written before it still compiles
   * (createCanaryController refuses a registry without it).
   */
  getCanary?(service: string): Promise<CanaryRecord | undefined>;
  /**
   * Writes (or with `undefined` clears) the service's canary record and resolves with it as stored
   * (the registry sets `updatedAt`, `revision` and the owner's lease expiry, on its own clock).
   * Rejects with INVALID_ARGUMENT for a malformed record. With `options.expected` the write is
   * conditional, checked and written as one step: only if the stored record is at that revision
   * (`null`: only if there is none), else FAILED_PRECONDITION (not retryable; nothing written). A
   * clear resolves with undefined. Optional for the same reason as {@link getCanary}.
   */
  setCanary?(
    service: string,
    record: CanaryRecordInput | undefined,
    options?: CanaryRecordWrite,
  ): Promise<CanaryRecord | undefined>;
  /**
   * Deregisters this registry's registrations (best effort, bounded), stops watches, closes
   * connections. Calls made after it reject with `REGISTRY_UNAVAILABLE` marked `registryClosed: true`
   * ({@link RegistryClosedError}), which callers such as discovery take as final, not as an outage.
   */
  close(): Promise<void>;
}
