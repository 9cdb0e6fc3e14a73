import { catalogHandlers, MemoryStockStore, PRODUCTS, ProductCatalog } from '@shopping-guide/catalog';
import type { Product__Output } from '@shopping-guide/shared';
import { CancelledError, callSignal, currentCallScope, runInCallScope, toCancelled } from '@switchyard/core';
import type { GrpcHandlerContext } from '@switchyard/grpc';
import { describe, expect, it } from 'vitest';
import { type CatalogOrdering, MemoryOrderStore, OrderPlacer, orderIdFor } from './index.js';

/** The real catalog handlers, called in-process, counting reservations. */
async function inProcessCatalog() {
  const stock = new MemoryStockStore();
  await stock.seed(new Map(PRODUCTS.map((product) => [product.id, product.stock])));
  const handlers = catalogHandlers({ catalog: new ProductCatalog(PRODUCTS), stock });
  const context = {} as GrpcHandlerContext;
  const calls = { reserve: 0 };
  // The handlers return complete messages; the client's types say so (`__Output`), the handlers' do not.
  type Batch = Awaited<ReturnType<CatalogOrdering['batchGetProducts']>>;
  type Reserve = Awaited<ReturnType<CatalogOrdering['reserveStock']>>;
  const catalog: CatalogOrdering = {
    batchGetProducts: async ({ ids = [] }) => (await handlers.batchGetProducts({ ids }, context)) as Batch,
    reserveStock: async ({ orderId = '', lines = [] }) => {
      calls.reserve++;
      const decoded = lines.map((line) => ({ productId: line.productId ?? '', quantity: line.quantity ?? 0 }));
      return (await handlers.reserveStock({ orderId, lines: decoded }, context)) as Reserve;
    },
  };
  const level = async (id: string) => (await stock.levels([id])).get(id);
  return { catalog, calls, level };
}

const order = (lines: [string, number][], idempotencyKey = 'key-1', userId = 'ada') => ({
  userId,
  idempotencyKey,
  lines: lines.map(([productId, quantity]) => ({ productId, quantity })),
});

describe('OrderPlacer', () => {
  it('prices the order from catalog and reserves its stock', async () => {
    const { catalog, level } = await inProcessCatalog();
    const placer = new OrderPlacer(catalog, new MemoryOrderStore());
    const placed = await placer.place(
      order([
        ['sku-10', 2],
        ['sku-39', 1],
      ]),
    );
    expect(placed).toEqual({
      id: orderIdFor('ada', 'key-1'),
      userId: 'ada',
      lines: [
        { productId: 'sku-10', quantity: 2 },
        { productId: 'sku-39', quantity: 1 },
      ],
      totalCents: 2 * 1_699 + 3_999,
      status: 'placed',
      reason: '',
    });
    expect(await level('sku-10')).toBe(218);
  });

  it('rejects an order when stock is short, reserving nothing', async () => {
    const { catalog, level } = await inProcessCatalog();
    const placer = new OrderPlacer(catalog, new MemoryOrderStore());
    const rejected = await placer.place(
      order([
        ['sku-1', 1],
        ['sku-33', 3],
      ]),
    );
    expect(rejected).toMatchObject({ status: 'rejected', reason: 'out of stock: sku-33' });
    expect(await level('sku-1')).toBe(120);
  });

  it('gives a retried key the same order and reserves once, on this replica or another', async () => {
    const { catalog, calls, level } = await inProcessCatalog();
    const placer = new OrderPlacer(catalog, new MemoryOrderStore());
    const request = order([['sku-7', 2]]);
    const [first, second] = await Promise.all([placer.place(request), placer.place(request)]);
    expect(second).toBe(first);
    expect(await placer.place(request)).toBe(first);
    expect(calls.reserve).toBe(1);
    // Another replica (its own store) computes the same id; catalog answers the first reservation.
    const elsewhere = await new OrderPlacer(catalog, new MemoryOrderStore()).place(request);
    expect(elsewhere).toEqual(first);
    expect(await level('sku-7')).toBe(3);
  });

  it('refuses a key reused for different lines, here and on another replica', async () => {
    const { catalog } = await inProcessCatalog();
    const placer = new OrderPlacer(catalog, new MemoryOrderStore());
    await placer.place(order([['sku-7', 1]]));
    const reused = order([['sku-7', 2]]);
    const expected = {
      code: 'ALREADY_EXISTS',
      details: 'idempotency_key: already used for an order with different lines',
    };
    await expect(placer.place(reused)).rejects.toMatchObject(expected);
    await expect(new OrderPlacer(catalog, new MemoryOrderStore()).place(reused)).rejects.toMatchObject(expected);
  });

  it('judges a retry by the same lines as catalog does: their order and splitting do not matter', async () => {
    // A client that rebuilds its cart for the retry (a map's iteration order) sends the same
    // order; the replica holding it must not refuse what any other replica (and catalog) accepts.
    const { catalog, calls, level } = await inProcessCatalog();
    const placer = new OrderPlacer(catalog, new MemoryOrderStore());
    const first = await placer.place(
      order([
        ['sku-7', 1],
        ['sku-10', 2],
      ]),
    );
    const reordered = order([
      ['sku-10', 1],
      ['sku-7', 1],
      ['sku-10', 1],
    ]);
    expect(await new OrderPlacer(catalog, new MemoryOrderStore()).place(reordered)).toMatchObject({
      id: first.id,
      status: 'placed',
    });
    expect(await placer.place(reordered)).toBe(first);
    expect(calls.reserve).toBe(2);
    expect(await level('sku-7')).toBe(4);
  });

  it('places a new order every time when no key is given', async () => {
    const { catalog } = await inProcessCatalog();
    const placer = new OrderPlacer(catalog, new MemoryOrderStore());
    const first = await placer.place(order([['sku-2', 1]], ''));
    const second = await placer.place(order([['sku-2', 1]], ''));
    expect(first.id).not.toBe(second.id);
  });

  it('validates the request, naming the line', async () => {
    const { catalog, calls } = await inProcessCatalog();
    const placer = new OrderPlacer(catalog, new MemoryOrderStore());
    await expect(placer.place(order([]))).rejects.toThrow(/^lines: must hold 1 to 50 lines, got 0$/);
    await expect(
      placer.place(
        order([
          ['sku-1', 1],
          ['sku-2', 0],
        ]),
      ),
    ).rejects.toThrow(/^lines\[1\]\.quantity: must be from 1 to 1000, got 0$/);
    await expect(
      placer.place(
        order([
          ['sku-1', 1],
          ['sku-nope', 1],
        ]),
      ),
    ).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: 'lines[1].product_id: unknown product "sku-nope"',
    });
    await expect(placer.place(order([['sku-1', 1]], 'k', ''))).rejects.toThrow(
      /^user_id: must be 1 to 128 characters$/,
    );
    expect(calls.reserve).toBe(0);
  });
});

