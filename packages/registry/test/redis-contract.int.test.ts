import { RedisRegistry } from '@switchyard/registry';
import { describeRegistry } from '@switchyard/registry/testing';
import { type RedisServerHandle, startRedis } from '@switchyard/testing';
import { afterAll, beforeAll } from 'vitest';
import { uniqueNamespace } from './helpers.js';

let redis: RedisServerHandle;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

describeRegistry('RedisRegistry (standalone)', () => {
  const namespace = uniqueNamespace();
  return { newClient: () => new RedisRegistry({ url: redis.url, namespace }) };
});
