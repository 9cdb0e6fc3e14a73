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
 * processes killed, the test's clients closed, and Redis brought back (restarted, empty) if the
 * test left it killed, stopped or paused — so a failing test cannot leak into the next (3a failing
 * while Redis is down must not fail 3b for want of a Redis).
 */
export function useScenarioRedis(): ScenarioRedis {
  let server: RedisServerHandle | undefined;
  let redis: RedisServerHandle | undefined;
  /** Whether the test took Redis down (kill, stop, pause) and has not brought it back. */
  let down = false;
  let open: Closable[] = [];
  beforeAll(async () => {
    server = await startRedis({ via: redisVia() });
    redis = tracked(server, (isDown) => {
      down = isDown;
    });
  }, 60_000);
  afterEach(async () => {
    await killAll();
    const closing = open.reverse();
    open = [];
    for (const resource of closing) await resource.close();
    if (down && server) {
      await server.restart(); // stop (SIGCONT first if paused) and start again on the same port
      down = false;
    }
  }, 30_000);
  afterAll(async () => {
    await server?.stop();
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

/** `server`, telling `onDownChange` whenever a test takes it down or brings it back. */
function tracked(server: RedisServerHandle, onDownChange: (down: boolean) => void): RedisServerHandle {
  const marking = (operation: () => Promise<void>, down: boolean) => async () => {
    if (down) onDownChange(true); // before: a kill that fails half-way still counts
    await operation();
    if (!down) onDownChange(false);
  };
  const handle: RedisServerHandle = {
    url: server.url,
    host: server.host,
    port: server.port,
    via: server.via,
    stop: marking(() => server.stop(), true),
    kill: marking(() => server.kill(), true),
    pause: marking(() => server.pause(), true),
    restart: marking(() => server.restart(), false),
    resume: marking(() => server.resume(), false),
  };
  return Object.assign(handle, { toString: () => server.toString() });
}
