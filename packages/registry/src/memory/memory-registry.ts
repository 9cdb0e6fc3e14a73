import { RegistryClosedError } from '../closed.js';
import {
  applyPatch,
  assertInteger,
  assertKnownKeys,
  assertLogger,
  assertObject,
  type InstanceInput,
  type InstancePatch,
  type Logger,
  RegistrationLostError,
  type RegistrationLostReason,
  type RouteRule,
  type ServiceInstance,
  silentLogger,
  validateInstance,
  validatePatch,
  validateRouteRule,
  validateServiceName,
} from '@switchyard/core';
import { ListenerSet } from '../listeners.js';
import { assertListener, resolveRegisterOptions } from '../options.js';
import {
  type CanaryRecord,
  type CanaryRecordInput,
  type CanaryRecordWrite,
  canaryPreconditionFailed,
  decodeCanaryRecord,
  expectedCanaryOf,
  type StoredCanaryRecord,
  validateCanaryInput,
} from '../canary-record.js';
import { checkRouteAgainst } from '../route-check.js';
import { checkExpectedRoute, expectedRouteOf } from '../route-expectation.js';
import type {
  RegisterOptions,
  Registration,
  RegistrationState,
  Registry,
  RegistryEvent,
  RegistryListener,
  SetRouteOptions,
} from '../registry.js';
import { MemoryStore } from './memory-store.js';

/** Options for {@link MemoryRegistry}. */
export interface MemoryRegistryOptions {
  /** Share state with other registries over the same store. @default a new private store */
  store?: MemoryStore;
  /** Where a watch listener that throws is reported. @default silentLogger */
  logger?: Logger;
  /**
   * TTL (ms, 500 … 86 400 000) of a registration that `register()` is given none for. Checked as
   * the Redis backend checks it, so a configuration that passes here passes there; nothing expires
   * in memory. @default 10_000
   */
  defaultTtlMs?: number;
}

/**
 * An in-process {@link Registry}: for tests, examples and single-process demos. It follows the
 * same contract as the Redis backend (validation, snapshots first, no duplicate events, replaced
 * registrations), minus leases: an in-process registration cannot miss a heartbeat.
 *
 * @example
 * ```ts
 * const registry = new MemoryRegistry();
 * const registration = await registry.register({ service: 'catalog', host: '127.0.0.1', ports: { grpc: 50051 } });
 * ```
 */
export class MemoryRegistry implements Registry {
  private readonly store: MemoryStore;
  private readonly logger: Logger;
  private readonly defaultTtlMs: number;
  private readonly registrations = new Set<MemoryRegistration>();
  private closed = false;

  /**
   * @throws InvalidArgumentError naming the option: an unknown one, a `logger` that lacks a level,
   * a `defaultTtlMs` that is not an integer from 500 to 86 400 000.
   */
  constructor(options: MemoryRegistryOptions = {}) {
    // The same checks as the Redis backend's, so a configuration that passes on memory:// in tests
    // does not fail on redis:// in production.
    const given: unknown = options;
    assertObject('options', given);
    assertKnownKeys('options', given, ['store', 'logger', 'defaultTtlMs']);
    this.store = options.store ?? new MemoryStore();
    // Checked as the Redis backend does: a logger without `error` made the first throwing watch
    // listener throw a TypeError out of whichever client's write published the event.
    if (options.logger !== undefined) assertLogger('options.logger', options.logger);
    this.logger = options.logger ?? silentLogger;
    this.defaultTtlMs = options.defaultTtlMs ?? 10_000;
    assertInteger('options.defaultTtlMs', this.defaultTtlMs, 500, 86_400_000);
  }

  async register(input: InstanceInput, options?: RegisterOptions): Promise<Registration> {
    this.assertOpen();
    const instance = validateInstance(input);
    resolveRegisterOptions(options, this.defaultTtlMs);
    const registration = new MemoryRegistration(this.store, instance, this.logger, (r) => this.registrations.delete(r));
    this.registrations.add(registration);
    return registration;
  }

  async list(service: string): Promise<ServiceInstance[]> {
    this.assertOpen();
    return this.store.list(validateServiceName(service));
  }

  async services(): Promise<string[]> {
    this.assertOpen();
    return this.store.services();
  }

  async watch(service: string, listener: RegistryListener): Promise<() => Promise<void>> {
    this.assertOpen();
    validateServiceName(service);
    assertListener(listener);
    const deliver = (event: RegistryEvent): void => ListenerSet.call(this.logger, 'watch', listener, [event]);
    const stop = this.store.watch(service, deliver);
    this.watches.set(stop, deliver);
    return async () => {
      stop();
      this.watches.delete(stop);
    };
  }

  /** Each open watch: how to stop it, and its listener (told `stale` when the registry closes under it). */
  private readonly watches = new Map<() => void, (event: RegistryEvent) => void>();