describe('orderIdFor and MemoryOrderStore', () => {
  it('derives stable ids per user and key', () => {
    expect(orderIdFor('ada', 'k')).toBe(orderIdFor('ada', 'k'));
    expect(orderIdFor('ada', 'k')).not.toBe(orderIdFor('bo', 'k'));
    expect(orderIdFor('ada', 'k')).toMatch(/^ord-[0-9a-f]{24}$/);
    // Two users never share an order, whatever their ids and keys hold.
    expect(orderIdFor('a\u0000b', 'c')).not.toBe(orderIdFor('a', 'b\u0000c'));
    expect(orderIdFor('ab', 'c')).not.toBe(orderIdFor('a', 'bc'));
  });

  it('forgets the oldest order beyond its bound', () => {
    const store = new MemoryOrderStore(2);
    for (const id of ['a', 'b', 'c'])
      store.put({ id, userId: 'u', lines: [], totalCents: 0, status: 'placed', reason: '' });
    expect([store.get('a'), store.get('c')?.id, store.size]).toEqual([undefined, 'c', 2]);
  });

  it('bounds the lines it keeps too, not only the orders: big orders cannot outgrow the replica', () => {
    // By count alone, 100,000 orders of 50 lines (any client can send them, placed or rejected)
    // held ~380 MiB: an orders pod has a 256 Mi limit, so a flood of big orders got it OOM-killed.
    const line = { productId: 'sku-1', quantity: 1 };
    const store = new MemoryOrderStore(100, 120);
    for (const id of ['a', 'b', 'c']) {
      store.put({ id, userId: 'u', lines: Array(50).fill(line), totalCents: 0, status: 'placed', reason: '' });
    }
    expect([store.get('a'), store.get('b')?.id, store.get('c')?.id, store.size]).toEqual([undefined, 'b', 'c', 2]);
    // Replacing an order counts its lines once.
    store.put({ id: 'c', userId: 'u', lines: [line], totalCents: 0, status: 'placed', reason: '' });
    store.put({ id: 'd', userId: 'u', lines: Array(60).fill(line), totalCents: 0, status: 'placed', reason: '' });
    expect([store.get('b')?.id, store.get('c')?.id, store.get('d')?.id]).toEqual(['b', 'c', 'd']);
    expect(String(store)).toBe('MemoryOrderStore(maxOrders=100, maxLines=120)');
  });
});

/**
 * A catalog stand-in that treats cancellation as the Switchyard client does: each call runs under
 * its own signal and the served call's (callSignal), and fails with the reason when either aborts.
 * Pricing waits until `release()`; every call's signal is kept, and reservations are counted.
 */
