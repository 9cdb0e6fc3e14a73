/**
 * @shopping-guide/catalog: products and stock for the shopping guide.
 *
 * Stance: product data is static and identical on every replica, so any replica can answer any
 * read; stock is the one piece of shared state, so it lives in one store that every replica uses
 * (Redis), and a reservation is one atomic, idempotent step there — never read-then-write from a
 * replica. Orders reserves in two phases (hold, then confirm; release to compensate a placement
 * that failed), and a hold nobody confirms is given back by itself, so no lost reply or crashed
 * replica strands stock for longer than the hold time.
 *
 * @packageDocumentation
 */

// Service
export { startCatalog } from './catalog-service.js';
export type { StartCatalogOptions } from './catalog-service.js';
export { catalogHandlers, CATALOG_LIMITS } from './catalog-handlers.js';
export type { CatalogHandlerOptions } from './catalog-handlers.js';

// Products
export { PRODUCTS, CATEGORIES } from './products.js';
export { ProductCatalog, PAGE_SIZE } from './product-catalog.js';
export type { ProductPage } from './product-catalog.js';

// Stock
export { MemoryStockStore, DEFAULT_MEMORY_STOCK_STORE_OPTIONS } from './stock/memory-stock-store.js';
export type { MemoryStockStoreOptions } from './stock/memory-stock-store.js';
export { RedisStockStore, DEFAULT_REDIS_STOCK_STORE_OPTIONS } from './stock/redis-stock-store.js';
export type { RedisStockStoreOptions } from './stock/redis-stock-store.js';
export { stockStoreFromEnv } from './stock/stock-store-from-env.js';
export { ReservationConflictError, DEFAULT_RESERVATION_TTL_MS, DEFAULT_HOLD_MS } from './stock/stock-store.js';
export type {
  StockStore,
  StockRequestLine,
  Reservation,
  ReserveOptions,
  ReleaseOutcome,
} from './stock/stock-store.js';
