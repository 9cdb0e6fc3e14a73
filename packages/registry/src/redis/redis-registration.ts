import {
  applyPatch,
  type InstancePatch,
  type Logger,
  RegistrationLostError,
  type RegistrationLostReason,
  type ServiceInstance,
  SwitchyardError,
  validatePatch,
} from '@switchyard/core';
import { ListenerSet } from '../listeners.js';
import { sameInstance } from '../watch-state.js';
import type { Registration, RegistrationState } from '../registry.js';
import { heartbeatSlots } from './heartbeat-slot.js';
import type { ServiceKeys } from './keys.js';
import { commandTimedOut, type RedisConnection } from './redis-connection.js';
import type { RedisScripts } from './redis-scripts.js';

/**
 * The operation names (see `RedisRegistry.onOperation`) of the commands a heartbeat may send beside
 * its PEXPIRE, which alone is reported as `heartbeat`: one heartbeat, one `heartbeat` operation.
 */
const HEARTBEAT_OPERATIONS = {
  /** The once-per-TTL `HGET` of the `gens` hash: does this generation still own the id? */
  ownershipCheck: 'heartbeat ownership check',
  /** The `HGET` of the entry by the first heartbeat after a reconnect: is it the one last written? */
  entryCheck: 'heartbeat entry check',
  /** The slow script after a PEXPIRE that found no lease: why, and the lease written again. */
  recovery: 'heartbeat recovery',
} as const;

/** Script status codes shared by heartbeat, register and update. */
const OK = 1;
const MISSING = 0;
const SUPERSEDED = -1;
const ENDED = -2;

/** What a registration needs from its registry. */
export interface RegistrationContext {
  connection: RedisConnection;
  scripts: RedisScripts;
  keys: ServiceKeys;
  logger: Logger;
  tombstoneTtlMs: number;
  onEnd(registration: RedisRegistration): void;
  /** Claims the service's name in the services index for an entry just (re)written (see INDEX_SERVICE). */
  indexService(): Promise<void>;
  /** Names the service in the services index again, in case the index key was lost (a native SADD). */
  touchIndex(): Promise<void>;
  /** Takes the service's name out of the services index if nothing is left of it. Never throws. */
  reapService(): Promise<unknown>;
}

/**
 * A registration in Redis. It heartbeats on a jittered, `unref`'d timer that it shares with the
 * other heartbeats of its slot (heartbeat-slot.ts); when the entry has vanished it writes it back
 * in full; when its generation has been superseded or ended it stops for good. Operations run one
 * at a time, in call order, so an update can never overtake a deregister.
 */
export class RedisRegistration implements Registration {
  private current: ServiceInstance;
  private currentState: RegistrationState = 'active';
  /** Why the registration is `lost`, once it is. */
  private lostReason: RegistrationLostReason = 'superseded';
  /** True when Redis may hold an older version than `current` (an update that did not land). */
  private dirty = false;
  /** Cancels the heartbeat scheduled next (undefined while none is). */
  private cancelHeartbeat: (() => void) | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  /** The deregistration, once asked for: pending or done (undefined again after it failed). */
  private removal: Promise<void> | undefined;
  /** A reconnect happened: the next heartbeat checks the entry Redis holds (see heartbeatAfterReconnect). */
  private recheck = false;
  /** When (performance.now()) this registration last named its service in the services index. */
  private indexedAt = performance.now();
  private readonly stateListeners: ListenerSet<[RegistrationState, Error?]>;

  private constructor(
    instance: ServiceInstance,
    private readonly generation: string,
    private readonly ttlMs: number,
    private readonly heartbeatIntervalMs: number,
    private readonly context: RegistrationContext,
  ) {
    this.current = instance;
    this.stateListeners = new ListenerSet(context.logger, 'registration state');
  }

  /** Writes a new registration and starts its heartbeat. */
  static async create(
    instance: ServiceInstance,
    ttlMs: number,
    heartbeatIntervalMs: number,
    context: RegistrationContext,
  ): Promise<RedisRegistration> {
    const json = JSON.stringify(instance);
    const { status, generation } = await context.connection
      .call('register', () =>
        context.scripts.register(context.keys, instance.id, '', json, ttlMs, context.tombstoneTtlMs),
      )
      .catch((error: unknown) => {
        // Timed out: the script was sent and may still run when Redis catches up (hung, slow),
        // leaving an entry nobody heartbeats, listed for a whole TTL although the caller was told
        // the register failed. Withdraw it right behind, on the same connection: it runs after.
        if (commandTimedOut(error)) {
          context.connection
            .call('withdraw', () => context.scripts.withdraw(context.keys, instance.id, json, context.tombstoneTtlMs))
            .then(({ vacant }) => (vacant ? context.reapService() : undefined))
            .catch((withdrawError: unknown) =>
              context.logger.warn(
                { err: withdrawError, id: instance.id },
                'switchyard registry: withdrawing a register that timed out failed; if it ran, it expires by its TTL',
              ),
            );
        }
        throw error;
      });
    if (status !== OK) throw new SwitchyardError('INTERNAL', `register of ${instance.id} returned status ${status}`);
    const registration = new RedisRegistration(instance, generation, ttlMs, heartbeatIntervalMs, context);
    registration.scheduleHeartbeat(heartbeatIntervalMs);
    return registration;
  }

