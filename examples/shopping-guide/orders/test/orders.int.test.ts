import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { MemoryStockStore, type StockStore, startCatalog } from '@shopping-guide/catalog';
import { CatalogService, OrdersService } from '@shopping-guide/shared';
import { createDiscovery } from '@switchyard/discovery';
import { createGrpcClient } from '@switchyard/grpc';
import { MemoryRegistry } from '@switchyard/registry';
import { refuseFirstUp } from '@switchyard/registry/testing';
import { type RunningService, startService } from '@switchyard/service';
import { afterEach, describe, expect, it } from 'vitest';
import { startOrders } from '../src/index.js';
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

async function client<D extends typeof OrdersService | typeof CatalogService>(
  registry: MemoryRegistry,
  definition: D,
  service: string,
  options: { policy?: false } = {},
) {
  const discovery = createDiscovery({ registry, service, balancer: 'round-robin' });
  const created = createGrpcClient({ definition, discovery, ...options });
  cleanups.push(async () => {
    await created.close();
    await discovery.close();
  });
  await discovery.ready();
  return created;
}

function healthcheck(service: RunningService): Promise<number | null> {
  const script = fileURLToPath(new URL('../healthcheck.mjs', import.meta.url));
  return new Promise((resolve) => {
    const env = { ...process.env, GRPC_PORT: String(service.grpcPort) };
    spawn(process.execPath, [script], { env, stdio: 'ignore' }).on('exit', resolve);
  });
}

