import type { Product__Output } from '@shopping-guide/shared';

/** The ranking arms: `similar` (the default) and `trending` (an A/B arm, e.g. on track b). */
export const STRATEGIES = ['similar', 'trending'] as const;
export type Strategy = (typeof STRATEGIES)[number];

/** How much the catalog's `bestseller` tag counts, in views, towards popularity. */
export const BESTSELLER_BONUS = 3;
/** How many of the user's recent views shape the related products. */
export const VIEWS_CONSIDERED = 10;

/** What {@link rank} works on. */
export interface RankInput {
  strategy: Strategy;
  /** Every product that may be recommended (sold-out ones are skipped). */
  products: readonly Product__Output[];
  /** The user's recently viewed products, most recent first (never recommended again). */
  viewed: readonly Product__Output[];
  limit: number;
  /** All-time views of a product. */
  views: (productId: string) => number;
  /** Decaying recent views of a product. */
  trend: (productId: string) => number;
}

/** The products to recommend and the path that chose them (`RecommendResponse.strategy`). */
export interface Ranked {
  products: Product__Output[];
  /** `co-view` / `popular` for the similar arm, `trending-co-view` / `trending` for the trending arm. */
  strategy: string;
}

/** How alike two products are: same category counts 2, every shared tag 1. */
export function similarity(a: Product__Output, b: Product__Output): number {
  const tags = new Set(a.tags);
  return (a.category === b.category ? 2 : 0) + b.tags.filter((tag) => tags.has(tag)).length;
}

/**
 * Ranks recommendations: products related to the user's recent views (by category and tags,
 * more recent views weigh more), then filled up with popular ones. The `similar` arm orders
 * related products by similarity and fills with all-time popularity; the `trending` arm boosts
 * what is being viewed now and fills with trending products.
 */
export function rank(input: RankInput): Ranked {
  const viewedIds = new Set(input.viewed.map((product) => product.id));
  const pool = input.products.filter((product) => product.stock > 0 && !viewedIds.has(product.id));
  const recent = input.viewed.slice(0, VIEWS_CONSIDERED);
  const trending = input.strategy === 'trending';
  // Scores computed once per product, then sorted on.
  const related = new Map<string, number>();
  const fill = new Map<string, number>();
  for (const product of pool) {
    const bestseller = product.tags.includes('bestseller');
    const relatedness = recent.reduce((sum, viewed, index) => sum + similarity(viewed, product) / (index + 1), 0);
    const trend = input.trend(product.id);
    if (relatedness > 0) related.set(product.id, trending ? relatedness * (1 + trend) : relatedness);
    fill.set(
      product.id,
      trending ? trend + (bestseller ? 0.5 : 0) : input.views(product.id) + (bestseller ? BESTSELLER_BONUS : 0),
    );
  }
  const byScore = (scores: Map<string, number>) => (a: Product__Output, b: Product__Output) =>
    (scores.get(b.id) ?? 0) - (scores.get(a.id) ?? 0) ||
    (fill.get(b.id) ?? 0) - (fill.get(a.id) ?? 0) ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

  const relatedProducts = pool
    .filter((product) => related.has(product.id))
    .sort(byScore(related))
    .slice(0, input.limit);
  const chosen = new Set(relatedProducts.map((product) => product.id));
  const popular = pool
    .filter((product) => !chosen.has(product.id))
    .sort(byScore(fill))
    .slice(0, input.limit - relatedProducts.length);
  const path = relatedProducts.length > 0 ? 'co-view' : 'popular';
  return {
    products: [...relatedProducts, ...popular],
    strategy: trending ? (path === 'co-view' ? 'trending-co-view' : 'trending') : path,
  };
}