  async setRoute(service: string, rule: RouteRule | undefined, options?: SetRouteOptions): Promise<void> {
    this.assertOpen();
    validateServiceName(service);
    const valid = rule === undefined ? undefined : validateRouteRule(rule);
    const expected = expectedRouteOf(options);
    // Checked and written in one synchronous step: nothing can change the service in between.
    if (expected !== undefined) checkExpectedRoute(service, expected, this.store.getRoute(service));
    if (valid) checkRouteAgainst(service, valid, this.store.list(service), this.store.getRoute(service));
    this.store.setRoute(service, valid);
  }

  async getRoute(service: string): Promise<RouteRule | undefined> {
    this.assertOpen();
    return this.store.getRoute(validateServiceName(service));
  }

  async getCanary(service: string): Promise<CanaryRecord | undefined> {
    this.assertOpen();
    const now = Date.now();
    const stored = this.store.getCanary(validateServiceName(service), now);
    return stored === undefined ? undefined : decodeCanaryRecord(stored, now);
  }

  async setCanary(
    service: string,
    record: CanaryRecordInput | undefined,
    options?: CanaryRecordWrite,
  ): Promise<CanaryRecord | undefined> {
    this.assertOpen();
    validateServiceName(service);
    const valid = record === undefined ? undefined : validateCanaryInput(record);
    const expected = expectedCanaryOf(options);
    // Checked and written in one synchronous step, as the Redis script does.
    const now = Date.now();
    const stored = this.store.getCanary(service, now);
    const found = stored?.revision ?? 0;
    if (expected !== undefined && found !== (expected ?? 0)) throw canaryPreconditionFailed(service, expected, found);
    if (valid === undefined) {
      this.store.setCanary(service, undefined);
      return undefined;
    }
    const { leaseMs, ...fields } = valid;
    const next: StoredCanaryRecord = { ...fields, leaseUntil: now + leaseMs, updatedAt: now, revision: found + 1 };
    this.store.setCanary(service, next);
    return decodeCanaryRecord(next, now);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // As RedisRegistry: a watch still open hears that its view is no longer kept current.
    const error = new RegistryClosedError('registry closed');
    for (const [stop, deliver] of this.watches) {
      stop();
      deliver({ type: 'stale', error });
    }
    this.watches.clear();
    await Promise.all([...this.registrations].map((registration) => registration.deregister()));
  }

  toString(): string {
    return 'MemoryRegistry';
  }

  private assertOpen(): void {
    if (this.closed) throw new RegistryClosedError('registry is closed');
  }
}

class MemoryRegistration implements Registration {
  private current: ServiceInstance;
  private readonly generation: number;
  private currentState: RegistrationState = 'active';
  /** Why the registration is `lost`, once it is. */
  private lostReason: RegistrationLostReason = 'superseded';
  private readonly stateListeners: ListenerSet<[RegistrationState, Error?]>;

  constructor(
    private readonly store: MemoryStore,
    instance: ServiceInstance,
    logger: Logger,
    private readonly onEnd: (registration: MemoryRegistration) => void,
  ) {
    this.current = instance;
    this.stateListeners = new ListenerSet(logger, 'registration state');
    // A later registration of the same id takes it over: this one hears it then, not only when
    // its state is next read.
    this.generation = store.put(instance, undefined, () => this.checkOwnership());
  }

  get instance(): ServiceInstance {
    return this.current;
  }

  get state(): RegistrationState {
    this.checkOwnership();
    return this.currentState;
  }

  async update(patch: InstancePatch): Promise<void> {
    const valid = validatePatch(patch);
    this.checkOwnership();
    if (this.currentState === 'lost' || this.currentState === 'deregistered') {
      throw new RegistrationLostError(this.current.id, this.currentState === 'lost' ? this.lostReason : 'deregistered');
    }
    this.current = applyPatch(this.current, valid);
    this.store.put(this.current, this.generation);
  }

  async deregister(): Promise<void> {
    if (this.currentState === 'deregistered') return;
    if (this.lostReason === 'abandoned') {
      // Let go of for good: the entry stays, as after a crash.
      this.setState('deregistered');
      return;
    }
    this.store.remove(this.current.service, this.current.id, this.generation);
    this.setState('deregistered');
    this.onEnd(this);
  }

  abandon(): void {
    this.checkOwnership();
    if (this.currentState !== 'active') return;
    this.onEnd(this);
    this.lostReason = 'abandoned';
    this.setState('lost', new RegistrationLostError(this.current.id, 'abandoned'));
  }

  onStateChange(listener: (state: RegistrationState, error?: Error) => void): () => void {
    return this.stateListeners.add(listener);
  }

  /** A registration whose id now belongs to another generation was superseded. */
  private checkOwnership(): void {
    if (this.currentState !== 'active') return;
    if (this.store.owner(this.current.service, this.current.id) !== this.generation) {
      this.setState('lost', new RegistrationLostError(this.current.id, 'superseded'));
      // Its registry lets go of it, as RedisRegistry does: kept, every replaced registration of
      // an id (a process re-registering itself, a restart over a shared store) stayed in the
      // registry's set until close(), one more for every replacement.
      this.onEnd(this);
    }
  }

  private setState(state: RegistrationState, error?: Error): void {
    if (this.currentState === state) return;
    this.currentState = state;
    this.stateListeners.emit(state, error);
  }
}
