import { randomBytes } from 'node:crypto';
import { createDiscovery, type Discovery } from '@switchyard/discovery';
import { RedisRegistry } from '@switchyard/registry';
import { type RedisServerHandle, startRedis } from '@switchyard/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let redis: RedisServerHandle;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

describe('traffic groups against a real Redis', () => {
  it('sends a key to the same version in every client, however each one learnt the rule', async () => {
    const namespace = `t${randomBytes(4).toString('hex')}`;
    const registry = new RedisRegistry({ url: redis.url, namespace });
    // The late client is another process: its own registry client, its own watch.
    const elsewhere = new RedisRegistry({ url: redis.url, namespace });
    const discoveries: Discovery[] = [];
    const discover = async (from: RedisRegistry): Promise<Discovery> => {
      const discovery = createDiscovery({
        registry: from,
        service: 'catalog',
        balancer: 'maglev',
        outlierDetection: false,
      });
      discoveries.push(discovery);
      await discovery.ready();
      return discovery;
    };
    try {
      for (const [id, version] of [
        ['a', '1.4.0'],
        ['b', '1.4.0'],
        ['c', '1.5.0'],
        ['d', '1.6.0'],
      ] as const) {
        await registry.register({ id, service: 'catalog', version, host: '127.0.0.1', ports: { grpc: 1 } });
      }
      const early = await discover(registry);
      await registry.setRoute('catalog', { splits: { '1.4.0': 80, '1.5.0': 10, '1.6.0': 10 } });
      // The same rule written again in another order (another operator, a script, the canary
      // controller) is no change to a watching client (no event), but it is what Redis now holds
      // and what a client starting now reads. Versions were laid out on the key space in the
      // rule's own order, so the two clients sent ~20 % of keys to different versions.
      await registry.setRoute('catalog', { splits: { '1.6.0': 10, '1.5.0': 10, '1.4.0': 80 } });
      const late = await discover(elsewhere);
      const versionOf = (discovery: Discovery, key: string): string | undefined => {
        const lease = discovery.pick({ key });
        lease.done({ ok: true, latencyMs: 1 });
        return lease.instance.version;
      };
      const keys = Array.from({ length: 2_000 }, (_, i) => `user-${i}`);
      // The early client follows the rule once its route event arrived (within one push): 80 % of
      // keys on 1.4.0, against 50 % (2 of 4 instances) without a rule.
      const deadline = Date.now() + 3_000;
      while (keys.filter((key) => versionOf(early, key) === '1.4.0').length < 0.7 * keys.length) {
        if (Date.now() > deadline) throw new Error('the early client never followed the rule');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      const late10 = keys.filter((key) => versionOf(late, key) !== '1.4.0').length;
      // Both carry the split (2,000 keys at 20 %: mean 400, sd ≈ 18; 250..550 is over 8 sd).
      expect(late10).toBeGreaterThan(250);
      expect(late10).toBeLessThan(550);
      expect(keys.filter((key) => versionOf(early, key) !== versionOf(late, key))).toEqual([]);
    } finally {
      await Promise.all(discoveries.map((discovery) => discovery.close()));
      await registry.close();
      await elsewhere.close();
    }
  });
});