  get instance(): ServiceInstance {
    return this.current;
  }

  get state(): RegistrationState {
    return this.currentState;
  }

  /** The generation that owns this registration's entry (server time in µs at registration). */
  get registrationGeneration(): string {
    return this.generation;
  }

  async update(patch: InstancePatch): Promise<void> {
    const valid = validatePatch(patch);
    return this.serial(async () => {
      this.assertLive();
      const next = applyPatch(this.current, valid);
      if (sameInstance(next, this.current) && !this.dirty) return;
      this.current = next;
      this.dirty = true;
      const status = await this.context.connection
        .call('update', () =>
          this.context.scripts.update(this.context.keys, next.id, this.generation, JSON.stringify(next)),
        )
        .catch((error: unknown) => {
          if (refusedByRedis(error)) this.setState('unavailable', error as Error);
          throw error;
        });
      if (status === MISSING) return this.rewrite();
      this.handleStatus(status);
      this.dirty = false;
    });
  }

  deregister(): Promise<void> {
    if (this.currentState !== 'deregistered') {
      // A lost registration owns no entry to remove.
      if (this.currentState === 'lost') this.removal = Promise.resolve();
      this.stopHeartbeat();
      this.setState('deregistered');
      this.context.onEnd(this);
    }
    // Pending or done, every call shares its answer. One that failed (Redis unreachable) is sent
    // again: answering a retry with success left the entry listed, unheartbeated, for its TTL.
    this.removal ??= this.removeEntry();
    return this.removal;
  }

  /** Sends the deregistration; forgets it if it fails, so that the next deregister() sends it again. */
  private removeEntry(): Promise<void> {
    const removal = this.serial(async () => {
      const { vacant } = await this.context.connection.call('deregister', () =>
        this.context.scripts.deregister(
          this.context.keys,
          this.current.id,
          this.generation,
          this.context.tombstoneTtlMs,
        ),
      );
      // The service's last instance left: its name leaves the services index (never fails the
      // deregister; a name left behind is taken out by the next services()).
      if (vacant) await this.context.reapService();
    });
    removal.catch(() => {
      if (this.removal === removal) this.removal = undefined;
    });
    return removal;
  }

  abandon(): void {
    if (this.currentState === 'lost' || this.currentState === 'deregistered') return;
    this.stopHeartbeat();
    this.context.onEnd(this);
    this.lostReason = 'abandoned';
    this.setState('lost', new RegistrationLostError(this.current.id, 'abandoned'));
  }

  /**
   * A newer registration of the same id, made through the same registry, replaced this one: it is
   * lost at once (the newer one ended it in Redis already), instead of at its next heartbeat, so it
   * cannot write the old entry back if Redis loses the replacement meanwhile (a restart).
   */
  markSuperseded(): void {
    if (this.currentState === 'lost' || this.currentState === 'deregistered') return;
    this.lostReason = 'superseded';
    this.stopHeartbeat();
    this.setState('lost', new RegistrationLostError(this.current.id, 'superseded'));
    this.context.onEnd(this);
  }

  onStateChange(listener: (state: RegistrationState, error?: Error) => void): () => void {
    return this.stateListeners.add(listener);
  }

  /** The backend connection dropped: say so at once rather than at the next heartbeat. */
  markUnavailable(error: Error): void {
    if (this.currentState === 'active') this.setState('unavailable', error);
  }

  /**
   * The connection came back: heartbeats now, and this once also checks the entry itself. The Redis
   * reached may hold an older copy of it than the last `update()` wrote, with its lease and
   * generation alive: a replica promoted before the update reached it (replication is
   * asynchronous), or a restart whose AOF lost its last second. Every `PEXPIRE` then succeeds, and
   * the update (a `draining` status, a weight, metadata) was lost for good. So the stored entry is
   * read beside the `PEXPIRE` (one `HGET` in the same write, once per reconnect, never on the timed
   * heartbeats) and written again in full when it differs. Never throws.
   */
  heartbeatAfterReconnect(): Promise<void> {
    this.recheck = true;
    return this.heartbeat();
  }

