import { catalogHandlers, MemoryStockStore, PRODUCTS, ProductCatalog } from '@shopping-guide/catalog';
import type { Product__Output } from '@shopping-guide/shared';
import {
  CancelledError,
  callSignal,
  currentCallScope,
  DeadlineExceededError,
  type Logger,
  runInCallScope,
  silentLogger,
  toCancelled,
} from '@switchyard/core';
import { GrpcCallError, type GrpcHandlerContext, GrpcStatus } from '@switchyard/grpc';
import { describe, expect, it } from 'vitest';
import { type CatalogOrdering, MemoryOrderStore, OrderPlacer, orderIdFor } from './index.js';

/** What a client sees when the connection drops after catalog did the work: the reply is lost. */
const replyLost = () =>
  new GrpcCallError(GrpcStatus.UNAVAILABLE, 'connection reset', { fromDownstream: true, retryable: true });

/**
 * The real catalog handlers, called in-process, counting calls. `faults` lose a reply after
 * catalog did the work (or hold it back until a gate opens); a hanging release fails only when
 * the deadline it was given passes, as the Switchyard client's would.
 */
async function inProcessCatalog() {
  const stock = new MemoryStockStore();
  await stock.seed(new Map(PRODUCTS.map((product) => [product.id, product.stock])));
  const handlers = catalogHandlers({ catalog: new ProductCatalog(PRODUCTS), stock });
  const context = {} as GrpcHandlerContext;
  const calls = { reserve: 0, confirm: 0, release: 0, releaseDeadlineMs: [] as (number | undefined)[] };
  const faults = {
    reserveReplyLost: false,
    confirmReplyLost: false,
    releaseHangs: false,
    /** The reservation's reply waits for this (the reservation itself is done at once). */
    reserveReply: undefined as Promise<void> | undefined,
    /** Runs before catalog confirms (another attempt's compensation arriving in between). */
    beforeConfirm: undefined as ((orderId: string) => Promise<unknown>) | undefined,
  };
  // The handlers return complete messages; the client's types say so (`__Output`), the handlers' do not.
  type Batch = Awaited<ReturnType<CatalogOrdering['batchGetProducts']>>;
  type Reserve = Awaited<ReturnType<CatalogOrdering['reserveStock']>>;
  type Confirm = Awaited<ReturnType<CatalogOrdering['confirmStock']>>;
  type Release = Awaited<ReturnType<CatalogOrdering['releaseStock']>>;
  const catalog: CatalogOrdering = {
    batchGetProducts: async ({ ids = [] }) => (await handlers.batchGetProducts({ ids }, context)) as Batch,
    reserveStock: async ({ orderId = '', lines = [], hold = false }) => {
      calls.reserve++;
      const decoded = lines.map((line) => ({ productId: line.productId ?? '', quantity: line.quantity ?? 0 }));
      const reply = (await handlers.reserveStock({ orderId, lines: decoded, hold }, context)) as Reserve;
      await faults.reserveReply;
      if (faults.reserveReplyLost) throw replyLost();
      return reply;
    },
    confirmStock: async ({ orderId = '' }) => {
      calls.confirm++;
      await faults.beforeConfirm?.(orderId);
      const reply = (await handlers.confirmStock({ orderId }, context)) as Confirm;
      if (faults.confirmReplyLost) throw replyLost();
      return reply;
    },
    releaseStock: async ({ orderId = '' }, options) => {
      calls.release++;
      calls.releaseDeadlineMs.push(options?.deadlineMs);
      if (faults.releaseHangs) {
        return new Promise<Release>((_resolve, reject) =>
          setTimeout(() => reject(new DeadlineExceededError()), options?.deadlineMs ?? 60_000),
        );
      }
      return (await handlers.releaseStock({ orderId }, context)) as Release;
    },
  };
  const level = async (id: string) => (await stock.levels([id])).get(id);
  return { catalog, calls, faults, level };
}

