import type { Product__Output } from '@shopping-guide/shared';
import { currentCallScope, runInCallScope } from '@switchyard/core';
import { describe, expect, it } from 'vitest';
import { type CatalogReader, ProductCache } from './index.js';

const products = Array.from({ length: 250 }, (_, index) => ({ id: `p-${index}` }) as Product__Output);

function fakeCatalog() {
  const calls = { list: 0, batch: [] as string[][] };
  let failing = false;
  const reader: CatalogReader = {
    async listProducts({ pageSize = 20, pageToken = '' }) {
      calls.list++;
      if (failing) throw new Error('catalog down');
      const offset = Number(pageToken || 0);
      const next = offset + pageSize;
      return { products: products.slice(offset, next), nextPageToken: next < products.length ? String(next) : '' };
    },
    async batchGetProducts({ ids = [] }) {
      calls.batch.push(ids);
      return { products: ids.map((id) => ({ id }) as Product__Output) };
    },
  };
  return { reader, calls, fail: (value: boolean) => (failing = value) };
}

describe('ProductCache', () => {
  it('loads every page once per TTL, sharing one refresh between concurrent calls', async () => {
    let now = 0;
    const { reader, calls } = fakeCatalog();
    const cache = new ProductCache(reader, { ttlMs: 1_000, now: () => now });
    const [first, second] = await Promise.all([cache.all(), cache.all()]);
    expect(first).toHaveLength(250);
    expect(second).toBe(first);
    expect(calls.list).toBe(3);
    now = 999;
    await cache.all();
    expect(calls.list).toBe(3);
    now = 1_000;
    // Past its TTL the list is answered at once, and refreshed in the background (once).
    expect(await cache.all()).toBe(first);
    await cache.all();
    await expect.poll(() => calls.list).toBe(6);
    expect(await cache.all()).not.toBe(first);
    expect(calls.list).toBe(6);
  });

  it('serves the stale list while the catalog fails, and fails only when it never loaded', async () => {
    let now = 0;
    const { reader, calls, fail } = fakeCatalog();
    const cache = new ProductCache(reader, { ttlMs: 1_000, retryAfterMs: 100, now: () => now });
    fail(true);
    await expect(cache.all()).rejects.toThrow('catalog down');
    fail(false);
    await cache.all();
    fail(true);
    now = 5_000;
    expect(await cache.all()).toHaveLength(250);
    const attempts = calls.list;
    now = 5_050;
    await cache.all();
    expect(calls.list).toBe(attempts);
  });

  it('answers with the list it has while a refresh is under way, rather than holding every call until it ends', async () => {
    let now = 0;
    let version = 1;
    let slow = false;
    const pending: (() => void)[] = [];
    const calls = { list: 0 };
    const reader: CatalogReader = {
      async listProducts() {
        calls.list++;
        const listed = version;
        // A catalog that answers late (a replica blackholed, attempts retried one after another):
        // the refresh then takes up to its own deadline, 5 s.
        if (slow) await new Promise<void>((resolve) => pending.push(resolve));
        return { products: [{ id: `v${listed}` } as Product__Output], nextPageToken: '' };
      },
      async batchGetProducts() {
        return { products: [] };
      },
    };
    const cache = new ProductCache(reader, { ttlMs: 1_000, now: () => now });
    const ids = async () => (await cache.all()).map((product) => product.id);
    expect(await ids()).toEqual(['v1']);
    slow = true;
    version = 2;
    now = 1_000;
    const within = (ms: number) =>
      Promise.race([ids(), new Promise<'still waiting'>((resolve) => setTimeout(() => resolve('still waiting'), ms))]);
    // Every Recommend waited for it: 5 s each while catalog was slow, though the list was there.
    expect(await within(200)).toEqual(['v1']);
    expect(await within(200)).toEqual(['v1']);
    expect(calls.list).toBe(2);
    for (const release of pending.splice(0)) release();
    await expect.poll(ids).toEqual(['v2']);
    expect(calls.list).toBe(2);
  });

  it('gets products by id from the list, batch-fetching only the ones it lacks', async () => {
    const { reader, calls } = fakeCatalog();
    const cache = new ProductCache(reader);
    expect((await cache.byIds(['p-3', 'new', 'p-1'])).map((item) => item.id)).toEqual(['p-3', 'new', 'p-1']);
    expect(calls.batch).toEqual([['new']]);
  });

  it('keeps one list per track, each fetched on its own track, under a deadline of its own', async () => {
    const seen: { track: string | undefined; remainingMs: number }[] = [];
    const reader: CatalogReader = {
      async listProducts() {
        const scope = currentCallScope();
        const track = scope?.track;
        seen.push({ track, remainingMs: (scope?.deadline ?? Number.POSITIVE_INFINITY) - Date.now() });
        return { products: [{ id: track === 'b' ? 'b-only' : 'a-only' } as Product__Output], nextPageToken: '' };
      },
      async batchGetProducts() {
        return { products: [] };
      },
    };
    const cache = new ProductCache(reader);
    // Started by a track-b request with 50 ms left: fetched on track b, with the refresh's own 5 s.
    const onB = await runInCallScope({ deadline: Date.now() + 50, track: 'b' }, () => cache.all());
    expect(onB.map((product) => product.id)).toEqual(['b-only']);
    expect(seen[0]?.track).toBe('b');
    expect(seen[0]?.remainingMs).toBeGreaterThan(4_000);
    // An untracked request is not ranked on track b's list: it gets its own.
    expect((await cache.all()).map((product) => product.id)).toEqual(['a-only']);
    expect(seen.map((call) => call.track)).toEqual(['b', undefined]);
    expect(await runInCallScope({ deadline: Date.now() + 1_000, track: 'b' }, () => cache.byIds(['b-only']))).toEqual([
      { id: 'b-only' },
    ]);
    expect(seen).toHaveLength(2);
  });

  it('keeps a bounded number of track lists however many tracks requests carry', async () => {
    // The track comes from a request header at the gateway: a client sending a new value on
    // every request must not grow this replica's memory without end.
    const { reader, calls } = fakeCatalog();
    const cache = new ProductCache(reader, { maxTracks: 4 });
    await cache.all();
    for (let index = 0; index < 200; index++) {
      await runInCallScope({ deadline: Date.now() + 1_000, track: `t-${index}` }, () => cache.all());
      // The untracked list is in use all along, so it is the one kept.
      await cache.all();
    }
    expect(cache.trackCount).toBe(4);
    const listed = calls.list;
    expect((await cache.all()).map((product) => product.id)).toHaveLength(250);
    expect(calls.list).toBe(listed);
  });

  it('a caller already gone when a first load fails leaves no unhandled rejection behind (it crashed the process)', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const { reader, calls, fail } = fakeCatalog();
      fail(true);
      const cache = new ProductCache(reader);
      // A request whose client left before it got here (an HTTP handler's signal, say): it is
      // answered at once, while the load it started goes on, and fails, with nobody waiting.
      await expect(cache.all(AbortSignal.abort())).rejects.toMatchObject({ code: 'CANCELLED' });
      await expect.poll(() => calls.list).toBe(1);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(unhandled).toEqual([]);
      // The next caller still gets the failure (the list never loaded) and, once it loads, the list.
      await expect(cache.all()).rejects.toThrow('catalog down');
      fail(false);
      expect(await cache.all()).toHaveLength(250);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
