// The README's quick start is the region below, verbatim (readme.test.ts checks that they match).
// #region quick-start
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type RedisServerHandle, startRedis } from '@switchyard/testing';

let redis: RedisServerHandle;
beforeAll(async () => {
  redis = await startRedis(); // REDIS_URL, else a container, else redis-server
}, 30_000);
afterAll(() => redis.stop());

it('comes back empty after a crash', async () => {
  const client = new Redis(redis.url).on('error', () => {}); // errors expected during the crash
  await client.set('greeting', 'hello');
  await redis.kill(); // SIGKILL: connections reset
  await redis.restart(); // same port, no data
  expect(await client.get('greeting')).toBeNull(); // ioredis reconnected by itself
  client.disconnect();
}, 30_000);
// #endregion quick-start
