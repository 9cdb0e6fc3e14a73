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
});
