import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { CatalogService } from '@shopping-guide/shared';
import { createDiscovery } from '@switchyard/discovery';
import { createGrpcClient } from '@switchyard/grpc';
import { MemoryRegistry } from '@switchyard/registry';
import type { RunningService } from '@switchyard/service';
import { type RedisServerHandle, startRedis } from '@switchyard/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStockStore, PRODUCTS, RedisStockStore, type StartCatalogOptions, startCatalog } from '../src/index.js';
import { stockStoreFromEnv } from '../src/stock/stock-store-from-env.js';
import { describeStockStore } from './stock-store-contract.js';
import { silentLogger } from '@switchyard/core';
import { Redis } from 'ioredis';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function catalogReplica(registry: MemoryRegistry, options: StartCatalogOptions = {}): Promise<RunningService> {
  const service = await startCatalog({
    registry,
    grpc: { port: 0, host: '127.0.0.1' },
    tracing: false,
    drainDelayMs: 0,
    handleSignals: false,
    logger: silentLogger,
    ...options,
  });
  cleanups.push(() => service.stop());
  return service;
}

async function catalogClient(registry: MemoryRegistry) {
  const discovery = createDiscovery({ registry, service: 'catalog', balancer: 'round-robin' });
  const client = createGrpcClient({ definition: CatalogService, discovery });
  cleanups.push(async () => {
    await client.close();
    await discovery.close();
  });
  await discovery.ready();
  return client;
}

function healthcheck(port: number, service = ''): Promise<number | null> {
  const script = fileURLToPath(new URL('../healthcheck.mjs', import.meta.url));
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script, service], {
      env: { ...process.env, GRPC_PORT: String(port) },
      stdio: 'ignore',
    });
    child.on('exit', (code) => resolve(code));
  });
}

