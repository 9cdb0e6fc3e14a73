import type { SearchService } from '@shopping-guide/shared';
import { InvalidArgumentError } from '@switchyard/core';
import { type GrpcHandlers, GrpcStatus, grpcError } from '@switchyard/grpc';
import type { SearchIndex } from './search-index.js';

/** Request limits of the search API. */
export const SEARCH_LIMITS = Object.freeze({ queryLength: 256, defaultLimit: 10, maxLimit: 50 });

/**
 * The shop.search.v1.SearchService handlers over the current index. Without an index yet they
 * answer UNAVAILABLE, which Switchyard clients retry on another instance.
 */
export function searchHandlers(current: () => SearchIndex | undefined): GrpcHandlers<typeof SearchService, never> {
  return {
    async search({ query, limit }) {
      if (query.trim() === '' || query.length > SEARCH_LIMITS.queryLength) {
        throw new InvalidArgumentError(
          'query',
          `must be 1 to ${SEARCH_LIMITS.queryLength} characters, not only spaces`,
        );
      }
      const index = current();
      if (!index) throw grpcError(GrpcStatus.UNAVAILABLE, 'search index not built yet');
      const count = Math.min(limit === 0 ? SEARCH_LIMITS.defaultLimit : limit, SEARCH_LIMITS.maxLimit);
      return { hits: index.search(query, count) };
    },
  };
}