function cancellableCatalog() {
  let release: () => void = () => {};
  const released = new Promise<void>((resolve) => (release = resolve));
  const calls = { batch: [] as AbortSignal[], reserve: 0 };
  const whileLinked = async <T>(signal: AbortSignal | undefined, work: Promise<T>): Promise<T> => {
    if (signal?.aborted) throw toCancelled(signal.reason);
    return new Promise<T>((resolve, reject) => {
      signal?.addEventListener('abort', () => reject(toCancelled(signal.reason)), { once: true });
      work.then(resolve, reject);
    });
  };
  const catalog = {
    batchGetProducts: async ({ ids = [] }: { ids?: string[] }, options?: { signal?: AbortSignal }) => {
      const signal = callSignal(options?.signal, currentCallScope()) as AbortSignal;
      calls.batch.push(signal);
      await whileLinked(signal, released);
      return { products: ids.map((id) => ({ id, priceCents: 100 }) as Product__Output) };
    },
    reserveStock: async (_request: unknown, options?: { signal?: AbortSignal }) =>
      whileLinked(callSignal(options?.signal, currentCallScope()), Promise.resolve()).then(() => {
        calls.reserve++;
        return { reserved: true, shortProductId: '' };
      }),
  } as unknown as CatalogOrdering;
  return { catalog, calls, release };
}

/** Places an order as a served gRPC call does: under its call scope, with its context; `cancel()` is the client's. */
function servedPlace(placer: OrderPlacer, request: ReturnType<typeof order>) {
  const controller = new AbortController();
  const deadline = Date.now() + 10_000;
  const context = { signal: controller.signal, deadline } as GrpcHandlerContext;
  const placed = runInCallScope({ deadline, signal: controller.signal }, () => placer.place(request, context));
  // Looked at through allSettled below: a rejection here is an expected outcome, not an unhandled one.
  placed.catch(() => undefined);
  return { placed, cancel: () => controller.abort(new CancelledError('cancelled by the client')) };
}

const settledWithin = <T>(promise: Promise<T>, ms: number) =>
  Promise.race([
    promise.then(
      (value) => ({ status: 'fulfilled' as const, value }),
      (reason: unknown) => ({ status: 'rejected' as const, code: (reason as { code?: string }).code }),
    ),
    new Promise<{ status: 'pending' }>((resolve) => setTimeout(() => resolve({ status: 'pending' }), ms)),
  ]);

describe('OrderPlacer and cancelled calls', () => {
  it('a cancelled PlaceOrder stops its placement: the catalog call is cancelled and no stock is reserved', async () => {
    const { catalog, calls, release } = cancellableCatalog();
    const placer = new OrderPlacer(catalog, new MemoryOrderStore());
    const call = servedPlace(placer, order([['sku-1', 1]]));
    await expect.poll(() => calls.batch.length).toBe(1);
    call.cancel();
    expect(await settledWithin(call.placed, 1_000)).toEqual({ status: 'rejected', code: 'CANCELLED' });
    expect(calls.batch[0]?.aborted).toBe(true);
    release();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(calls.reserve).toBe(0);
    // Nothing left behind: the retry places the order afresh, and this time it completes.
    const retry = servedPlace(placer, order([['sku-1', 1]]));
    expect(await settledWithin(retry.placed, 1_000)).toMatchObject({ status: 'fulfilled' });
    expect(calls.reserve).toBe(1);
  });

  it('a retry waiting for the same placement still gets its order when the call that started it is cancelled', async () => {
    const { catalog, calls, release } = cancellableCatalog();
    const placer = new OrderPlacer(catalog, new MemoryOrderStore());
    const first = servedPlace(placer, order([['sku-1', 2]]));
    const retry = servedPlace(placer, order([['sku-1', 2]]));
    await expect.poll(() => calls.batch.length).toBe(1);
    first.cancel();
    expect(await settledWithin(first.placed, 1_000)).toEqual({ status: 'rejected', code: 'CANCELLED' });
    release();
    // The placement ran under the first call's signal: the retry failed with its CANCELLED.
    expect(await settledWithin(retry.placed, 1_000)).toMatchObject({
      status: 'fulfilled',
      value: { status: 'placed' },
    });
    expect(calls.batch[0]?.aborted).toBe(false);
    expect(calls.reserve).toBe(1);
  });

  it('a cancelled retry stops waiting at once, and the placement stops when its last caller goes', async () => {
    const { catalog, calls, release } = cancellableCatalog();
    const placer = new OrderPlacer(catalog, new MemoryOrderStore());
    const first = servedPlace(placer, order([['sku-1', 3]]));
    const retry = servedPlace(placer, order([['sku-1', 3]]));
    await expect.poll(() => calls.batch.length).toBe(1);
    retry.cancel();
    // It waited, unanswerable, until the placement it had joined was done.
    expect(await settledWithin(retry.placed, 1_000)).toEqual({ status: 'rejected', code: 'CANCELLED' });
    expect(calls.batch[0]?.aborted).toBe(false);
    first.cancel();
    expect(await settledWithin(first.placed, 1_000)).toEqual({ status: 'rejected', code: 'CANCELLED' });
    expect(calls.batch[0]?.aborted).toBe(true);
    release();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(calls.reserve).toBe(0);
  });
});
