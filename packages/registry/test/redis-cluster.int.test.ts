import { RedisRegistry } from '@switchyard/registry';
import { describeRegistry } from '@switchyard/registry/testing';
import { type RedisClusterHandle, startRedisCluster } from '@switchyard/testing';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueNamespace } from './helpers.js';

let cluster: RedisClusterHandle;
beforeAll(async () => {
  cluster = await startRedisCluster({ masters: 3 });
});
afterAll(async () => {
  await cluster?.stop();
});

describeRegistry('RedisRegistry (Cluster, 3 masters)', () => {
  const namespace = uniqueNamespace();
  return { newClient: () => new RedisRegistry({ url: cluster.url, namespace }) };
});

describe('RedisRegistry on Cluster', () => {
  it('spreads services over slots on different masters', async () => {
    const namespace = uniqueNamespace();
    const registry = new RedisRegistry({ url: cluster.url, namespace });
    try {
      const services = ['catalog', 'orders', 'search', 'recommendation', 'gateway', 'payments'];
      for (const service of services) await registry.register({ service, host: '127.0.0.1', ports: { grpc: 1 } });
      expect(await registry.services()).toEqual([...services].sort());
      for (const service of services) expect(await registry.list(service)).toHaveLength(1);
    } finally {
      await registry.close();
    }
  });

  it('takes retired services out of the index: its two keys share a slot, so the removal script runs', async () => {
    const namespace = uniqueNamespace();
    const registry = new RedisRegistry({ url: cluster.url, namespace });
    const raw = new Cluster(cluster.nodes.map(({ host, port }) => ({ host, port })));
    try {
      const services = ['catalog', 'orders', 'search', 'recommendation', 'gateway', 'payments'];
      const registrations = await Promise.all(
        services.map((service) => registry.register({ service, host: '127.0.0.1', ports: { grpc: 1 } })),
      );
      expect((await raw.smembers(`${namespace}:services`)).sort()).toEqual([...services].sort());
      // (A removal refused with CROSSSLOT is only logged, and services() filters by itself: read Redis.)
      await Promise.all(registrations.map((registration) => registration.deregister()));
      expect(await raw.smembers(`${namespace}:services`)).toEqual([]);
      expect(await raw.hkeys(`${namespace}:{${namespace}:services}:indexed`)).toEqual([]);
    } finally {
      raw.disconnect();
      await registry.close();
    }
  });
});
