import { RedisRegistry } from '@switchyard/registry';
import { describeRegistry, EventLog } from '@switchyard/registry/testing';
import { type RedisSentinelHandle, startRedisSentinel } from '@switchyard/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueNamespace, waitFor } from './helpers.js';

let sentinel: RedisSentinelHandle;
beforeAll(async () => {
  sentinel = await startRedisSentinel();
});
afterAll(async () => {
  await sentinel?.stop();
});

describeRegistry('RedisRegistry (Sentinel)', () => {
  const namespace = uniqueNamespace();
  return { newClient: () => new RedisRegistry({ url: sentinel.url, namespace }) };
});

describe('RedisRegistry over Sentinel failover', () => {
  it('works again after the master is killed, with registrations and watches intact', async () => {
    const namespace = uniqueNamespace();
    const owner = new RedisRegistry({ url: sentinel.url, namespace });
    const watcher = new RedisRegistry({ url: sentinel.url, namespace });
    try {
      const registration = await owner.register(
        { id: 'catalog-1', service: 'catalog', host: '127.0.0.1', ports: { grpc: 1 } },
        { ttlMs: 10_000 },
      );
      const log = new EventLog();
      await watcher.watch('catalog', log.listener);
      const before = await sentinel.master();
      await sentinel.killMaster();
      const killedAt = Date.now();
      await waitFor(async () => (await sentinel.master()).port !== before.port, 20_000, 'sentinel failover');
      const failoverMs = Date.now() - killedAt;
      const recoveredMs = await waitFor(
        async () =>
          owner.register({ id: 'catalog-2', service: 'catalog', host: '127.0.0.1', ports: { grpc: 2 } }).then(
            () => true,
            () => false,
          ),
        10_000,
        'registry writable after failover',
      );
      console.log(`[sentinel] failover ${failoverMs} ms, registry writable ${recoveredMs} ms after that`);
      await waitFor(
        async () => (await watcher.list('catalog').catch(() => [])).length === 2,
        10_000,
        'both instances listed',
      );
      // The new instance reaches the watcher as an `up`, or inside the snapshot of its resync.
      await log.next(
        (e) =>
          (e.type === 'up' && e.instance.id === 'catalog-2') ||
          (e.type === 'snapshot' && e.instances.some((i) => i.id === 'catalog-2')),
        10_000,
      );
      await registration.update({ weight: 9 });
      await log.next((e) => e.type === 'update' && e.instance.weight === 9, 5_000);
      expect(registration.state).toBe('active');
    } finally {
      await owner.close();
      await watcher.close();
    }
  });
});

describe('RedisRegistry over a graceful Sentinel failover (the old master stays up, demoted to a replica)', () => {
  it('keeps every registration and watch: nothing is reported down, and the registry is writable within seconds', async () => {
    // A set of its own: after this failover the old master is a replica, which the test above must not meet.
    const own = await startRedisSentinel();
    const namespace = uniqueNamespace();
    const owner = new RedisRegistry({ url: own.url, namespace });
    const watcher = new RedisRegistry({ url: own.url, namespace, sweepIntervalMs: 200 });
    const admin = new Redis({ host: '127.0.0.1', port: own.sentinels[0]?.port, maxRetriesPerRequest: 1 });
    admin.on('error', () => {});
    try {
      const instance = (id: string) => ({ id, service: 'catalog', host: '127.0.0.1', ports: { grpc: 1 } });
      const registrations = await Promise.all(['a', 'b'].map((id) => owner.register(instance(id), { ttlMs: 2_000 })));
      const log = new EventLog();
      await watcher.watch('catalog', log.listener);
      const before = await own.master();
      await admin.call('SENTINEL', 'FAILOVER', own.masterName);
      const started = Date.now();
      await waitFor(async () => (await own.master()).port !== before.port, 10_000, 'sentinel failover');
      await waitFor(
        async () =>
          owner.register(instance('c')).then(
            () => true,
            () => false,
          ),
        10_000,
        'registry writable after the failover',
      );
      console.log(`[sentinel] graceful failover: registry writable ${Date.now() - started} ms after SENTINEL FAILOVER`);
      // Past a whole TTL on the new master: every registration heartbeats there.
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      expect((await watcher.list('catalog')).map((entry) => entry.id).sort()).toEqual(['a', 'b', 'c']);
      await log.next((e) => e.type === 'snapshot' || (e.type === 'up' && e.instance.id === 'c'), 1_000, 1);
      expect(log.events.filter((event) => event.type === 'down')).toEqual([]);
      expect(registrations.map((registration) => registration.state)).toEqual(['active', 'active']);
    } finally {
      admin.disconnect();
      await owner.close();
      await watcher.close();
      await own.stop();
    }
  });
});
