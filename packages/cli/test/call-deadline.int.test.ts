/**
 * `switchyard call --deadline-ms` bounds the whole call, the wait for discovery's first view of the
 * service included: a registry that lists instances but never delivers a watch (here a Redis ACL
 * user refused SUBSCRIBE) ends the call at its deadline, not after a separate 5 s readiness wait.
 */
import { createRegistry, type Registry } from '@switchyard/registry';
import { type RedisServerHandle, startRedis } from '@switchyard/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCliInProcess } from '../src/test-support/run-cli-in-process.js';
import { type EchoInstance, startEcho, callSay } from './fixtures/echo-fleet.js';

let redis: RedisServerHandle;
let admin: Redis;
let registry: Registry;
let echo: EchoInstance;

beforeAll(async () => {
  // A Redis of this suite's own: an ACL user is added to it.
  redis = await startRedis({ via: process.env.SWITCHYARD_TESTING_VIA === 'container' ? 'container' : 'binary' });
  admin = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  registry = createRegistry(redis.url);
  echo = await startEcho(registry, { id: 'echo-1', service: 'echo' });
  // May run every command but subscribe: list() works, a watch never gets its first snapshot.
  await admin.acl('SETUSER', 'nowatch', 'on', '>nowatch-pass', '~*', '&*', '+@all', '-subscribe', '-psubscribe');
}, 120_000);

afterAll(async () => {
  await echo?.stop();
  await registry?.close();
  admin?.disconnect();
  await redis?.stop();
});

it('ends the call at --deadline-ms while discovery still waits for the registry', { timeout: 30_000 }, async () => {
  const started = performance.now();
  const result = await runCliInProcess(callSay('echo', '{}', '--deadline-ms', '600'), {
    SWITCHYARD_REGISTRY_URL: `redis://nowatch:nowatch-pass@127.0.0.1:${redis.port}`,
  });
  const elapsedMs = performance.now() - started;
  expect(result.code, result.stderr).toBe(1);
  expect(result.stderr).toMatch(/^switchyard call: switchyard\.echo\.v1\.Echo\/Say: deadline of 600 ms exceeded/);
  // The readiness wait alone used to take 5 s, outside the deadline.
  expect(elapsedMs).toBeLessThan(3_000);
});