describe('orders service', () => {
  it('stays out of rotation (registered draining) until its catalog client exists, then comes up', async () => {
    const registry = new MemoryRegistry();
    const statuses: string[] = [];
    const stop = await registry.watch('orders', (event) => {
      if (event.type === 'up' || event.type === 'update') statuses.push(event.instance.status);
    });
    const orders = await startOrders({ ...common, registry });
    cleanups.push(async () => {
      await stop();
      await orders.stop();
      await registry.close();
    });
    expect(statuses).toEqual(['draining', 'up']);
  });

  it('places orders through two replicas, reserving stock in catalog once per idempotency key', async () => {
    const registry = new MemoryRegistry();
    const catalogService = await startCatalog({ ...common, registry, stock: new MemoryStockStore() });
    cleanups.push(() => catalogService.stop());
    const replicas = [await startOrders({ ...common, registry }), await startOrders({ ...common, registry })];
    for (const replica of replicas) cleanups.push(() => replica.stop());
    expect(await healthcheck(replicas[0] as RunningService)).toBe(0);
    const orders = await client(registry, OrdersService, 'orders');
    const catalog = await client(registry, CatalogService, 'catalog');
    await expect.poll(async () => (await registry.list('orders')).length).toBe(2);

    const request = { userId: 'ada', idempotencyKey: 'checkout-1', lines: [{ productId: 'sku-14', quantity: 2 }] };
    // Round robin: the retry lands on the other replica, which has never seen this order.
    const first = await orders.placeOrder(request);
    const retried = await orders.placeOrder(request);
    expect(first.order).toMatchObject({ userId: 'ada', totalCents: 2 * 1_299, status: 'placed', reason: '' });
    expect(retried.order).toEqual(first.order);
    expect((await catalog.getProduct({ id: 'sku-14' })).product?.stock).toBe(1);

    const short = await orders.placeOrder({ ...request, idempotencyKey: 'checkout-2' });
    expect(short.order).toMatchObject({ status: 'rejected', reason: 'out of stock: sku-14' });

    // Orders live in the memory of the replica that placed them.
    const found = await Promise.allSettled([
      orders.getOrder({ id: first.order?.id }),
      orders.getOrder({ id: first.order?.id }),
    ]);
    expect(found.some((result) => result.status === 'fulfilled')).toBe(true);
    await expect(orders.getOrder({ id: 'ord-unknown' })).rejects.toMatchObject({ code: 'NOT_FOUND' });

    await expect(
      orders.placeOrder({
        userId: 'ada',
        idempotencyKey: 'checkout-3',
        lines: [
          { productId: 'sku-1', quantity: 1 },
          { productId: 'sku-999', quantity: 1 },
        ],
      }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', details: 'lines[1].product_id: unknown product "sku-999"' });
    await expect(orders.placeOrder({ userId: 'ada', idempotencyKey: 'checkout-4', lines: [] })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      details: expect.stringMatching(/^lines: /),
    });
    // The key is required (it placed a new order under a random id every time, so no retry was safe).
    await expect(
      orders.placeOrder({ userId: 'ada', lines: [{ productId: 'sku-1', quantity: 1 }] }),
    ).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      details: expect.stringMatching(/^idempotency_key: must be 1 to 128/),
    });
  });

  it('a PlaceOrder its caller cancels cancels the catalog call it waits on, and reserves no stock', async () => {
    const registry = new MemoryRegistry();
    // A stand-in catalog whose pricing answers only once cancelled, telling the test it was.
    const seen = { priced: 0, cancelled: 0, reserved: 0 };
    const implementation = {
      batchGetProducts: (_request: unknown, { signal }: { signal: AbortSignal }) => {
        seen.priced++;
        return new Promise((_resolve, reject) =>
          signal.addEventListener('abort', () => {
            seen.cancelled++;
            reject(signal.reason);
          }),
        );
      },
      reserveStock: () => {
        seen.reserved++;
        return { reserved: true, shortProductId: '' };
      },
    };
    const catalog = await startService({
      ...common,
      registry,
      name: 'catalog',
      shutdownGraceMs: 50,
      grpc: { ...common.grpc, services: [{ definition: CatalogService, implementation: implementation as never }] },
    });
    cleanups.push(() => catalog.stop());
    const service = await startOrders({ ...common, registry });
    cleanups.push(() => service.stop());
    const orders = await client(registry, OrdersService, 'orders', { policy: false });
    const controller = new AbortController();
    const placing = orders.placeOrder(
      { userId: 'ada', idempotencyKey: 'checkout-9', lines: [{ productId: 'sku-1', quantity: 1 }] },
      { signal: controller.signal, deadlineMs: 10_000 },
    );
    await expect.poll(() => seen.priced).toBe(1);
    controller.abort();
    await expect(placing).rejects.toMatchObject({ code: 'CANCELLED' });
    // Reaches catalog in well under the 10 s deadline the call would otherwise have held it for.
    await expect.poll(() => seen.cancelled, { timeout: 2_000 }).toBe(1);
    expect(seen.reserved).toBe(0);
  });

  it('gives the stock back when the PlaceOrder deadline passes after catalog reserved (the reply lost), and the retry with the same key places the order once', async () => {
    const registry = new MemoryRegistry();
    // Catalog's store reserves at once, but while `slow` its answer comes back only after
    // PlaceOrder's deadline has passed: the reservation is made, its reply is lost.
    const memory = new MemoryStockStore();
    let slow = true;
    const stock: StockStore = {
      seed: (levels) => memory.seed(levels),
      levels: (ids) => memory.levels(ids),
      reserve: async (orderId, lines, options) => {
        const answer = await memory.reserve(orderId, lines, options);
        if (slow) await new Promise((resolve) => setTimeout(resolve, 800));
        return answer;
      },
      confirm: (orderId) => memory.confirm(orderId),
      release: (orderId) => memory.release(orderId),
      close: () => memory.close(),
      toString: () => 'MemoryStockStore with slow reservation replies',
    };
    const catalogService = await startCatalog({ ...common, registry, stock });
    cleanups.push(() => catalogService.stop());
    const service = await startOrders({ ...common, registry });
    cleanups.push(() => service.stop());
    const orders = await client(registry, OrdersService, 'orders', { policy: false });
    const catalog = await client(registry, CatalogService, 'catalog');
    const stockOf = async () => (await catalog.getProduct({ id: 'sku-14' })).product?.stock;
    const request = { userId: 'ada', idempotencyKey: 'checkout-lost', lines: [{ productId: 'sku-14', quantity: 2 }] };

    await expect(orders.placeOrder(request, { deadlineMs: 300 })).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' });
    // Given back by orders' release, long before catalog's hold time (60 s) would: without it the
    // 2 units stayed taken by an order nobody recorded.
    await expect.poll(stockOf, { timeout: 3_000, interval: 50 }).toBe(3);
    slow = false;
    const placed = await orders.placeOrder(request);
    expect(placed.order).toMatchObject({ status: 'placed', totalCents: 2 * 1_299 });
    expect((await orders.placeOrder(request)).order).toEqual(placed.order);
    expect(await stockOf()).toBe(1);
  });

  it('answers UNAVAILABLE (retryable) while no catalog is reachable', async () => {
    const registry = new MemoryRegistry();
    const service = await startOrders({ ...common, registry });
    cleanups.push(() => service.stop());
    // One attempt per call, to see the service's own answer rather than the client's retries.
    const orders = await client(registry, OrdersService, 'orders', { policy: false });
    const started = Date.now();
    await expect(
      orders.placeOrder(
        { userId: 'ada', idempotencyKey: 'checkout-u', lines: [{ productId: 'sku-1', quantity: 1 }] },
        { deadlineMs: 1_000 },
      ),
    ).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('comes up once the registry takes it when marking it ready failed at start (a registry blip), instead of failing the start with its server left listening', async () => {
    const registry = new MemoryRegistry();
    const upAccepted = refuseFirstUp(registry, 'orders');
    const orders = await startOrders({ ...common, registry });
    cleanups.push(() => orders.stop());
    await upAccepted;
    // Ready once markReady() has had the registry's answer (health turns SERVING after it).
    await expect.poll(() => orders.ready).toBe(true);
    expect((await registry.list('orders')).map((instance) => instance.status)).toEqual(['up']);
    expect(await healthcheck(orders)).toBe(0);
  });
});
