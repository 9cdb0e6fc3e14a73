import type { Product__Output } from '@shopping-guide/shared';
import { stem, words } from './tokenize.js';

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
  /**
   * The indexed words that stemming shortened (`pitches`, indexed as `pitch`), sorted: a word
   * being typed past where its stem ends (`pitche`) is a prefix of the word, not of the term.
   */
  private readonly surfaces: string[];
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
    const surfaces = new Set<string>();
    this.lengths = products.map((product, doc) => {
      const frequencies = new Map<string, number>();
      let length = 0;
      for (const [field, text] of fieldsOf(product)) {
        const weight = this.settings.fieldWeights[field];
        for (const word of words(text)) {
          const term = stem(word);
          if (term !== word) surfaces.add(word);
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
    this.surfaces = [...surfaces].sort();
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
    // Each term once (`pitch pitches` is one term), with the words the query wrote it as.
    const queryTerms = new Map<string, Set<string>>();
    for (const word of words(query)) {
      const term = stem(word);
      queryTerms.set(term, (queryTerms.get(term) ?? new Set()).add(word));
    }
    for (const [term, written] of queryTerms) {
      const best = new Map<number, number>();
      for (const [candidate, factor] of this.expand(term, written)) {
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

  /**
   * The indexed terms a query term matches: itself (factor 1) and, if long enough, the longer terms
   * it starts, and the terms of the longer indexed words that a word it was `written` as starts
   * (`pitche` → `pitches` → `pitch`), each once.
   */
  private expand(term: string, written: ReadonlySet<string>): [string, number][] {
    const matches = new Map<string, number>(this.postings.has(term) ? [[term, 1]] : []);
    const byPrefix = (candidate: string): void => {
      if (!matches.has(candidate)) matches.set(candidate, this.settings.prefixFactor);
    };
    if (term.length >= this.settings.minPrefixLength) startingWith(this.terms, term, byPrefix);
    for (const word of written) {
      if (word.length >= this.settings.minPrefixLength) {
        startingWith(this.surfaces, word, (surface) => byPrefix(stem(surface)));
      }
    }
    return [...matches];
  }
}

/** Calls `found` with each string of `sorted` that starts with `prefix` and is longer than it. */
function startingWith(sorted: readonly string[], prefix: string, found: (value: string) => void): void {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((sorted[middle] as string) < prefix) low = middle + 1;
    else high = middle;
  }
  for (let index = low; index < sorted.length; index++) {
    const candidate = sorted[index] as string;
    if (!candidate.startsWith(prefix)) break;
    if (candidate !== prefix) found(candidate);
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
