import type { Product__Output } from '@shopping-guide/shared';
import { tokenize } from './tokenize.js';

/** One ranked result. */
export interface SearchHit {
  productId: string;
  name: string;
  score: number;
}

/** Tuning of {@link SearchIndex}. */
export interface SearchIndexOptions {
  /** How much a term counts in each field. @default name 3, tags 2, category 2, description 1 */
  fieldWeights?: Partial<Record<Field, number>>;
  /** BM25 term-frequency saturation. @default 1.2 */
  k1?: number;
  /** BM25 length normalisation. @default 0.75 */
  b?: number;
  /** A term found only as a prefix (`head` → `headphone`) scores this fraction of an exact match. @default 0.6 */
  prefixFactor?: number;
  /** Query terms shorter than this match exactly only. @default 2 */
  minPrefixLength?: number;
}

type Field = 'name' | 'tags' | 'category' | 'description';

/** Defaults of {@link SearchIndexOptions}. */
export const DEFAULT_SEARCH_INDEX_OPTIONS = Object.freeze({
  fieldWeights: Object.freeze({ name: 3, tags: 2, category: 2, description: 1 }),
  k1: 1.2,
  b: 0.75,
  prefixFactor: 0.6,
  minPrefixLength: 2,
});

interface Posting {
  doc: number;
  /** Field-weighted term frequency. */
  tf: number;
}

/**
 * An immutable BM25F index over products (name, tags, category, description, each weighted),
 * with prefix matching so that results appear while a query is still being typed. Build a new
 * one to refresh.
 */
export class SearchIndex {
  private readonly postings = new Map<string, Posting[]>();
  /** Every indexed term, sorted, for prefix lookups by binary search. */
  private readonly terms: string[];
  private readonly lengths: number[];
  private readonly averageLength: number;
  private readonly settings: {
    fieldWeights: Record<Field, number>;
    k1: number;
    b: number;
    prefixFactor: number;
    minPrefixLength: number;
  };

  constructor(
    private readonly products: readonly Product__Output[],
    options: SearchIndexOptions = {},
  ) {
    this.settings = {
      ...DEFAULT_SEARCH_INDEX_OPTIONS,
      ...options,
      fieldWeights: { ...DEFAULT_SEARCH_INDEX_OPTIONS.fieldWeights, ...options.fieldWeights },
    };
    this.lengths = products.map((product, doc) => {
      const frequencies = new Map<string, number>();
      let length = 0;
      for (const [field, text] of fieldsOf(product)) {
        const weight = this.settings.fieldWeights[field];
        for (const term of tokenize(text)) {
          frequencies.set(term, (frequencies.get(term) ?? 0) + weight);
          length += weight;
        }
      }
      for (const [term, tf] of frequencies) {
        const list = this.postings.get(term) ?? [];
        list.push({ doc, tf });
        this.postings.set(term, list);
      }
      return length;
    });
    this.averageLength = this.lengths.reduce((sum, length) => sum + length, 0) / Math.max(1, products.length);
    this.terms = [...this.postings.keys()].sort();
  }

  /** Number of indexed products. */
  get size(): number {
    return this.products.length;
  }

  /**
   * The best `limit` products for `query`, highest score first (ties by name). Each query term
   * adds its best match per product: exact, or by prefix at a discount. Empty for a query with no
   * searchable terms.
   */
  search(query: string, limit: number): SearchHit[] {
    const scores = new Map<number, number>();
    for (const term of new Set(tokenize(query))) {
      const best = new Map<number, number>();
      for (const [candidate, factor] of this.expand(term)) {
        const postings = this.postings.get(candidate) ?? [];
        const idf = Math.log(1 + (this.products.length - postings.length + 0.5) / (postings.length + 0.5));
        for (const { doc, tf } of postings) {
          const { k1, b } = this.settings;
          const norm = tf + k1 * (1 - b + (b * (this.lengths[doc] ?? 0)) / this.averageLength);
          const score = factor * idf * ((tf * (k1 + 1)) / norm);
          if (score > (best.get(doc) ?? 0)) best.set(doc, score);
        }
      }
      for (const [doc, score] of best) scores.set(doc, (scores.get(doc) ?? 0) + score);
    }
    return [...scores]
      .map(([doc, score]) => ({ product: this.products[doc] as Product__Output, score }))
      .sort((a, b) => b.score - a.score || a.product.name.localeCompare(b.product.name))
      .slice(0, limit)
      .map(({ product, score }) => ({
        productId: product.id,
        name: product.name,
        score: Math.round(score * 1e4) / 1e4,
      }));
  }

  toString(): string {
    return `SearchIndex(products=${this.products.length}, terms=${this.terms.length})`;
  }

  /** The indexed terms a query term matches: itself (factor 1) and, if long enough, longer terms it starts. */
  private expand(term: string): [string, number][] {
    const matches: [string, number][] = this.postings.has(term) ? [[term, 1]] : [];
    if (term.length < this.settings.minPrefixLength) return matches;
    let low = 0;
    let high = this.terms.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.terms[middle] as string) < term) low = middle + 1;
      else high = middle;
    }
    for (let index = low; index < this.terms.length; index++) {
      const candidate = this.terms[index] as string;
      if (!candidate.startsWith(term)) break;
      if (candidate !== term) matches.push([candidate, this.settings.prefixFactor]);
    }
    return matches;
  }
}

function fieldsOf(product: Product__Output): [Field, string][] {
  return [
    ['name', product.name],
    ['tags', product.tags.join(' ')],
    ['category', product.category],
    ['description', product.description],
  ];
}
