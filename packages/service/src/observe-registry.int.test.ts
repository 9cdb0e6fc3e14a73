/** Registry metrics of services that share one Redis registry: each operation counted once. */
import { silentLogger } from '@switchyard/core';
import { RedisRegistry } from '@switchyard/registry';
import { type RedisServerHandle, startRedis } from '@switchyard/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startService } from './start-service.js';

const quiet = { handleSignals: false, tracing: false, drainDelayMs: 0, logger: silentLogger } as const;
let redis: RedisServerHandle;
beforeAll(async () => {
  redis = await startRedis();
}, 60_000);
afterAll(async () => {
  await redis?.stop();
});

/** The value of one `switchyard_registry_operations_total` series on the /metrics page. */
async function operations(metricsPort: number, operation: string): Promise<number> {
  const page = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const line = page
    .split('\n')
    .find(
      (text) => text.startsWith('switchyard_registry_operations_total') && text.includes(`operation="${operation}"`),
    );
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

it('counts each operation of a registry two services share once, and keeps counting while one of them runs', async () => {
  const registry = new RedisRegistry({ url: redis.url, namespace: `observe${Date.now()}` });
  const http = { port: 0, host: '127.0.0.1' };
  const a = await startService({ name: 'orders', registry, http, metrics: { port: 0 }, ...quiet });
  const b = await startService({ name: 'search', registry, http, metrics: { port: 0 }, ...quiet });
  try {
    const port = a.metricsPort as number;
    // One register each: 2, not 3 (the second service's counted once per service).
    expect(await operations(port, 'register')).toBe(2);
    const lists = await operations(port, 'list');
    await registry.list('orders');
    expect(await operations(port, 'list')).toBe(lists + 1);
    // The first service gone, the one left still counts, once.
    await a.stop();
    await registry.list('search');
    expect(await operations(b.metricsPort as number, 'list')).toBe(lists + 2);
  } finally {
    await a.stop();
    await b.stop();
    await registry.close();
  }
});
