import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { MemoryStockStore, startCatalog } from '@shopping-guide/catalog';
import { SearchService } from '@shopping-guide/shared';
import { createDiscovery } from '@switchyard/discovery';
import { createGrpcClient } from '@switchyard/grpc';
import { MemoryRegistry } from '@switchyard/registry';
import { refuseFirstUp } from '@switchyard/registry/testing';
import type { RunningService } from '@switchyard/service';
import { afterEach, describe, expect, it } from 'vitest';
import { startSearch } from '../src/index.js';
import { silentLogger } from '@switchyard/core';

const common = {
  grpc: { port: 0, host: '127.0.0.1' },
  tracing: false,
  drainDelayMs: 0,
  handleSignals: false,
  logger: silentLogger,
} as const;
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function healthcheck(service: RunningService): Promise<number | null> {
  const script = fileURLToPath(new URL('../healthcheck.mjs', import.meta.url));
  return new Promise((resolve) => {
    const env = { ...process.env, GRPC_PORT: String(service.grpcPort) };
    spawn(process.execPath, [script], { env, stdio: 'ignore' }).on('exit', resolve);
  });
}

describe('search service', () => {
  it('is not ready (health NOT_SERVING) and answers UNAVAILABLE until it has indexed the catalog, then ranked hits', async () => {
    const registry = new MemoryRegistry();
    const search = await startSearch({ ...common, registry, indexer: { retryInitialMs: 50, refreshIntervalMs: 500 } });
    cleanups.push(() => search.stop());
    const discovery = createDiscovery({ registry, service: 'search' });
    // One attempt per call, to see the service's own answer rather than the client's retries.
    const client = createGrpcClient({ definition: SearchService, discovery, policy: false });
    cleanups.push(async () => {
      await client.close();
      await discovery.close();
    });
    await discovery.ready();
    expect(await healthcheck(search)).toBe(1); // registered, but not ready: no index yet
    expect(search.ready).toBe(false);
    await expect(client.search({ query: 'tent' })).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      details: 'search index not built yet',
    });

    const catalog = await startCatalog({ ...common, registry, stock: new MemoryStockStore() });
    cleanups.push(() => catalog.stop());
    await expect
      .poll(
        () =>
          client.search({ query: 'tent' }).then(
            () => 'indexed',
            () => 'not yet',
          ),
        { timeout: 5_000 },
      )
      .toBe('indexed');
    expect(search.ready).toBe(true);
    expect(await healthcheck(search)).toBe(0);

    const { hits } = await client.search({ query: 'wireless headphones' });
    expect(hits[0]).toMatchObject({ productId: 'sku-1', name: 'Aurora Wireless Headphones' });
    expect(hits.length).toBeLessThanOrEqual(10);
    expect(hits[0]?.score).toBeGreaterThan(hits.at(-1)?.score ?? 0);
    expect((await client.search({ query: 'cam', limit: 3 })).hits).toHaveLength(3);
    expect((await client.search({ query: 'espresso' })).hits[0]?.productId).toBe('sku-38');
    await expect(client.search({ query: '' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });

    // A catalog outage after indexing keeps the last index serving.
    await catalog.stop();
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect((await client.search({ query: 'tent' })).hits[0]?.productId).toBe('sku-22');
  });

  it('becomes ready once the registry takes it, when marking it ready failed at first (a registry blip at warm-up)', async () => {
    const registry = new MemoryRegistry();
    const catalog = await startCatalog({ ...common, registry, stock: new MemoryStockStore() });
    cleanups.push(() => catalog.stop());
    // The registry refuses search's first `status: up` (Redis restarting as the index gets built).
    const upAccepted = refuseFirstUp(registry, 'search');
    const search = await startSearch({ ...common, registry, indexer: { retryInitialMs: 50, refreshIntervalMs: 500 } });
    cleanups.push(() => search.stop());
    // It stayed NOT_SERVING and listed as draining for good: nothing asked again.
    await expect.poll(() => search.ready, { timeout: 10_000 }).toBe(true);
    await upAccepted;
    expect((await registry.list('search')).map((instance) => instance.status)).toEqual(['up']);
    expect(await healthcheck(search)).toBe(0);
  });
});
