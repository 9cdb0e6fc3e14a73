import type { CatalogService, Product__Output } from '@shopping-guide/shared';
import type { GrpcClient } from '@switchyard/grpc';

/** The catalog calls the cache makes (a Switchyard gRPC client, or a fake in tests). */
export type CatalogReader = Pick<GrpcClient<typeof CatalogService>, 'listProducts' | 'batchGetProducts'>;

/** Options for {@link ProductCache}. */
export interface ProductCacheOptions {
  /** How long a product list is used before it is fetched again. @default 10_000 */
  ttlMs?: number;
  /** After a failed refresh, how long the stale list is used before trying again. @default 1_000 */
  retryAfterMs?: number;
  /** @default Date.now */
  now?: () => number;
}

/** Defaults of {@link ProductCacheOptions}. */
export const DEFAULT_PRODUCT_CACHE_OPTIONS = Object.freeze({ ttlMs: 10_000, retryAfterMs: 1_000 });

const PAGE_SIZE = 100;
const MAX_PAGES = 100;

/**
 * The catalog's product list, fetched page by page and kept briefly. One refresh at a time (calls
 * arriving meanwhile share it); if a refresh fails, the previous list is served until a retry
 * succeeds, and only a cache that never loaded fails the call.
 */
export class ProductCache {
  private products: readonly Product__Output[] | undefined;
  private byId = new Map<string, Product__Output>();
  private freshUntil = 0;
  private refreshing: Promise<readonly Product__Output[]> | undefined;
  private readonly options: { ttlMs: number; retryAfterMs: number };
  private readonly now: () => number;

  constructor(
    private readonly catalog: CatalogReader,
    options: ProductCacheOptions = {},
  ) {
    const { now = Date.now, ...rest } = options;
    this.options = { ...DEFAULT_PRODUCT_CACHE_OPTIONS, ...rest };
    this.now = now;
  }

  /** Every product (with the stock level of when it was fetched). */
  async all(): Promise<readonly Product__Output[]> {
    if (this.products && this.now() < this.freshUntil) return this.products;
    this.refreshing ??= this.refresh().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  /** The given products in order, from the cached list; ids it lacks are asked for in one batch call. */
  async byIds(ids: readonly string[]): Promise<Product__Output[]> {
    await this.all();
    const missing = ids.filter((id) => !this.byId.has(id));
    const fetched = missing.length > 0 ? (await this.catalog.batchGetProducts({ ids: missing })).products : [];
    const found = new Map([...fetched.map((product) => [product.id, product] as const)]);
    return ids.flatMap((id) => this.byId.get(id) ?? found.get(id) ?? []);
  }

  private async refresh(): Promise<readonly Product__Output[]> {
    try {
      const products: Product__Output[] = [];
      let pageToken = '';
      for (let page = 0; page < MAX_PAGES; page++) {
        const response = await this.catalog.listProducts({ pageSize: PAGE_SIZE, pageToken });
        products.push(...response.products);
        pageToken = response.nextPageToken;
        if (!pageToken) break;
      }
      this.products = products;
      this.byId = new Map(products.map((product) => [product.id, product]));
      this.freshUntil = this.now() + this.options.ttlMs;
      return products;
    } catch (error) {
      if (!this.products) throw error;
      this.freshUntil = this.now() + this.options.retryAfterMs;
      return this.products;
    }
  }
}
