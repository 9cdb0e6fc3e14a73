/**
 * The scenarios' shared set-up itself (registered first by chaos.int.test.ts; about a second):
 * a test that leaves the scenario's Redis killed or paused — as 3a does when it fails during its
 * outage — must not leave the next test of the scenario without a Redis.
 */
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { useScenarioRedis } from './scenario-redis.js';

/** PING with a short bound: a paused Redis never answers. */
async function ping(url: string): Promise<string> {
  const client = new Redis(url, { commandTimeout: 1_000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => undefined);
  try {
    return await client.ping();
  } catch (error) {
    return String(error);
  } finally {
    client.disconnect();
  }
}

/** Registers the harness tests (called by chaos.int.test.ts). */
export function scenarioRedisReset(): void {
  describe('chaos harness: the scenario Redis after a test that took it down', () => {
    const scenario = useScenarioRedis();

    it('a test kills Redis and ends (as a failing 3a would, mid-outage)', async () => {
      await scenario.redis.kill();
    });

    it('the next test finds it answering; this one pauses it and ends', async () => {
      expect(await ping(scenario.redis.url)).toBe('PONG');
      await scenario.redis.pause();
    });

    it('the next test finds it answering again', async () => {
      expect(await ping(scenario.redis.url)).toBe('PONG');
    });
  });
}
