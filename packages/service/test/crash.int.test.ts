import { silentLogger } from '@switchyard/core';
import { RedisRegistry } from '@switchyard/registry';
import { EventLog } from '@switchyard/registry/testing';
import { startService } from '@switchyard/service';
import { throwawayRedis } from './throwaway-redis.js';
import { describe, expect, it } from 'vitest';

const redis = throwawayRedis();

describe('crash()', () => {
  it('leaves the entry behind, no longer heartbeated, so it expires within its lease as after a SIGKILL', async () => {
    const namespace = `crash${Date.now()}`;
    const ttlMs = 1_500;
    const registry = new RedisRegistry({ url: redis.url, namespace });
    const watcher = new RedisRegistry({ url: redis.url, namespace, sweepIntervalMs: 250 });
    try {
      const log = new EventLog();
      await watcher.watch('doomed', log.listener);
      const service = await startService({
        name: 'doomed',
        registry,
        ttlMs,
        http: { port: 0, host: '127.0.0.1' },
        tracing: false,
        handleSignals: false,
        drainDelayMs: 0,
        logger: silentLogger,
      });
      await log.next((event) => event.type === 'up', 2_000);
      const crashedAt = Date.now();
      await service.crash();
      // Not deregistered: a crash removes nothing.
      expect((await watcher.list('doomed')).map((instance) => instance.id)).toEqual([service.registration.instance.id]);
      expect(service.registration.state).toBe('lost');
      const down = await log.next((event) => event.type === 'down', ttlMs + 1_500);
      expect(down).toMatchObject({ type: 'down', reason: 'expired' });
      expect(Date.now() - crashedAt).toBeLessThanOrEqual(ttlMs + 1_000);
    } finally {
      await registry.close();
      await watcher.close();
    }
  });
});
