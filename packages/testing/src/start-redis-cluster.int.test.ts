import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerAvailable, type RedisClusterHandle, startRedisCluster } from '@switchyard/testing';

const docker = await dockerAvailable();
if (!docker) console.warn('[switchyard/testing] no Docker engine answered: skipping the container-path tests');

for (const via of ['binary', 'container'] as const) {
  describe.runIf(via === 'binary' || docker)(`startRedisCluster via ${via}`, { timeout: 30_000 }, () => {
    let cluster: RedisClusterHandle;
    let client: Cluster | undefined;

    beforeAll(async () => {
      cluster = await startRedisCluster({ via });
    }, 30_000);

    afterAll(async () => {
      client?.disconnect();
      await cluster?.stop();
    });

    it('reports cluster_state:ok on every node', async () => {
      expect(cluster.via).toBe(via);
      expect(cluster.nodes).toHaveLength(3);
      expect(cluster.url).toBe(`redis-cluster://${cluster.nodes.map((node) => `127.0.0.1:${node.port}`).join(',')}`);
      for (const node of cluster.nodes) {
        const connection = new Redis({ host: node.host, port: node.port, maxRetriesPerRequest: 1 });
        try {
          expect(await connection.cluster('INFO')).toMatch(/cluster_state:ok/);
        } finally {
          connection.disconnect();
        }
      }
    });

    it('stores keys from different slots on different masters through ioredis Cluster', async () => {
      client = new Cluster(cluster.nodes, { redisOptions: { maxRetriesPerRequest: 1 } });
      const keys = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot'];
      const slots = await Promise.all(keys.map((key) => client?.cluster('KEYSLOT', key)));
      expect(new Set(slots).size).toBe(keys.length);
      for (const key of keys) await client.set(key, `value-${key}`);
      for (const key of keys) expect(await client.get(key)).toBe(`value-${key}`);
      const sizes = await Promise.all(client.nodes('master').map((master) => master.dbsize()));
      expect(sizes.filter((size) => size > 0).length).toBeGreaterThanOrEqual(2);
    });
  });
}
