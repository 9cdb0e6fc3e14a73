import type { Product__Output } from '@shopping-guide/shared';
import { type Logger, silentLogger } from '@switchyard/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CatalogIndexer, type CatalogLister, searchHandlers } from './index.js';

const product = (id: string, name: string) =>
  ({ id, name, category: 'home', tags: [], description: '', priceCents: 1, stock: 1 }) as Product__Output;

function fakeCatalog(pages: Product__Output[][]) {
  const state = { failing: false, calls: 0, deadlines: [] as (number | undefined)[] };
  const catalog: CatalogLister = {
    async listProducts({ pageToken = '' }, options) {
      state.calls++;
      state.deadlines.push(options?.deadlineMs);
      if (state.failing) throw Object.assign(new Error('UNAVAILABLE: no catalog'), { code: 'UNAVAILABLE' });
      const page = Number(pageToken || 0);
      return { products: pages[page] ?? [], nextPageToken: page + 1 < pages.length ? String(page + 1) : '' };
    },
  };
  return { catalog, state };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('CatalogIndexer', () => {
  it('indexes every page, then refreshes on its interval', async () => {
    vi.useFakeTimers();
    const { catalog, state } = fakeCatalog([[product('a', 'Oak Table')], [product('b', 'Oak Chair')]]);
    const indexer = new CatalogIndexer(catalog, { refreshIntervalMs: 30_000 });
    expect(indexer.current()).toBeUndefined();
    indexer.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(indexer.current()?.size).toBe(2);
    expect(state.calls).toBe(2);
    expect(state.deadlines).toEqual([5_000, 5_000]);
    await vi.advanceTimersByTimeAsync(29_999);
    expect(state.calls).toBe(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(state.calls).toBe(4);
    indexer.stop();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(state.calls).toBe(4);
  });

  it('retries a failed first build with backoff, and keeps the last index when a refresh fails', async () => {
    vi.useFakeTimers();
    const { catalog, state } = fakeCatalog([[product('a', 'Oak Table')]]);
    state.failing = true;
    const indexer = new CatalogIndexer(catalog, { refreshIntervalMs: 10_000, retryInitialMs: 100 });
    indexer.start();
    await vi.advanceTimersByTimeAsync(0);
    await vi.advanceTimersByTimeAsync(100);
    await vi.advanceTimersByTimeAsync(200);
    expect(state.calls).toBe(3);
    expect(indexer.current()).toBeUndefined();
    state.failing = false;
    await vi.advanceTimersByTimeAsync(400);
    const built = indexer.current();
    expect(built?.size).toBe(1);
    state.failing = true;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(indexer.current()).toBe(built);
    indexer.stop();
  });

  it('does not warn of a failed build when the rebuild in flight fails because the indexer stopped', async () => {
    let called!: () => void;
    const listing = new Promise<void>((resolve) => {
      called = resolve;
    });
    let fail!: (error: Error) => void;
    // ListProducts hangs until the test fails it, as the service's catalog client does when it closes.
    const catalog: CatalogLister = {
      listProducts: () => {
        called();
        return new Promise((_, reject) => {
          fail = reject;
        });
      },
    };
    const logged: { level: string; message: string }[] = [];
    let settled!: () => void;
    const loggedOnce = new Promise<void>((resolve) => {
      settled = resolve;
    });
    const record = (level: string) => (_fields: unknown, message?: string) => {
      logged.push({ level, message: String(message) });
      settled();
    };
    const logger = { ...silentLogger, warn: record('warn'), debug: record('debug') } as Logger;
    const indexer = new CatalogIndexer(catalog, { logger });
    indexer.start();
    await listing;
    indexer.stop();
    fail(Object.assign(new Error('CANCELLED: client closed'), { code: 'CLIENT_CLOSED' }));
    await loggedOnce;
    expect(logged).toEqual([{ level: 'debug', message: 'search index build ended by stop' }]);
  });
});

describe('search handlers', () => {
  it('answer UNAVAILABLE until an index exists, then ranked hits; INVALID_ARGUMENT for a blank query', async () => {
    const { catalog } = fakeCatalog([[product('a', 'Oak Table'), product('b', 'Pine Table')]]);
    const indexer = new CatalogIndexer(catalog);
    const { search } = searchHandlers(() => indexer.current());
    const context = {} as Parameters<typeof search>[1];
    await expect(search({ query: 'oak', limit: 0 }, context)).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    await indexer.refresh();
    expect((await search({ query: 'oak', limit: 0 }, context)).hits?.map((hit) => hit.productId)).toEqual(['a']);
    expect((await search({ query: 'table', limit: 1 }, context)).hits).toHaveLength(1);
    await expect(search({ query: '  ', limit: 0 }, context)).rejects.toThrow(/^query: must be 1 to 256 characters/);
  });
});
