import { randomBytes } from 'node:crypto';
import { createDiscovery, type Discovery } from '@switchyard/discovery';
import { RedisRegistry } from '@switchyard/registry';
import { type RedisServerHandle, startRedis } from '@switchyard/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

// Its own Redis: the test restarts it.
let redis: RedisServerHandle;
const cleanups: (() => Promise<void> | void)[] = [];
beforeAll(async () => {
  redis = await startRedis();
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
afterAll(async () => {
  await redis?.stop();
});

function client(namespace: string): RedisRegistry {
  const registry = new RedisRegistry({ url: redis.url, namespace });
  cleanups.push(() => registry.close());
  return registry;
}

function discover(registry: RedisRegistry): Discovery {
  const discovery = createDiscovery({ registry, service: 'catalog' });
  cleanups.push(() => discovery.close());
  return discovery;
}

/** How many of `count` picks went to each version. */
function picks(discovery: Discovery, count: number): Record<string, number> {
  const byVersion: Record<string, number> = {};
  for (let index = 0; index < count; index++) {
    const lease = discovery.pick();
    const version = lease.instance.version ?? '';
    byVersion[version] = (byVersion[version] ?? 0) + 1;
    lease.done({ ok: true, latencyMs: 1 });
  }
  return byVersion;
}

/** Polls `check` (which may throw while clients reconnect) until it holds. */
async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const started = Date.now();
  for (;;) {
    if (
      await Promise.resolve()
        .then(check)
        .catch(() => false)
    )
      return;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('a route rule across a Redis restart without persistence', () => {
  it('keeps routing by a canary rolled back to 0 %, in a running client and in one started afterwards', async () => {
    const namespace = `r${randomBytes(4).toString('hex')}`;
    const owner = client(namespace);
    for (const [id, version] of [
      ['s1', '1.0.0'],
      ['s2', '1.0.0'],
      ['c1', '1.1.0'],
    ] as const) {
      await owner.register({ id, version, service: 'catalog', host: '127.0.0.1', ports: { tcp: 1 } }, { ttlMs: 3_000 });
    }
    const running = discover(client(namespace));
    await running.ready();
    await owner.setRoute('catalog', { splits: { '1.0.0': 100, '1.1.0': 0 } });
    await until(() => picks(running, 50)['1.1.0'] === undefined, 2_000, 'the running client to route by the rule');

    await redis.restart(); // empty: the instances write themselves back; the rule must come back too

    // Both stable instances: the canary, at 0 %, is not in the view while the rule holds.
    await until(() => !running.stale && running.instances().length === 2, 8_000, 'the running client back');
    // Without the rule, 1.1.0 took its share of the instances: a third of the calls.
    expect(picks(running, 600)).toEqual({ '1.0.0': 600 });
    await until(
      async () => (await owner.getRoute('catalog')) !== undefined,
      8_000,
      'the rule back in Redis (written back by a watcher)',
    );
    await until(async () => (await owner.list('catalog')).length === 3, 8_000, 'the instances back in Redis');
    expect(picks(running, 600)).toEqual({ '1.0.0': 600 });

    const started = discover(client(namespace));
    await started.ready();
    expect(picks(started, 600)).toEqual({ '1.0.0': 600 });
  });
});
