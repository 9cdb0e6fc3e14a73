import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { MemoryStockStore, startCatalog } from '@shopping-guide/catalog';
import { RecommendationService } from '@shopping-guide/shared';
import { createDiscovery } from '@switchyard/discovery';
import { createGrpcClient } from '@switchyard/grpc';
import { MemoryRegistry } from '@switchyard/registry';
import { refuseFirstUp } from '@switchyard/registry/testing';
import type { RunningService } from '@switchyard/service';
import { afterEach, describe, expect, it } from 'vitest';
import { type StartRecommendationOptions, startRecommendation } from '../src/index.js';
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

async function system(options: StartRecommendationOptions = {}) {
  const registry = new MemoryRegistry();
  const catalog = await startCatalog({ ...common, registry, stock: new MemoryStockStore() });
  cleanups.push(() => catalog.stop());
  const service = await startRecommendation({ ...common, registry, ...options });
  cleanups.push(() => service.stop());
  const discovery = createDiscovery({ registry, service: 'recommendation' });
  const client = createGrpcClient({ definition: RecommendationService, discovery });
  cleanups.push(async () => {
    await client.close();
    await discovery.close();
  });
  await discovery.ready();
  return { service, client };
}

function healthcheck(service: RunningService): Promise<number | null> {
  const script = fileURLToPath(new URL('../healthcheck.mjs', import.meta.url));
  return new Promise((resolve) => {
    const env = { ...process.env, GRPC_PORT: String(service.grpcPort) };
    spawn(process.execPath, [script], { env, stdio: 'ignore' }).on('exit', resolve);
  });
}

describe('recommendation service', () => {
  it('recommends products related to recent views, from catalog data, and popular ones otherwise', async () => {
    const { service, client } = await system();
    expect(await healthcheck(service)).toBe(0);

    const anonymous = await client.recommend({ userId: 'new-user' });
    expect(anonymous.strategy).toBe('popular');
    expect(anonymous.products).toHaveLength(5);
    expect(anonymous.products.every((product) => product.tags.includes('bestseller'))).toBe(true);

    await client.recordView({ userId: 'ada', productId: 'sku-22' }); // a tent
    await client.recordView({ userId: 'ada', productId: 'sku-24' }); // a camping stove
    const personal = await client.recommend({ userId: 'ada', limit: 4 });
    expect(personal.strategy).toBe('co-view');
    expect(personal.products).toHaveLength(4);
    const ids = personal.products.map((product) => product.id);
    expect(ids).not.toContain('sku-22');
    expect(ids).not.toContain('sku-24');
    expect(ids).not.toContain('sku-28'); // sold out
    expect(personal.products[0]).toMatchObject({
      category: 'outdoor',
      name: expect.any(String),
      priceCents: expect.any(Number),
    });
    expect(personal.products[0]?.tags).toContain('camping');

    await expect(client.recordView({ userId: '', productId: 'sku-1' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      details: 'user_id: must be 1 to 128 characters',
    });
  });

  it('runs the trending arm when configured, and the answers say so', async () => {
    const { client } = await system({ strategy: 'trending' });
    for (const user of ['u1', 'u2', 'u3']) await client.recordView({ userId: user, productId: 'sku-32' });
    const anonymous = await client.recommend({ userId: 'someone-else', limit: 3 });
    expect(anonymous.strategy).toBe('trending');
    expect(anonymous.products[0]?.id).toBe('sku-32');
    await client.recordView({ userId: 'bo', productId: 'sku-31' });
    expect((await client.recommend({ userId: 'bo' })).strategy).toBe('trending-co-view');
  });

  it('refuses an unknown strategy at start, naming the setting', async () => {
    const previous = process.env.RECOMMENDATION_STRATEGY;
    process.env.RECOMMENDATION_STRATEGY = 'random';
    try {
      await expect(startRecommendation({ ...common, registry: new MemoryRegistry() })).rejects.toThrow(
        'RECOMMENDATION_STRATEGY: must be one of similar, trending, got "random"',
      );
    } finally {
      if (previous === undefined) delete process.env.RECOMMENDATION_STRATEGY;
      else process.env.RECOMMENDATION_STRATEGY = previous;
    }
  });

  it('comes up once the registry takes it when marking it ready failed at start (a registry blip), instead of failing the start with its server left listening', async () => {
    const registry = new MemoryRegistry();
    const upAccepted = refuseFirstUp(registry, 'recommendation');
    const service = await startRecommendation({ ...common, registry });
    cleanups.push(() => service.stop());
    await upAccepted;
    // Ready once markReady() has had the registry's answer (health turns SERVING after it).
    await expect.poll(() => service.ready).toBe(true);
    expect((await registry.list('recommendation')).map((instance) => instance.status)).toEqual(['up']);
    expect(await healthcheck(service)).toBe(0);
  });
});