  /**
   * Sends one heartbeat now (the timer does this by itself; call it to refresh early, e.g. after
   * the connection came back). Never throws: failures move the state to `unavailable` or `lost`.
   */
  heartbeat(): Promise<void> {
    return this.serial(async () => {
      if (this.currentState === 'lost' || this.currentState === 'deregistered') return;
      const recheck = this.recheck;
      this.recheck = false;
      try {
        const { keys, scripts, connection } = this.context;
        const id = this.current.id;
        if (this.dirty) {
          // The lease is extended as well, in the same write: a rewrite is a script that grows
          // memory, and Redis refuses it under maxmemory (noeviction), where a PEXPIRE still goes
          // through. After an update() refused that way, the heartbeats were rewrites alone, and
          // the lease of a healthy instance ran out: it was announced down/expired and left every
          // view until memory was freed. (If the lease is gone, the rewrite writes it again.)
          const extended = connection.call('heartbeat', () =>
            scripts.extendLease(keys, id, this.generation, this.ttlMs),
          );
          extended.catch(noop);
          return await this.rewrite();
        }
        // The services index is a key of its own, which the lease's PEXPIRE never touches: lost
        // (evicted as an idle key under an allkeys-* maxmemory policy, or deleted), services()
        // named none of the live services until a process registered anew. So, once per TTL, a
        // heartbeat names its service again: one SADD in the same write as the PEXPIRE (sent
        // alongside, not awaited; a failure is logged and retried a TTL later).
        const now = performance.now();
        // Once per TTL too, an HGET beside the PEXPIRE (the same write) checks that the `gens` hash
        // still names this generation: the lease key can outlive it (evicted, or deleted), and the
        // sweep then dropped the entry without the lease, whose PEXPIRE kept succeeding: listed
        // nowhere for the life of the process while reporting `active`.
        const verify = recheck || now - this.indexedAt >= this.ttlMs;
        if (verify) {
          this.indexedAt = now;
          void this.context.touchIndex();
        }
        // Fast path: one native PEXPIRE on the server clock. Only when it finds no lease (or the
        // check finds no ownership) does the slow script find out why (stalled past the TTL,
        // vanished, superseded or ended).
        // Only the PEXPIRE is reported as the operation `heartbeat` (one per heartbeat, timed as the
        // lease's round trip); the commands sent beside it, and the slow script below, have names of
        // their own (see HEARTBEAT_OPERATIONS): all counted as `heartbeat`, 9 heartbeats at a 3 s TTL
        // read as 12 on the operations counter, and their durations went into the heartbeat latency.
        const extended = connection.call('heartbeat', () => scripts.extendLease(keys, id, this.generation, this.ttlMs));
        const owned = verify
          ? connection.call(HEARTBEAT_OPERATIONS.ownershipCheck, () => scripts.ownsId(keys, id, this.generation))
          : undefined;
        owned?.catch(noop);
        const stored = recheck
          ? connection.call(HEARTBEAT_OPERATIONS.entryCheck, () => scripts.storedEntry(keys, id))
          : undefined;
        stored?.catch(noop);
        if ((await extended) && (owned === undefined || (await owned))) {
          if (stored === undefined || holdsInstance(await stored, this.current)) {
            this.setState('active');
            return;
          }
          return await this.rewrite(
            'the entry Redis holds is not the one last written (lost in a failover or restart?); wrote it again',
          );
        }
        // Ended while the PEXPIRE was out (abandon(), deregister(), replaced through this registry):
        // the slow script would write its lease again, and a missing entry would be written back.
        if (this.ended) return;
        const status = await connection.call(HEARTBEAT_OPERATIONS.recovery, () =>
          scripts.slowHeartbeat(keys, id, this.generation, this.ttlMs),
        );
        if (status === MISSING) return await this.rewrite();
        this.handleStatus(status);
      } catch (error) {
        // Not checked after all: the next reconnect (or this retry's) checks again.
        if (recheck) this.recheck = true;
        if (refusedByRedis(error)) this.setState('unavailable', error as Error);
        // Lost (replaced, evicted): handleStatus has said so, once, as a warning. Logged again here as
        // an error, "heartbeat failed", every replaced pod's registration raised an error-level line.
        else if (!SwitchyardError.hasCode(error, 'REGISTRATION_LOST'))
          this.context.logger.error({ err: error, id: this.current.id }, 'switchyard registry: heartbeat failed');
      }
    }).catch(noop);
  }

