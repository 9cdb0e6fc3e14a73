/**
 * @shopping-guide/search: ranked product search.
 *
 * Stance: the index is a read-only snapshot, rebuilt whole from the catalog and swapped in, so a
 * search never sees a half-built index; a replica that has no index yet says UNAVAILABLE rather
 * than answering "no results", so clients retry on a replica that can answer.
 *
 * @packageDocumentation
 */

// Service
export { startSearch } from './search-service.js';
export type { StartSearchOptions } from './search-service.js';
export { searchHandlers, SEARCH_LIMITS } from './search-handlers.js';

// Index
export { SearchIndex, DEFAULT_SEARCH_INDEX_OPTIONS } from './search-index.js';
export type { SearchHit, SearchIndexOptions } from './search-index.js';
export { CatalogIndexer, DEFAULT_CATALOG_INDEXER_OPTIONS } from './catalog-indexer.js';
export type { CatalogIndexerOptions, CatalogLister } from './catalog-indexer.js';
export { tokenize, stem } from './tokenize.js';