/** A logger keeping its warnings. */
function warningsLogger(): { logger: Logger; warnings: Record<string, unknown>[] } {
  const warnings: Record<string, unknown>[] = [];
  const logger = {
    ...silentLogger,
    warn: (fields: Record<string, unknown> | string, msg?: string) => {
      warnings.push(typeof fields === 'string' ? { msg: fields } : { ...fields, msg });
    },
  } as Logger;
  return { logger, warnings };
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

  it('refuses a request without a key, reserving nothing: each one placed a new order, so no retry was safe', async () => {
    const { catalog, calls } = await inProcessCatalog();
    const placer = new OrderPlacer(catalog, new MemoryOrderStore());
    await expect(placer.place(order([['sku-2', 1]], ''))).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('idempotency_key: must be 1 to 128 characters'),
    });
    expect(calls).toMatchObject({ reserve: 0, confirm: 0, release: 0 });
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
    confirmStock: async (_request: unknown, options?: { signal?: AbortSignal }) =>
      whileLinked(callSignal(options?.signal, currentCallScope()), Promise.resolve()).then(() => ({
        confirmed: true,
      })),
    releaseStock: async () => ({ released: false, confirmed: false }),
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

describe('OrderPlacer and the deadlines of the calls sharing a placement', () => {
  /** A served call whose signal aborts at its deadline, as a gRPC handler's does. */
  function servedWithin(placer: OrderPlacer, request: ReturnType<typeof order>, ms: number) {
    const deadline = Date.now() + ms;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new DeadlineExceededError()), ms);
    const context = { signal: controller.signal, deadline } as GrpcHandlerContext;
    const placed = runInCallScope({ deadline, signal: controller.signal }, () => placer.place(request, context));
    placed.catch(() => undefined).finally(() => clearTimeout(timer));
    return placed;
  }

  it('a retry that joined with more time gets its order when the call that started the placement runs out of time', async () => {
    const { catalog, calls, level } = await inProcessCatalog();
    // Catalog answers the reservation after 300 ms, and enforces the deadline each call was given,
    // as the Switchyard client does.
    const deadlines: (number | undefined)[] = [];
    const slowReserve: CatalogOrdering['reserveStock'] = async (request, options) => {
      const deadline = (options as { deadline?: number } | undefined)?.deadline;
      deadlines.push(deadline);
      const answer = catalog.reserveStock(request, options);
      const left = (deadline ?? Number.POSITIVE_INFINITY) - Date.now();
      await new Promise((resolve) => setTimeout(resolve, Math.min(300, Math.max(0, left))));
      if (left < 300) throw new DeadlineExceededError();
      return answer;
    };
    const placer = new OrderPlacer({ ...catalog, reserveStock: slowReserve }, new MemoryOrderStore());
    const request = order([['sku-7', 2]]);
    const first = servedWithin(placer, request, 150);
    await expect.poll(() => calls.reserve).toBe(1);
    const retry = servedWithin(placer, request, 5_000); // a retry with a deadline of its own
    // Each caller gets its own deadline: the first one's passes, and it is told so.
    expect(await settledWithin(first, 2_000)).toEqual({ status: 'rejected', code: 'DEADLINE_EXCEEDED' });
    // Was DEADLINE_EXCEEDED too, 4.8 s early: the reservation ran under the first call's deadline.
    expect(await settledWithin(retry, 4_000)).toEqual({
      status: 'fulfilled',
      value: expect.objectContaining({ status: 'placed' }),
    });
    expect(await level('sku-7')).toBe(3); // reserved once (idempotent per order id), confirmed
    // Sent again once, with the retry's deadline, when the first one's passed.
    expect(deadlines).toHaveLength(2);
    expect(deadlines[1]).toBeGreaterThan((deadlines[0] as number) + 4_000);
  });
});