  /** Writes the whole entry again under the same generation (it vanished or may be outdated). */
  private async rewrite(done = 'entry was missing; wrote it back'): Promise<void> {
    // The registration ended while the command that found the entry missing (or outdated) was out:
    // a heartbeat in flight when abandon() or deregister() was called. abandon() promises that
    // nothing is written any more, and a deregister() is queued behind: written back now, the entry
    // of a "crashed" process was listed and leased for a whole TTL more, and a leaving one came
    // back `up` until its removal landed.
    if (this.ended) return;
    const instance = this.current;
    const { status } = await this.context.connection.call('rewrite', () =>
      this.context.scripts.register(
        this.context.keys,
        instance.id,
        this.generation,
        JSON.stringify(instance),
        this.ttlMs,
        this.context.tombstoneTtlMs,
      ),
    );
    this.handleStatus(status);
    if (status === OK) {
      this.dirty = instance !== this.current;
      // Whatever emptied the entry emptied the services index too: services() (the CLI's ls, the
      // dashboard) would not name this service again until a new process registered.
      this.indexedAt = performance.now();
      await this.context.indexService();
      this.context.logger.info({ id: instance.id, service: instance.service }, `switchyard registry: ${done}`);
    }
  }

  private handleStatus(status: number): void {
    if (status === OK) {
      this.setState('active');
      return;
    }
    const reason = status === SUPERSEDED ? 'superseded' : 'deregistered';
    if (status !== SUPERSEDED && status !== ENDED) {
      throw new SwitchyardError('INTERNAL', `unexpected registry script status ${status}`);
    }
    // An answer to a command sent before abandon(): the registration is already let go of.
    if (this.currentState === 'lost') throw new RegistrationLostError(this.current.id, this.lostReason);
    const error = new RegistrationLostError(this.current.id, reason);
    this.lostReason = reason;
    this.stopHeartbeat();
    this.context.logger.warn(
      { id: this.current.id, reason },
      'switchyard registry: registration lost; it will not be written back',
    );
    this.setState('lost', error);
    this.context.onEnd(this);
    throw error;
  }

  /** Lost or deregistered: nothing may be written for this registration any more. */
  private get ended(): boolean {
    return this.currentState === 'lost' || this.currentState === 'deregistered';
  }

  private assertLive(): void {
    if (this.currentState === 'lost') throw new RegistrationLostError(this.current.id, this.lostReason);
    if (this.currentState === 'deregistered') throw new RegistrationLostError(this.current.id, 'deregistered');
  }

  private scheduleHeartbeat(delayMs: number): void {
    if (this.currentState === 'lost' || this.currentState === 'deregistered') return;
    // ±10% jitter: registrations made together must not heartbeat in lockstep forever. The beat
    // then goes out with the others of its slot of the process, in one write.
    const jittered = delayMs * (0.9 + Math.random() * 0.2);
    this.cancelHeartbeat = heartbeatSlots.schedule(jittered, () => {
      this.cancelHeartbeat = undefined;
      void this.heartbeat().then(() => {
        // After a failure, try again sooner than a full interval (but not in a tight loop).
        const next =
          this.currentState === 'unavailable' ? Math.min(this.heartbeatIntervalMs, 1_000) : this.heartbeatIntervalMs;
        this.scheduleHeartbeat(next);
      });
    });
  }

  private stopHeartbeat(): void {
    this.cancelHeartbeat?.();
    this.cancelHeartbeat = undefined;
  }

  private setState(state: RegistrationState, error?: Error): void {
    if (this.currentState === state) return;
    if (this.currentState === 'deregistered' || (this.currentState === 'lost' && state !== 'deregistered')) return;
    this.currentState = state;
    this.stateListeners.emit(state, error);
  }

  private serial<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.queue.then(operation, operation);
    this.queue = result.catch(noop);
    return result;
  }
}

function noop(): void {}

/** Whether `stored` (the entry's JSON as Redis holds it, or null) is `instance`. Garbage is not. */
function holdsInstance(stored: string | null, instance: ServiceInstance): boolean {
  if (stored === null) return false;
  try {
    return sameInstance(JSON.parse(stored) as ServiceInstance, instance);
  } catch {
    return false;
  }
}

/**
 * Redis could not be reached, or refused the write, or answered that a key holds the wrong kind of
 * value (DATA_LOSS, see RegistryDataError): the registration cannot keep its entry current, and says
 * so by going `unavailable` with that error (WRONGTYPE was REGISTRY_UNAVAILABLE before it had a code
 * of its own, and a heartbeat meeting it must not pass for `active`). It keeps trying either way.
 */
function refusedByRedis(error: unknown): boolean {
  return SwitchyardError.hasCode(error, 'REGISTRY_UNAVAILABLE') || SwitchyardError.hasCode(error, 'DATA_LOSS');
}
