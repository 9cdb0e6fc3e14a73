import type { RecommendationService } from '@shopping-guide/shared';
import { InvalidArgumentError } from '@switchyard/core';
import type { GrpcHandlers } from '@switchyard/grpc';
import type { ProductCache } from './product-cache.js';
import { rank, type Strategy } from './ranking.js';
import type { ViewHistory } from './view-history.js';

/** Request limits of the recommendation API. */
export const RECOMMENDATION_LIMITS = Object.freeze({ idLength: 128, defaultLimit: 5, maxLimit: 50 });

/** What the recommendation handlers work on. */
export interface RecommendationHandlerOptions {
  history: ViewHistory;
  products: ProductCache;
  strategy: Strategy;
}

/** The shop.recommendation.v1.RecommendationService handlers. */
export function recommendationHandlers(
  options: RecommendationHandlerOptions,
): GrpcHandlers<typeof RecommendationService, never> {
  const { history, products, strategy } = options;
  return {
    async recordView({ userId, productId }) {
      checkId('user_id', userId);
      checkId('product_id', productId);
      history.record(userId, productId);
      return {};
    },

    async recommend({ userId, limit }, { signal }) {
      if (userId !== '') checkId('user_id', userId);
      const count = Math.min(limit === 0 ? RECOMMENDATION_LIMITS.defaultLimit : limit, RECOMMENDATION_LIMITS.maxLimit);
      const recent = userId === '' ? [] : history.recent(userId);
      // With the call's signal: a cancelled call (or one past its deadline) stops waiting for a
      // catalog refresh under way, which took up to its own 5 s deadline while the handler, long
      // unanswerable, still counted as in flight (and held up a shutdown's grace).
      const [all, viewed] = await Promise.all([products.all(signal), products.byIds(recent, signal)]);
      return rank({
        strategy,
        products: all,
        viewed,
        limit: count,
        views: (id) => history.views(id),
        trend: (id) => history.trend(id),
      });
    },
  };
}

function checkId(field: string, value: string): void {
  if (value === '' || value.length > RECOMMENDATION_LIMITS.idLength) {
    throw new InvalidArgumentError(field, `must be 1 to ${RECOMMENDATION_LIMITS.idLength} characters`);
  }
}
