import { type RedisServerHandle, startRedis } from '@switchyard/testing';
import { afterAll, beforeAll } from 'vitest';

/**
 * A Redis of this test file's own (started by `@switchyard/testing` before its tests, stopped
 * after them). Its `url` is readable once the tests run.
 */
export function throwawayRedis(): { readonly url: string } {
  let redis: RedisServerHandle | undefined;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });
  return {
    get url(): string {
      if (redis === undefined) throw new Error('throwawayRedis: read url inside a test');
      return redis.url;
    },
  };
}
