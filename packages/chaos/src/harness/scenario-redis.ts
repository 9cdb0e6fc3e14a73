import { type RedisServerHandle, startRedis } from '@switchyard/testing';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { killAll } from './processes.js';
import { redisVia } from './redis-via.js';

/** Anything a test opens and the scenario must close: registries, discoveries, clients. */
interface Closable {
  close(): Promise<unknown> | unknown;
}

/** What {@link useScenarioRedis} gives a scenario. */
export interface ScenarioRedis {
  /** The scenario's own throwaway Redis (started before its first test, stopped after its last). */
  readonly redis: RedisServerHandle;
  /** Returns `resource`, to be closed after the test (after every child process is killed), latest first. */
  closeAfter<T extends Closable>(resource: T): T;
}

/**
 * The set-up every single-Redis chaos scenario shares, registered on the enclosing `describe`:
 * one Redis for the scenario (container or binary, see redisVia), and after each test the child
 * processes killed and the test's clients closed, so a failing test cannot leak into the next.
 */
export function useScenarioRedis(): ScenarioRedis {
  let redis: RedisServerHandle | undefined;
  let open: Closable[] = [];
  beforeAll(async () => {
    redis = await startRedis({ via: redisVia() });
  }, 60_000);
  afterEach(async () => {
    await killAll();
    const closing = open.reverse();
    open = [];
    for (const resource of closing) await resource.close();
  }, 30_000);
  afterAll(async () => {
    await redis?.stop();
  }, 30_000);
  return {
    get redis() {
      if (!redis) throw new Error('the scenario Redis is started in beforeAll: use it inside a test');
      return redis;
    },
    closeAfter(resource) {
      open.push(resource);
      return resource;
    },
  };
}
