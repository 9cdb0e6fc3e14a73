import { type CatalogService, type Product__Output, untilAborted } from '@shopping-guide/shared';
import { currentCallScope, runInCallScope } from '@switchyard/core';
import type { GrpcClient } from '@switchyard/grpc';

/** The catalog calls the cache makes (a Switchyard gRPC client, or a fake in tests). */
export type CatalogReader = Pick<GrpcClient<typeof CatalogService>, 'listProducts' | 'batchGetProducts'>;

/** Options for {@link ProductCache}. */
export interface ProductCacheOptions {
  /** How long a product list is used before it is fetched again. @default 10_000 */
  ttlMs?: number;
  /** After a failed refresh, how long the stale list is used before trying again. @default 1_000 */
  retryAfterMs?: number;
  /** How long one refresh (every page) may take, whoever's request started it. @default 5_000 */
  refreshDeadlineMs?: number;
  /**
   * Track lists kept at once; beyond it the least recently used is dropped (and fetched again if
   * its track comes back). The track arrives as baggage, which the gateway takes from a request
   * header, so every distinct value would otherwise keep a list of its own for ever. @default 16
   */
  maxTracks?: number;
  /** @default Date.now */
  now?: () => number;
}

/** Defaults of {@link ProductCacheOptions}. */
export const DEFAULT_PRODUCT_CACHE_OPTIONS = Object.freeze({
  ttlMs: 10_000,
  retryAfterMs: 1_000,
  refreshDeadlineMs: 5_000,
  maxTracks: 16,
});

const PAGE_SIZE = 100;
const MAX_PAGES = 100;

/** One track's cached list (see {@link ProductCache}). */
interface TrackCache {
  products: readonly Product__Output[] | undefined;
  byId: Map<string, Product__Output>;
  freshUntil: number;
  refreshing: Promise<readonly Product__Output[]> | undefined;
}

/**
 * The catalog's product list, fetched page by page and kept briefly. One refresh at a time; calls
 * arriving meanwhile get the list already there (stale while revalidating), or share the first
 * load; if a refresh fails, the previous list is served until a retry succeeds, and only a cache
 * that never loaded fails the call.
 *
 * One list per experiment track, each fetched on its own track: a request on track `b` reads the
 * catalog's `b` instances, and must not fill the list every other request is ranked on. A refresh
 * runs under its own deadline, not the deadline of the request that happened to start it: the
 * requests waiting for it may have far more time left than that one. Nor is it stopped by that
 * request's cancellation: the list serves every request after it. A cancelled request stops
 * waiting for it, though (see the `signal` parameters).
 */
export class ProductCache {
  private readonly tracks = new Map<string, TrackCache>();
  private readonly options: { ttlMs: number; retryAfterMs: number; refreshDeadlineMs: number; maxTracks: number };
  private readonly now: () => number;

  constructor(
    private readonly catalog: CatalogReader,
    options: ProductCacheOptions = {},
  ) {
    const { now = Date.now, ...rest } = options;
    this.options = { ...DEFAULT_PRODUCT_CACHE_OPTIONS, ...rest };
    this.now = now;
  }

  /** How many track lists are held (at most `maxTracks`). */
  get trackCount(): number {
    return this.tracks.size;
  }

  /**
   * Every product (with the stock level of when it was fetched), as the caller's track sees them.
   * Once a list has loaded, it is answered at once, even past its TTL: a list past its TTL starts a
   * refresh in the background (one at a time), and the calls after that refresh get its list. Only
   * the first load of a track's list is waited for.
   * @param signal the caller's (a handler's `context.signal`): when it aborts, this rejects with
   * its reason at once instead of waiting for the first load (up to `refreshDeadlineMs`, which
   * also held up the service's shutdown), and the load goes on for the others.
   */
  async all(signal?: AbortSignal): Promise<readonly Product__Output[]> {
    const track = currentCallScope()?.track;
    const cache = this.cacheOf(track);
    if (cache.products && this.now() < cache.freshUntil) return cache.products;
    cache.refreshing ??= runInCallScope(
      { deadline: Date.now() + this.options.refreshDeadlineMs, ...(track === undefined ? {} : { track }) },
      () => this.refresh(cache),
    ).finally(() => {
      cache.refreshing = undefined;
    });
    // Stale while revalidating. Every call waited for the refresh of a list past its TTL: while
    // catalog answered slowly (a replica blackholed, attempts retried one after another), each
    // Recommend took up to the refresh's 5 s, then got this same list (a failed refresh serves it).
    if (cache.products) {
      // A refresh with a list to fall back on resolves to it; never left as an unhandled rejection.
      cache.refreshing.catch(() => undefined);
      return cache.products;
    }
    return untilAborted(cache.refreshing, signal);
  }

  /**
   * The given products in order, from the cached list; ids it lacks are asked for in one batch call.
   * That call is best effort: if it fails (catalog down), the ids it was for are left out and the
   * list's own products are returned, as {@link all} serves its list through an outage. Rejects
   * only when the list never loaded, or when `signal` aborts.
   * @param signal the caller's: stops the wait for the list (see {@link all}) and the batch call.
   */
  async byIds(ids: readonly string[], signal?: AbortSignal): Promise<Product__Output[]> {
    await this.all(signal);
    const { byId } = this.cacheOf(currentCallScope()?.track);
    const missing = ids.filter((id) => !byId.has(id));
    // Given as well as inherited: a caller outside a served call (no call scope) has only this.
    // A failed lookup failed the whole Recommend (UNAVAILABLE) of any user who had viewed a product
    // the list lacks (added by a catalog canary, or retired since), while the list could answer it.
    const fetched =
      missing.length > 0
        ? await this.catalog.batchGetProducts({ ids: missing }, signal ? { signal } : {}).then(
            (response) => response.products,
            (error: unknown) => {
              if (signal?.aborted) throw error;
              return [];
            },
          )
        : [];
    const found = new Map([...fetched.map((product) => [product.id, product] as const)]);
    return ids.flatMap((id) => byId.get(id) ?? found.get(id) ?? []);
  }

  private cacheOf(track: string | undefined): TrackCache {
    const key = track ?? '';
    let cache = this.tracks.get(key);
    // Re-inserted on every use, so the first key is always the least recently used.
    this.tracks.delete(key);
    if (cache === undefined) {
      cache = { products: undefined, byId: new Map(), freshUntil: 0, refreshing: undefined };
      if (this.tracks.size >= this.options.maxTracks) this.tracks.delete(this.tracks.keys().next().value as string);
    }
    this.tracks.set(key, cache);
    return cache;
  }

  private async refresh(cache: TrackCache): Promise<readonly Product__Output[]> {
    try {
      const products: Product__Output[] = [];
      let pageToken = '';
      for (let page = 0; page < MAX_PAGES; page++) {
        const response = await this.catalog.listProducts({ pageSize: PAGE_SIZE, pageToken });
        products.push(...response.products);
        pageToken = response.nextPageToken;
        if (!pageToken) break;
      }
      cache.products = products;
      cache.byId = new Map(products.map((product) => [product.id, product]));
      cache.freshUntil = this.now() + this.options.ttlMs;
      return products;
    } catch (error) {
      if (!cache.products) throw error;
      cache.freshUntil = this.now() + this.options.retryAfterMs;
      return cache.products;
    }
  }
}