describe('catalog service (memory stock)', () => {
  it('serves products, pages, batches and errors over gRPC', async () => {
    const registry = new MemoryRegistry();
    const service = await catalogReplica(registry, { stock: new MemoryStockStore(), version: '9.9.9' });
    expect(service.instance).toMatchObject({ service: 'catalog', version: '9.9.9', host: '127.0.0.1' });
    const catalog = await catalogClient(registry);

    const { product } = await catalog.getProduct({ id: 'sku-1' });
    expect(product).toMatchObject({ id: 'sku-1', name: 'Aurora Wireless Headphones', stock: 120 });
    await expect(catalog.getProduct({ id: 'sku-404' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(catalog.getProduct({ id: '' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      details: 'id: must not be empty',
    });

    const ids: string[] = [];
    let pageToken = '';
    do {
      const page = await catalog.listProducts({ pageSize: 15, pageToken });
      ids.push(...page.products.map((item) => item.id));
      pageToken = page.nextPageToken;
    } while (pageToken);
    expect(ids).toEqual(PRODUCTS.map((item) => item.id));
    const books = await catalog.listProducts({ category: 'books' });
    expect(books.products.map((item) => item.category)).toEqual(Array(7).fill('books'));
    expect(books.nextPageToken).toBe('');

    const batch = await catalog.batchGetProducts({ ids: ['sku-40', 'nope', 'sku-2'] });
    expect(batch.products.map((item) => item.id)).toEqual(['sku-40', 'sku-2']);
  });

  it('reserves stock all-or-nothing and idempotently per order id', async () => {
    const registry = new MemoryRegistry();
    await catalogReplica(registry, { stock: new MemoryStockStore() });
    const catalog = await catalogClient(registry);
    const lines = [
      { productId: 'sku-14', quantity: 2 },
      { productId: 'sku-10', quantity: 1 },
    ];
    expect(await catalog.reserveStock({ orderId: 'order-1', lines })).toEqual({ reserved: true, shortProductId: '' });
    expect(await catalog.reserveStock({ orderId: 'order-1', lines })).toEqual({ reserved: true, shortProductId: '' });
    expect((await catalog.getProduct({ id: 'sku-14' })).product?.stock).toBe(1);
    expect(await catalog.reserveStock({ orderId: 'order-2', lines })).toEqual({
      reserved: false,
      shortProductId: 'sku-14',
    });
    expect((await catalog.getProduct({ id: 'sku-10' })).product?.stock).toBe(219);
    await expect(
      catalog.reserveStock({ orderId: 'order-3', lines: [{ productId: 'sku-1', quantity: 0 }] }),
    ).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      details: 'lines[0].quantity: must be from 1 to 10000, got 0',
    });
  });

  it('passes its container health check while serving, fails it (but not liveness) while draining', async () => {
    const registry = new MemoryRegistry();
    const service = await catalogReplica(registry, { stock: new MemoryStockStore(), drainDelayMs: 1_500 });
    const port = service.grpcPort as number;
    expect(await healthcheck(port)).toBe(0);
    const stopping = service.stop();
    expect(await healthcheck(port)).toBe(1);
    expect(await healthcheck(port, 'liveness')).toBe(0);
    await stopping;
    expect(await healthcheck(port)).toBe(1);
  });
});

describe('catalog service (Redis stock)', () => {
  let redis: RedisServerHandle;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });
  const keyPrefix = () => `shop:{test-${randomBytes(4).toString('hex')}}:`;

  describeStockStore('RedisStockStore', (options) =>
    RedisStockStore.fromUrl(redis.url, { keyPrefix: keyPrefix(), ...options }),
  );

  it('shares stock between replicas: no overselling, one reservation per order id, no re-seeding', async () => {
    const prefix = keyPrefix();
    const registry = new MemoryRegistry();
    const replica = () =>
      catalogReplica(registry, { stock: RedisStockStore.fromUrl(redis.url, { keyPrefix: prefix }) });
    await replica();
    await replica();
    const catalog = await catalogClient(registry);
    await expect.poll(async () => (await registry.list('catalog')).length).toBe(2);

    // sku-7 starts with 5 units: 30 buyers race for them through both replicas.
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, index) =>
        catalog.reserveStock({ orderId: `race-${index}`, lines: [{ productId: 'sku-7', quantity: 1 }] }),
      ),
    );
    expect(answers.filter((answer) => answer.reserved)).toHaveLength(5);
    expect(answers.filter((answer) => !answer.reserved).every((answer) => answer.shortProductId === 'sku-7')).toBe(
      true,
    );

    // One order id retried through both replicas at once still takes its units once.
    const retried = Array.from({ length: 10 }, () =>
      catalog.reserveStock({ orderId: 'retried', lines: [{ productId: 'sku-2', quantity: 3 }] }),
    );
    expect(new Set((await Promise.all(retried)).map((answer) => answer.reserved))).toEqual(new Set([true]));
    expect((await catalog.getProduct({ id: 'sku-2' })).product?.stock).toBe(197);

    // A third replica starting later finds the store seeded and leaves the levels alone.
    await replica();
    expect((await catalog.batchGetProducts({ ids: ['sku-7', 'sku-2'] })).products.map((item) => item.stock)).toEqual([
      0, 197,
    ]);
  });

  it('releases a held reservation through any replica, never a confirmed one, and gives back one nobody confirms after the hold time', async () => {
    // Orders holds stock, then confirms it once the order is placed. Its compensation (a release
    // after a lost reply) may reach another replica than the reservation did, and an orders
    // replica that crashed between the two never confirms nor releases at all.
    const prefix = keyPrefix();
    const registry = new MemoryRegistry();
    const replica = () =>
      catalogReplica(registry, { stock: RedisStockStore.fromUrl(redis.url, { keyPrefix: prefix, holdMs: 300 }) });
    await replica();
    await replica();
    const catalog = await catalogClient(registry);
    await expect.poll(async () => (await registry.list('catalog')).length).toBe(2);
    const stockOf = async (id: string) => (await catalog.getProduct({ id })).product?.stock;
    const lines = [{ productId: 'sku-2', quantity: 3 }];

    expect(await catalog.reserveStock({ orderId: 'lost-reply', lines, hold: true })).toMatchObject({ reserved: true });
    expect(await stockOf('sku-2')).toBe(197);
    expect(await catalog.releaseStock({ orderId: 'lost-reply' })).toEqual({ released: true, confirmed: false });
    expect(await catalog.releaseStock({ orderId: 'lost-reply' })).toEqual({ released: false, confirmed: false });
    expect(await stockOf('sku-2')).toBe(200);

    await catalog.reserveStock({ orderId: 'placed', lines, hold: true });
    expect(await catalog.confirmStock({ orderId: 'placed' })).toEqual({ confirmed: true });
    // A late compensation (from a replica that lost the reply) must not undo the placed order.
    expect(await catalog.releaseStock({ orderId: 'placed' })).toEqual({ released: false, confirmed: true });
    expect(await stockOf('sku-2')).toBe(197);

    await catalog.reserveStock({ orderId: 'crashed', lines, hold: true });
    expect(await stockOf('sku-2')).toBe(194);
    await expect.poll(() => stockOf('sku-2'), { timeout: 3_000, interval: 100 }).toBe(197);
    expect(await catalog.confirmStock({ orderId: 'crashed' })).toEqual({ confirmed: false });
    await expect(catalog.releaseStock({ orderId: '' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      details: 'order_id: must be 1 to 128 characters',
    });
  });

  it('keeps stock beside a password-protected registry, with the password from SWITCHYARD_REGISTRY_PASSWORD', async () => {
    const password = 'stock/pass@word';
    const own = await startRedis({ password });
    cleanups.push(() => own.stop());
    const store = stockStoreFromEnv({
      SWITCHYARD_REGISTRY_URL: `redis://${own.host}:${own.port}`,
      SWITCHYARD_REGISTRY_PASSWORD: password,
    });
    cleanups.push(() => store.close());
    expect(store.toString()).not.toContain(password);
    await store.seed(new Map([['sku-1', 3]]));
    expect(await store.levels(['sku-1'])).toEqual(new Map([['sku-1', 3]]));
  });

  it('never answers "out of stock" from a Redis that lost its data: it seeds again and reserves', async () => {
    // Redis without persistence loses everything on a restart, and a reservation can reach it
    // before the reconnect's re-seed does (ioredis resends queued commands before emitting
    // 'ready'), or data can go without any reconnect (FLUSHALL, a failover to an empty replica).
    // An empty store read as "no stock" rejected the order, and the rejection was remembered for
    // its order id for 24 h: the shopper's retry with the same key was rejected too.
    const prefix = keyPrefix();
    const store = RedisStockStore.fromUrl(redis.url, { keyPrefix: prefix });
    cleanups.push(() => store.close());
    await store.seed(new Map([['sku-1', 5]]));
    await store.reserve('before', [{ productId: 'sku-1', quantity: 2 }]);
    const admin = new Redis(redis.port, redis.host, { lazyConnect: true });
    await admin.connect();
    cleanups.push(() => admin.quit());
    const loseData = () => admin.del(`${prefix}levels`, `${prefix}seeded`, `${prefix}reservation:before`);
    await loseData();
    // A store that never seeded has no levels to restore: retryable UNAVAILABLE, nothing recorded.
    const other = RedisStockStore.fromUrl(redis.url, { keyPrefix: prefix });
    cleanups.push(() => other.close());
    await expect(other.reserve('after', [{ productId: 'sku-1', quantity: 1 }])).rejects.toMatchObject({
      code: 'UNAVAILABLE',
    });

    expect(await store.reserve('after', [{ productId: 'sku-1', quantity: 1 }])).toEqual({ reserved: true });
    expect(await store.levels(['sku-1'])).toEqual(new Map([['sku-1', 4]]));
    // Only the marker gone (e.g. evicted): seeding again must not put back the initial levels.
    await admin.del(`${prefix}seeded`);
    expect(await store.reserve('marker-lost', [{ productId: 'sku-1', quantity: 1 }])).toEqual({ reserved: true });
    expect(await store.levels(['sku-1'])).toEqual(new Map([['sku-1', 3]]));
    // Reading the levels heals it too, rather than showing every product sold out.
    await loseData();
    expect(await store.levels(['sku-1', 'unknown'])).toEqual(
      new Map([
        ['sku-1', 5],
        ['unknown', 0],
      ]),
    );
  });

  it('reserves a call queued across a restart against the re-seeded levels, not the empty store', async () => {
    const own = await startRedis();
    cleanups.push(() => own.stop());
    const store = RedisStockStore.fromUrl(own.url, { keyPrefix: keyPrefix() });
    cleanups.push(() => store.close());
    await store.seed(new Map([['sku-1', 5]]));
    await own.kill();
    // Sent as the client reconnects, before it is ready: ioredis queues it and sends it ahead of
    // anything its 'ready' listeners (the re-seed) send.
    const client = (store as unknown as { client: Redis }).client;
    const queued = new Promise<unknown>((resolve) =>
      client.once('connect', () => resolve(store.reserve('queued', [{ productId: 'sku-1', quantity: 1 }]))),
    );
    await own.restart();
    expect(await queued).toEqual({ reserved: true });
    expect(await store.levels(['sku-1'])).toEqual(new Map([['sku-1', 4]]));
  });

  it('answers UNAVAILABLE while Redis is down, and seeds it again when it comes back empty', async () => {
    const own = await startRedis();
    cleanups.push(() => own.stop());
    const registry = new MemoryRegistry();
    await catalogReplica(registry, { stock: RedisStockStore.fromUrl(own.url, { keyPrefix: keyPrefix() }) });
    const discovery = createDiscovery({ registry, service: 'catalog' });
    const catalog = createGrpcClient({ definition: CatalogService, discovery, policy: false });
    cleanups.push(async () => {
      await catalog.close();
      await discovery.close();
    });
    await discovery.ready();
    await catalog.reserveStock({ orderId: 'before', lines: [{ productId: 'sku-1', quantity: 20 }] });
    expect((await catalog.getProduct({ id: 'sku-1' })).product?.stock).toBe(100);

    await own.kill();
    await expect(catalog.getProduct({ id: 'sku-1' })).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      details: 'stock store unavailable (levels)',
    });
    await own.restart();
    await expect
      .poll(
        () =>
          catalog.getProduct({ id: 'sku-1' }).then(
            (reply) => reply.product?.stock,
            () => 'down',
          ),
        { timeout: 10_000 },
      )
      .toBe(120);
  });
});
