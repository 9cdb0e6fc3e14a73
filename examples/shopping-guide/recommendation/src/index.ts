/**
 * @shopping-guide/recommendation: personalised suggestions from browsing history.
 *
 * Stance: a recommendation is always answered — related to what the user viewed when there is a
 * history, popular products otherwise — and the answer says which path produced it, so A/B arms
 * can be compared from the responses alone. Product data is the catalog's, read through a
 * discovered client and cached briefly; the history is this replica's memory.
 *
 * @packageDocumentation
 */

// Service
export { startRecommendation } from './recommendation-service.js';
export type { StartRecommendationOptions } from './recommendation-service.js';
export { recommendationHandlers, RECOMMENDATION_LIMITS } from './recommendation-handlers.js';
export type { RecommendationHandlerOptions } from './recommendation-handlers.js';

// Model
export { rank, similarity, STRATEGIES, BESTSELLER_BONUS, VIEWS_CONSIDERED } from './ranking.js';
export type { Strategy, RankInput, Ranked } from './ranking.js';
export { ViewHistory, DEFAULT_VIEW_HISTORY_OPTIONS } from './view-history.js';
export type { ViewHistoryOptions } from './view-history.js';
export { ProductCache, DEFAULT_PRODUCT_CACHE_OPTIONS } from './product-cache.js';
export type { CatalogReader, ProductCacheOptions } from './product-cache.js';
