/**
 * @shopping-guide/orders: places orders and reserves their stock in catalog.
 *
 * Stance: placing an order is safe to retry anywhere. The order id is derived from the client's
 * idempotency key, catalog's reservation is idempotent per order id, so a retry — on this replica
 * or another, after a timeout or a crash — never reserves twice and always gets the same answer.
 * The reservation is held until the order is placed and released when placing fails (saga
 * compensation), so a lost reply strands no stock.
 *
 * @packageDocumentation
 */

// Service
export { startOrders } from './orders-service.js';
export type { StartOrdersOptions } from './orders-service.js';
export { ordersHandlers } from './orders-handlers.js';

// Orders
export { OrderPlacer, ORDER_LIMITS, DEFAULT_ORDER_PLACER_OPTIONS } from './order-placer.js';
export type { CatalogOrdering, OrderPlacerOptions, PlaceOrderInput } from './order-placer.js';
export type { WorkCaller } from './shared-work.js';
export { MemoryOrderStore } from './order-store.js';
export type { OrderStore } from './order-store.js';
export { orderIdFor } from '@shopping-guide/shared';
