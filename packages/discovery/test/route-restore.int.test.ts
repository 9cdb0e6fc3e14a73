import { randomBytes } from 'node:crypto';
import { createDiscovery, type Discovery } from '@switchyard/discovery';
import { RedisRegistry } from '@switchyard/registry';
import { describe, expect, it } from 'vitest';
import { redisPerFile } from './fixtures/redis-per-file.js';
import { versionsPicked } from './fixtures/version-picks.js';

// Its own Redis: the test restarts it.
const file = redisPerFile();
const { cleanups } = file;

function client(namespace: string): RedisRegistry {
  const registry = new RedisRegistry({ url: file.redis.url, namespace });
  cleanups.push(() => registry.close());
  return registry;
}

function discover(registry: RedisRegistry): Discovery {
  const discovery = createDiscovery({ registry, service: 'catalog' });
  cleanups.push(() => discovery.close());
  return discovery;
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
    await until(
      () => versionsPicked(running, 50)['1.1.0'] === undefined,
      2_000,
      'the running client to route by the rule',
    );

    await file.redis.restart(); // empty: the instances write themselves back; the rule must come back too

    // Both stable instances: the canary, at 0 %, is not in the view while the rule holds.
    await until(() => !running.stale && running.instances().length === 2, 8_000, 'the running client back');
    // Without the rule, 1.1.0 took its share of the instances: a third of the calls.
    expect(versionsPicked(running, 600)).toEqual({ '1.0.0': 600 });
    await until(
      async () => (await owner.getRoute('catalog')) !== undefined,
      8_000,
      'the rule back in Redis (written back by a watcher)',
    );
    await until(async () => (await owner.list('catalog')).length === 3, 8_000, 'the instances back in Redis');
    expect(versionsPicked(running, 600)).toEqual({ '1.0.0': 600 });

    const started = discover(client(namespace));
    await started.ready();
    expect(versionsPicked(started, 600)).toEqual({ '1.0.0': 600 });
  });
});
