import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { dockerAvailable, type RedisSentinelHandle, startRedisSentinel } from '@switchyard/testing';

const docker = await dockerAvailable();
if (!docker) console.warn('[switchyard/testing] no Docker engine answered: skipping the container-path tests');

for (const via of ['binary', 'container'] as const) {
  describe.runIf(via === 'binary' || docker)(`startRedisSentinel via ${via}`, { timeout: 30_000 }, () => {
    let sentinel: RedisSentinelHandle;
    let client: Redis | undefined;

    beforeAll(async () => {
      sentinel = await startRedisSentinel({ via });
    }, 30_000);

    afterAll(async () => {
      client?.disconnect();
      await sentinel?.stop();
    });

    it('describes itself and serves a sentinel-aware client', async () => {
      expect(sentinel.via).toBe(via);
      expect(sentinel.masterName).toBe('mymaster');
      expect(sentinel.sentinels).toHaveLength(3);
      const list = sentinel.sentinels.map((endpoint) => `${endpoint.host}:${endpoint.port}`).join(',');
      expect(sentinel.url).toBe(`redis-sentinel://${list}/mymaster`);
      client = new Redis({ sentinels: sentinel.sentinels, name: sentinel.masterName, maxRetriesPerRequest: 1 });
      client.on('error', () => undefined);
      await client.set('before', '1');
      expect(await client.get('before')).toBe('1');
    });

    it('killMaster(): a sentinel reports a new master within 10 s, and writes work again', async () => {
      const before = await sentinel.master();
      await sentinel.killMaster();
      await vi.waitFor(
        async () => {
          expect((await sentinel.master()).port).not.toBe(before.port);
        },
        { timeout: 10_000, interval: 100 },
      );
      const after = await sentinel.master();
      expect(after.host).toBe('127.0.0.1');
      await vi.waitFor(() => client?.set('after', '2'), { timeout: 10_000, interval: 200 });
      expect(await client?.get('after')).toBe('2');
    });
  });
}
