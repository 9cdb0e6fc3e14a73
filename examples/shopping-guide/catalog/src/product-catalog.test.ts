import { describe, expect, it } from 'vitest';
import { PRODUCTS, ProductCatalog } from './index.js';

const catalog = new ProductCatalog(PRODUCTS);

function listAll(category: string, pageSize: number): { ids: string[]; pages: number } {
  const ids: string[] = [];
  let pageToken = '';
  let pages = 0;
  do {
    const page = catalog.list({ category, pageSize, pageToken });
    ids.push(...page.products.map((product) => product.id));
    pageToken = page.nextPageToken;
    pages++;
  } while (pageToken !== '');
  return { ids, pages };
}

describe('ProductCatalog', () => {
  it('pages through every product exactly once', () => {
    const { ids, pages } = listAll('', 10);
    expect(ids).toEqual(PRODUCTS.map((product) => product.id));
    expect(pages).toBe(Math.ceil(PRODUCTS.length / 10));
  });

  it('filters by category, and the last page has no next token', () => {
    const { ids } = listAll('kitchen', 3);
    expect(ids.length).toBe(PRODUCTS.filter((product) => product.category === 'kitchen').length);
    expect(ids.every((id) => catalog.get(id)?.category === 'kitchen')).toBe(true);
    expect(catalog.list({ category: 'kitchen', pageSize: 100, pageToken: '' }).nextPageToken).toBe('');
  });

  it('defaults the page size to 20 and caps it at 100', () => {
    expect(catalog.list({ category: '', pageSize: 0, pageToken: '' }).products).toHaveLength(20);
    const big = new ProductCatalog(Array.from({ length: 150 }, (_, index) => ({ ...PRODUCTS[0]!, id: `p-${index}` })));
    expect(big.list({ category: '', pageSize: 1_000, pageToken: '' }).products).toHaveLength(100);
  });

  it('rejects unknown categories and foreign or corrupt page tokens, naming the field', () => {
    expect(() => catalog.list({ category: 'garden', pageSize: 0, pageToken: '' })).toThrow(
      /^category: unknown category "garden"; known: electronics, books, home, outdoor, toys, kitchen$/,
    );
    // A query value of kilobytes is not echoed whole into the shopper's 400.
    expect(() => catalog.list({ category: 'g'.repeat(10_000), pageSize: 0, pageToken: '' })).toThrow(
      /^category: unknown category a 10000-character string; known: /,
    );
    const token = catalog.list({ category: 'books', pageSize: 2, pageToken: '' }).nextPageToken;
    expect(() => catalog.list({ category: 'toys', pageSize: 2, pageToken: token })).toThrow(
      /^page_token: was issued for another category/,
    );
    expect(() => catalog.list({ category: '', pageSize: 2, pageToken: 'not-a-token' })).toThrow(
      /^page_token: is not a token/,
    );
  });

  it('batch-gets known ids in request order, once each, skipping unknown ones', () => {
    expect(catalog.batchGet(['sku-3', 'nope', 'sku-1', 'sku-3']).map((product) => product.id)).toEqual([
      'sku-3',
      'sku-1',
    ]);
  });
});
