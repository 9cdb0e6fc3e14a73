import type { Product__Output } from '@shopping-guide/shared';
import { CancelledError, runInCallScope } from '@switchyard/core';
import type { GrpcHandlerContext } from '@switchyard/grpc';
import { describe, expect, it } from 'vitest';
import { type CatalogReader, ProductCache, recommendationHandlers, ViewHistory } from './index.js';

/** A catalog whose product list is slow: listProducts answers once `release()` is called. */
function slowCatalog() {
  let release: () => void = () => {};
  const released = new Promise<void>((resolve) => (release = resolve));
  const calls = { list: 0 };
  const reader: CatalogReader = {
    async listProducts() {
      calls.list++;
      await released;
      return {
        products: [{ id: 'p-1', stock: 5, tags: [], category: 'c' } as unknown as Product__Output],
        nextPageToken: '',
      };
    },
    async batchGetProducts() {
      return { products: [] };
    },
  };
  return { reader, calls, release };
}

/** Calls Recommend as a served gRPC call does: under its call scope, with its context; `cancel()` is the client's. */
function servedRecommend(handlers: ReturnType<typeof recommendationHandlers>) {
  const controller = new AbortController();
  const deadline = Date.now() + 10_000;
  const context = { signal: controller.signal, deadline } as GrpcHandlerContext;
  const answered = runInCallScope({ deadline, signal: controller.signal }, async () =>
    handlers.recommend({ userId: '', limit: 0 }, context),
  );
  answered.catch(() => undefined);
  return { answered, cancel: () => controller.abort(new CancelledError('cancelled by the client')) };
}

const settledWithin = <T>(promise: Promise<T>, ms: number) =>
  Promise.race([
    promise.then(
      () => ({ status: 'fulfilled' as const }),
      (reason: unknown) => ({ status: 'rejected' as const, code: (reason as { code?: string }).code }),
    ),
    new Promise<{ status: 'pending' }>((resolve) => setTimeout(() => resolve({ status: 'pending' }), ms)),
  ]);

describe('recommendationHandlers', () => {
  it('a cancelled Recommend stops waiting for the catalog refresh, which goes on for the calls after it', async () => {
    const { reader, calls, release } = slowCatalog();
    const handlers = recommendationHandlers({
      history: new ViewHistory(),
      products: new ProductCache(reader),
      strategy: 'similar',
    });
    const cancelled = servedRecommend(handlers);
    const waiting = servedRecommend(handlers);
    await expect.poll(() => calls.list).toBe(1);
    cancelled.cancel();
    // It waited, unanswerable, for the refresh (up to its own 5 s), still in flight for the server.
    expect(await settledWithin(cancelled.answered, 1_000)).toEqual({ status: 'rejected', code: 'CANCELLED' });
    release();
    expect(await settledWithin(waiting.answered, 1_000)).toEqual({ status: 'fulfilled' });
    expect(calls.list).toBe(1);
  });

  it('answers from the cached list while catalog is down, for a user who viewed a product the list lacks', async () => {
    // A product the list lacks: added by a catalog canary the list was not fetched from, or
    // retired since the user viewed it. Its lookup (BatchGetProducts) fails while catalog is down.
    const list = [
      { id: 'lamp', stock: 5, tags: ['light'], category: 'home' },
      { id: 'rug', stock: 5, tags: [], category: 'home' },
    ] as unknown as Product__Output[];
    let down = false;
    const calls = { batch: 0 };
    const reader: CatalogReader = {
      async listProducts() {
        if (down) throw Object.assign(new Error('UNAVAILABLE: no catalog'), { code: 'UNAVAILABLE' });
        return { products: list, nextPageToken: '' };
      },
      async batchGetProducts() {
        calls.batch++;
        if (down) throw Object.assign(new Error('UNAVAILABLE: no catalog'), { code: 'UNAVAILABLE' });
        return { products: [] };
      },
    };
    const history = new ViewHistory();
    const handlers = recommendationHandlers({
      history,
      products: new ProductCache(reader, { ttlMs: 1 }),
      strategy: 'similar',
    });
    history.record('ada', 'lamp');
    history.record('ada', 'sku-new');
    const context = { signal: new AbortController().signal, deadline: Date.now() + 10_000 } as GrpcHandlerContext;
    const recommend = async () => {
      const reply = await handlers.recommend({ userId: 'ada', limit: 0 }, context);
      return (reply.products ?? []).map((product) => product.id);
    };
    expect(await recommend()).toEqual(['rug']);
    down = true;
    await new Promise((resolve) => setTimeout(resolve, 5));
    // The cached list answers it (a failed refresh serves the list it has); only the lookup of
    // the one product the list lacks failed, and it failed the whole call UNAVAILABLE.
    const degraded = await settledWithin(recommend(), 1_000);
    expect(degraded).toEqual({ status: 'fulfilled' });
    expect(await recommend()).toEqual(['rug']);
    expect(calls.batch).toBeGreaterThan(1);
  });
});
