import type { RedisClient } from './create-client.js';
import type { ServiceKeys } from './keys.js';
import {
  DEREGISTER,
  EVICT,
  FORGET_SWEEPS,
  GET_CANARY,
  HEARTBEAT,
  INDEX_SERVICE,
  LIST,
  REGISTER,
  RESTORE_ROUTE,
  SERVICE_STATE,
  SET_CANARY,
  SET_ROUTE,
  SWEEP,
  UNINDEX_SERVICE,
  UPDATE,
  WITHDRAW,
} from './scripts.js';

/** Scripts over all five service keys (see keys.ts), channel first in ARGV. */
const COMMANDS = {
  syHeartbeat: HEARTBEAT,
  syRegister: REGISTER,
  syUpdate: UPDATE,
  syDeregister: DEREGISTER,
  syEvict: EVICT,
  syList: LIST,
  sySweep: SWEEP,
  syForgetSweeps: FORGET_SWEEPS,
  syServiceState: SERVICE_STATE,
  sySetRoute: SET_ROUTE,
  syRestoreRoute: RESTORE_ROUTE,
  syWithdraw: WITHDRAW,
  sySetCanary: SET_CANARY,
  syGetCanary: GET_CANARY,
} as const;

/** Scripts over the two keys of the services index (see serviceIndexKeys), service name first in ARGV. */
const INDEX_COMMANDS = {
  syIndexService: INDEX_SERVICE,
  syUnindexService: UNINDEX_SERVICE,
} as const;

type ScriptName = keyof typeof COMMANDS | keyof typeof INDEX_COMMANDS;
type ScriptFn = (...args: (string | number)[]) => Promise<unknown>;

/** What services() learns of one service: see SERVICE_STATE. */
export interface ServiceState {
  /** Live instances. */
  live: number;
  /** A route rule is stored (malformed or not). */
  routed: boolean;
  /** Nothing is left of the service: its name may leave the index. */
  vacant: boolean;
}

/** A removal's outcome: the script's status, and whether the service is vacant now. */
export interface RemovalResult {
  status: number;
  vacant: boolean;
}

/**
 * Typed calls to the registry's Lua scripts. ioredis sends them by SHA (EVALSHA) and falls back to
 * EVAL when a restarted Redis has forgotten them, so a heartbeat stays one small round trip.
 */
export class RedisScripts {
  constructor(private readonly client: RedisClient) {
    for (const [name, lua] of Object.entries(COMMANDS)) {
      if (!(name in client)) client.defineCommand(name, { numberOfKeys: 5, lua });
    }
    for (const [name, lua] of Object.entries(INDEX_COMMANDS)) {
      if (!(name in client)) client.defineCommand(name, { numberOfKeys: 2, lua });
    }
  }

  private run(name: ScriptName, keys: ServiceKeys, ...args: (string | number)[]): Promise<unknown> {
    return this.runOn(name, [...keys.scriptKeys, keys.channel], ...args);
  }

  private runOn(name: ScriptName, keysAndArgs: readonly (string | number)[], ...args: (string | number)[]) {
    const fn = (this.client as unknown as Record<ScriptName, ScriptFn>)[name];
    return fn.call(this.client, ...keysAndArgs, ...args);
  }

  /**
   * The fast heartbeat: `PEXPIRE` of the registration's lease key on the server clock. Returns
   * true when the lease was extended; false when this generation owns no live lease (then call
   * {@link slowHeartbeat} to learn why and repair).
   */
  async extendLease(keys: ServiceKeys, id: string, generation: string, ttlMs: number): Promise<boolean> {
    return (await this.client.pexpire(keys.lease(id, generation), ttlMs)) === 1;
  }

  /**
   * Whether the `gens` hash still names `generation` as the id's owner: one native `HGET`, which a
   * heartbeat sends beside its `PEXPIRE` once per TTL (a lease can outlive that record).
   */
  async ownsId(keys: ServiceKeys, id: string, generation: string): Promise<boolean> {
    return (await this.client.hget(keys.scriptKeys[1] as string, id)) === generation;
  }

  /**
   * The entry as Redis holds it (its JSON), or null: one native `HGET`, which the first heartbeat
   * after a reconnect sends beside its `PEXPIRE` (the Redis found may hold an older copy).
   */
  async storedEntry(keys: ServiceKeys, id: string): Promise<string | null> {
    return this.client.hget(keys.instances, id);
  }

  /** The slow heartbeat script: 1 lease rewritten, 0 entry missing, -1 superseded, -2 ended. */
  async slowHeartbeat(keys: ServiceKeys, id: string, generation: string, ttlMs: number): Promise<number> {
    return (await this.run('syHeartbeat', keys, id, generation, ttlMs)) as number;
  }

  async register(
    keys: ServiceKeys,
    id: string,
    generation: string,
    json: string,
    ttlMs: number,
    tombstoneTtlMs: number,
  ): Promise<{ status: number; generation: string }> {
    const [status, gen] = (await this.run('syRegister', keys, id, generation, json, ttlMs, tombstoneTtlMs)) as [
      number,
      string,
    ];
    return { status, generation: String(gen) };
  }

