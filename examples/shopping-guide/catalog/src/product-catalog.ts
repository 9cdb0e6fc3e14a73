import type { Product__Output } from '@shopping-guide/shared';
import { describeValue, InvalidArgumentError } from '@switchyard/core';

/** Page sizes of {@link ProductCatalog.list}. */
export const PAGE_SIZE = Object.freeze({ default: 20, max: 100 });

/** One page of products and the token for the next (empty on the last page). */
export interface ProductPage {
  products: Product__Output[];
  nextPageToken: string;
}

/**
 * The product data (read-only, the same on every replica): lookups by id, category listing with
 * opaque page tokens, batch reads. Stock levels are not here; see StockStore.
 */
export class ProductCatalog {
  private readonly byId: ReadonlyMap<string, Product__Output>;
  private readonly categories: ReadonlySet<string>;

  constructor(private readonly products: readonly Product__Output[]) {
    this.byId = new Map(products.map((product) => [product.id, product]));
    this.categories = new Set(products.map((product) => product.category));
  }

  get size(): number {
    return this.products.length;
  }

  get(id: string): Product__Output | undefined {
    return this.byId.get(id);
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  /** The known products among `ids`, in request order, each once; unknown ids are skipped. */
  batchGet(ids: readonly string[]): Product__Output[] {
    const seen = new Set<string>();
    const found: Product__Output[] = [];
    for (const id of ids) {
      const product = this.byId.get(id);
      if (product && !seen.has(id)) {
        seen.add(id);
        found.push(product);
      }
    }
    return found;
  }

  /**
   * A page of products, optionally of one category. `pageSize` 0 means the default (20); above
   * 100 it is capped at 100. The token is opaque to clients and bound to the category it was
   * issued for.
   *
   * @throws InvalidArgumentError for an unknown category or a token that this listing did not issue.
   */
  list(request: { category: string; pageSize: number; pageToken: string }): ProductPage {
    const { category } = request;
    if (category !== '' && !this.categories.has(category)) {
      throw new InvalidArgumentError(
        'category',
        // describeValue: a 16 KB query value was echoed whole into the shopper's 400 (and the logs).
        `unknown category ${describeValue(category)}; known: ${[...this.categories].join(', ')}`,
      );
    }
    const size = request.pageSize === 0 ? PAGE_SIZE.default : Math.min(request.pageSize, PAGE_SIZE.max);
    const offset = request.pageToken === '' ? 0 : decodePageToken(request.pageToken, category);
    const matching = category === '' ? this.products : this.products.filter((product) => product.category === category);
    const products = matching.slice(offset, offset + size);
    const next = offset + products.length;
    return { products, nextPageToken: next < matching.length ? encodePageToken(category, next) : '' };
  }
}

function encodePageToken(category: string, offset: number): string {
  return Buffer.from(JSON.stringify({ c: category, o: offset })).toString('base64url');
}

function decodePageToken(token: string, category: string): number {
  let parsed: { c?: unknown; o?: unknown } | undefined;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  if (typeof parsed?.o !== 'number' || !Number.isInteger(parsed.o) || parsed.o < 0) {
    throw new InvalidArgumentError('page_token', 'is not a token returned by ListProducts');
  }
  if (parsed.c !== category) {
    throw new InvalidArgumentError('page_token', 'was issued for another category; pass the same filter on every page');
  }
  return parsed.o;
}