describe('OrderPlacer compensation (stock reserved for an order that was never placed goes back)', () => {
  it('gives the stock back when the reply to the reservation is lost, and the retry with the same key places the order once', async () => {
    const { catalog, faults, level } = await inProcessCatalog();
    const placer = new OrderPlacer(catalog, new MemoryOrderStore());
    const request = order([['sku-7', 2]]);
    faults.reserveReplyLost = true;
    await expect(placer.place(request)).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    // Catalog had reserved: without a release the 2 units stayed taken by an order nobody recorded.
    expect(await level('sku-7')).toBe(5);
    faults.reserveReplyLost = false;
    expect(await placer.place(request)).toMatchObject({ status: 'placed' });
    expect(await new OrderPlacer(catalog, new MemoryOrderStore()).place(request)).toMatchObject({ status: 'placed' });
    expect(await level('sku-7')).toBe(3);
  });

  it('gives the stock back when every caller went away while it was reserved, instead of placing an order nobody hears of', async () => {
    const { catalog, calls, faults, level } = await inProcessCatalog();
    let answer: () => void = () => {};
    faults.reserveReply = new Promise<void>((resolve) => (answer = resolve));
    const placer = new OrderPlacer(catalog, new MemoryOrderStore());
    const call = servedPlace(placer, order([['sku-7', 2]]));
    await expect.poll(() => calls.reserve).toBe(1);
    expect(await level('sku-7')).toBe(3);
    call.cancel();
    expect(await settledWithin(call.placed, 1_000)).toEqual({ status: 'rejected', code: 'CANCELLED' });
    answer();
    await expect.poll(() => level('sku-7')).toBe(5);
    expect(calls.confirm).toBe(0);
  });

  it('keeps the stock of an order catalog confirmed though the reply to its confirmation was lost, and the retry gets it placed', async () => {
    const { catalog, calls, faults, level } = await inProcessCatalog();
    const placer = new OrderPlacer(catalog, new MemoryOrderStore());
    const request = order([['sku-7', 2]]);
    faults.confirmReplyLost = true;
    await expect(placer.place(request)).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    // It tried to give the stock back; catalog refused: the order is confirmed, its stock stays taken.
    expect(calls.release).toBe(1);
    expect(await level('sku-7')).toBe(3);
    faults.confirmReplyLost = false;
    expect(await placer.place(request)).toMatchObject({ status: 'placed' });
    expect(await level('sku-7')).toBe(3);
  });

  it('answers ABORTED, recording nothing, when its hold was released before it could confirm it, and the retry places the order', async () => {
    const { catalog, faults, level } = await inProcessCatalog();
    const placer = new OrderPlacer(catalog, new MemoryOrderStore());
    const request = order([['sku-7', 2]]);
    // Another replica's compensation for this order, between this one's reservation and confirmation.
    faults.beforeConfirm = (orderId) => catalog.releaseStock({ orderId });
    await expect(placer.place(request)).rejects.toMatchObject({
      code: 'ABORTED',
      details: expect.stringMatching(/its stock was given back before it was confirmed .*; retry$/),
    });
    expect(await level('sku-7')).toBe(5);
    faults.beforeConfirm = undefined;
    expect(await placer.place(request)).toMatchObject({ status: 'placed' });
    expect(await level('sku-7')).toBe(3);
  });

  it('never releases on a reused key: that reservation belongs to the other order', async () => {
    const { catalog, calls, level } = await inProcessCatalog();
    await new OrderPlacer(catalog, new MemoryOrderStore()).place(order([['sku-7', 1]]));
    await expect(new OrderPlacer(catalog, new MemoryOrderStore()).place(order([['sku-7', 2]]))).rejects.toMatchObject({
      code: 'ALREADY_EXISTS',
    });
    expect(calls.release).toBe(0);
    expect(await level('sku-7')).toBe(4);
  });

  it('bounds a release that gets no answer, and logs that catalog gives the stock back when its hold expires', async () => {
    const { catalog, calls, faults } = await inProcessCatalog();
    const { logger, warnings } = warningsLogger();
    const placer = new OrderPlacer(catalog, new MemoryOrderStore(), { logger, releaseTimeoutMs: 200 });
    faults.reserveReplyLost = true;
    faults.releaseHangs = true;
    const started = Date.now();
    await expect(placer.place(order([['sku-7', 2]]))).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(calls.releaseDeadlineMs).toEqual([200]);
    expect(warnings).toEqual([
      expect.objectContaining({ orderId: orderIdFor('ada', 'key-1'), msg: expect.stringContaining('hold') }),
    ]);
  });

  it('a retry that arrives while an abandoned placement gives its stock back waits for it, then places the order once', async () => {
    const { catalog, calls, faults, level } = await inProcessCatalog();
    let answer: () => void = () => {};
    faults.reserveReply = new Promise<void>((resolve) => (answer = resolve));
    const placer = new OrderPlacer(catalog, new MemoryOrderStore());
    const first = servedPlace(placer, order([['sku-7', 2]]));
    await expect.poll(() => calls.reserve).toBe(1);
    first.cancel();
    const retry = servedPlace(placer, order([['sku-7', 2]]));
    answer();
    expect(await settledWithin(retry.placed, 2_000)).toMatchObject({
      status: 'fulfilled',
      value: { status: 'placed' },
    });
    expect(calls.release).toBe(1);
    expect(await level('sku-7')).toBe(3);
  });
});