  async update(keys: ServiceKeys, id: string, generation: string, json: string): Promise<number> {
    return (await this.run('syUpdate', keys, id, generation, json)) as number;
  }

  /** Status 1 removed, 0 not the owner. */
  async deregister(keys: ServiceKeys, id: string, generation: string, tombstoneTtlMs: number): Promise<RemovalResult> {
    return removal(await this.run('syDeregister', keys, id, generation, tombstoneTtlMs));
  }

  /** Status 1 removed, 0 unknown id, -1 owned by another generation than the one expected. */
  async evict(
    keys: ServiceKeys,
    id: string,
    tombstoneTtlMs: number,
    expectedGeneration: string,
  ): Promise<RemovalResult> {
    return removal(await this.run('syEvict', keys, id, tombstoneTtlMs, expectedGeneration));
  }

  /** Removes `id` if its entry is exactly `json` (a register that timed out): status 1 removed, 0 not there. */
  async withdraw(keys: ServiceKeys, id: string, json: string, tombstoneTtlMs: number): Promise<RemovalResult> {
    return removal(await this.run('syWithdraw', keys, id, json, tombstoneTtlMs));
  }

  /**
   * `route`: the rule JSON; '' when cleared; null when Redis holds no route key at all. `revision`:
   * the revision as Redis holds it ('0' when there is none), for {@link setRoute}.
   */
  async list(
    keys: ServiceKeys,
  ): Promise<{ rev: number; revision: string; ids: string[]; values: (string | null)[]; route: string | null }> {
    const [rev, ids, values, route] = (await this.run('syList', keys)) as [
      string,
      string[],
      (string | null)[],
      string | null,
    ];
    return { rev: Number(rev) || 0, revision: String(rev), ids, values, route: route ?? null };
  }

  /**
   * Writes (or with '' clears) the route rule JSON, only if the service is still at `checkedAt` (the
   * `revision` of the list the rule was checked against; '' writes unconditionally). Returns 1
   * written, 0 already stored, -1 the service changed since (nothing written: check again).
   */
  async setRoute(keys: ServiceKeys, json: string, checkedAt: string): Promise<number> {
    return (await this.run('sySetRoute', keys, json, checkedAt)) as number;
  }

  /** Writes the rule JSON back only if Redis holds no route key at all: true when it did. */
  async restoreRoute(keys: ServiceKeys, json: string): Promise<boolean> {
    return (await this.run('syRestoreRoute', keys, json)) === 1;
  }

  /**
   * Writes (or with '' clears) the canary record (see SET_CANARY). `expected`: '' unconditional, '0'
   * none stored, else the revision. Returns the JSON written ('' cleared) and the server time, or
   * the revision found when it was not the one expected.
   */
  async setCanary(
    keys: ServiceKeys,
    fields: string,
    expected: string,
    leaseMs: number,
    ttlMs: number,
  ): Promise<{ written: true; json: string; now: number } | { written: false; found: number }> {
    const [status, value, now] = (await this.run('sySetCanary', keys, fields, expected, leaseMs, ttlMs)) as [
      number,
      string,
      number,
    ];
    return status === 1 ? { written: true, json: value, now: Number(now) } : { written: false, found: Number(value) };
  }

  /** The canary record's JSON ('' when none) and the server time (ms). */
  async getCanary(keys: ServiceKeys): Promise<{ json: string; now: number }> {
    const [json, now] = (await this.run('syGetCanary', keys)) as [string, number];
    return { json, now: Number(now) };
  }

  /**
   * A watcher's sweep: `intervalMs` is how often watchers sweep (it scales what counts as a stall).
   * `emptied`: it dropped the service's last entry.
   */
  async sweep(keys: ServiceKeys, limit: number, intervalMs: number): Promise<{ handled: number; emptied: boolean }> {
    const [handled, emptied] = (await this.run('sySweep', keys, limit, intervalMs)) as [number, number];
    return { handled, emptied: emptied === 1 };
  }

  /** A watcher stops: the mark its sweeps left goes (see FORGET_SWEEPS). */
  async forgetSweeps(keys: ServiceKeys): Promise<void> {
    await this.run('syForgetSweeps', keys);
  }

  /** Sweeps due entries, then says what is left of the service (see SERVICE_STATE). */
  async serviceState(keys: ServiceKeys): Promise<ServiceState> {
    const [live, routed, vacant] = (await this.run('syServiceState', keys)) as [number, number, number];
    return { live, routed: routed === 1, vacant: vacant === 1 };
  }

  /** Names `service` in the services index as claimed by a new entry or rule (see INDEX_SERVICE). */
  async indexService(indexKeys: readonly [string, string], service: string): Promise<void> {
    await this.runOn('syIndexService', indexKeys, service);
  }

  /**
   * Removes a vacant service's name from the index unless it was claimed since `claims` (the count
   * read before the service was found vacant; null when there was none). True when removed.
   */
  async unindexService(indexKeys: readonly [string, string], service: string, claims: string | null): Promise<boolean> {
    return (await this.runOn('syUnindexService', indexKeys, service, claims ?? '')) === 1;
  }
}

function removal(reply: unknown): RemovalResult {
  const [status, vacant] = reply as [number, number];
  return { status, vacant: vacant === 1 };
}
