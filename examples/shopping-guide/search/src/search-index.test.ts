import { PRODUCTS } from '@shopping-guide/catalog';
import { describe, expect, it } from 'vitest';
import { SearchIndex } from './index.js';

const index = new SearchIndex(PRODUCTS);
const ids = (query: string, limit = 5) => index.search(query, limit).map((hit) => hit.productId);

describe('SearchIndex', () => {
  it('ranks a name match above description-only matches', () => {
    const hits = index.search('headphones', 5);
    expect(hits[0]).toMatchObject({ productId: 'sku-1', name: 'Aurora Wireless Headphones' });
    expect(hits.every((hit, position) => position === 0 || hit.score <= (hits[position - 1]?.score ?? 0))).toBe(true);
  });

  it('finds products by tag and category words', () => {
    expect(ids('camping', 10)).toEqual(expect.arrayContaining(['sku-22', 'sku-24', 'sku-26', 'sku-27', 'sku-37']));
    expect(ids('kitchen', 10).length).toBeGreaterThanOrEqual(7);
  });

  it('prefers products matching every query word', () => {
    expect(ids('wireless speaker')[0]).toBe('sku-2');
    expect(ids('coffee gift')[0]).toMatch(/^sku-3[89]$/);
  });

  it('matches prefixes while a word is still being typed, below exact matches', () => {
    expect(ids('headp')).toContain('sku-1');
    expect(ids('espres')[0]).toBe('sku-38');
    const exact = index.search('tent', 1)[0]?.score ?? 0;
    const prefix = index.search('ten', 1)[0]?.score ?? 0;
    expect(prefix).toBeLessThan(exact);
  });

  it('keeps matching while a plural is being typed, past where its stem ends', () => {
    // `pitches` and `switches` are indexed as `pitch` and `switch`: `pitche` and `switche`, on
    // the way from a word that found the product to the whole word that finds it again, found
    // nothing, and neither did `batterie` for `batteries` (indexed `battery`).
    for (const typed of ['pitc', 'pitch', 'pitche', 'pitches']) expect(ids(typed), typed).toContain('sku-22');
    for (const typed of ['switc', 'switch', 'switche', 'switches']) expect(ids(typed), typed).toContain('sku-4');
    const plural = new SearchIndex([{ ...PRODUCTS[0], id: 'b', name: 'Spare batteries' } as (typeof PRODUCTS)[0]]);
    for (const typed of ['batter', 'batteri', 'batterie', 'batteries', 'battery']) {
      expect(plural.search(typed, 1)[0]?.productId, typed).toBe('b');
    }
    // Still below an exact match of the whole word.
    expect(index.search('pitche', 1)[0]?.score ?? 0).toBeLessThan(index.search('pitches', 1)[0]?.score ?? 0);
  });

  it('answers nothing for unknown or stop-word-only queries, and honours the limit', () => {
    expect(index.search('zeppelin', 10)).toEqual([]);
    expect(index.search('the and of', 10)).toEqual([]);
    expect(index.search('a', 3)).toEqual([]);
    expect(index.search('e', 3).length).toBeLessThanOrEqual(3);
    expect(String(index)).toMatch(/^SearchIndex\(products=42, terms=\d+\)$/);
  });
});
