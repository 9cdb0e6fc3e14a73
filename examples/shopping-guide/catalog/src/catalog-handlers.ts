import type { CatalogService, Product__Output } from '@shopping-guide/shared';
import { describeValue, InvalidArgumentError, type Logger, SwitchyardError, silentLogger } from '@switchyard/core';
import { type GrpcHandlers, GrpcStatus, grpcError } from '@switchyard/grpc';
import type { ProductCatalog } from './product-catalog.js';
import { ReservationConflictError, type StockStore } from './stock/stock-store.js';

/** Request limits of the catalog API. */
export const CATALOG_LIMITS = Object.freeze({ batchIds: 1_000, orderIdLength: 128, lines: 100, quantity: 10_000 });

/** What the catalog handlers work on. */
export interface CatalogHandlerOptions {
  catalog: ProductCatalog;
  stock: StockStore;
  /** @default silentLogger */
  logger?: Logger;
}

/**
 * The shop.catalog.v1.CatalogService handlers. Products come from the (static) catalog, stock
 * levels from the shared store; a store failure answers UNAVAILABLE, which clients retry, and a
 * store that keeps as many reservations as it may (the memory store's bound) RESOURCE_EXHAUSTED.
 */
export function catalogHandlers(options: CatalogHandlerOptions): GrpcHandlers<typeof CatalogService, never> {
  const { catalog, stock, logger = silentLogger } = options;

  const fromStore = async <T>(operation: string, call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (error) {
      if (error instanceof ReservationConflictError) throw grpcError(GrpcStatus.FAILED_PRECONDITION, error.message);
      // Not retryable elsewhere (every replica shares the store): said as it is, not as UNAVAILABLE.
      if (SwitchyardError.isInstance(error) && error.code === 'RESOURCE_EXHAUSTED') {
        throw grpcError(GrpcStatus.RESOURCE_EXHAUSTED, error.message);
      }
      // An unreachable store is logged once per outage by the store; anything else here.
      if (!(SwitchyardError.isInstance(error) && error.code === 'UNAVAILABLE')) {
        logger.warn({ err: error, operation }, 'stock store call failed');
      }
      throw grpcError(GrpcStatus.UNAVAILABLE, `stock store unavailable (${operation})`);
    }
  };

  const withStock = async (products: Product__Output[]): Promise<Product__Output[]> => {
    const levels = await fromStore('levels', () => stock.levels(products.map((product) => product.id)));
    return products.map((product) => ({ ...product, stock: levels.get(product.id) ?? 0 }));
  };

  return {
    async getProduct({ id }) {
      if (id === '') throw new InvalidArgumentError('id', 'must not be empty');
      const product = catalog.get(id);
      // describeValue: an id of kilobytes (a URL's path) was echoed whole into the shopper's 404.
      if (!product) throw grpcError(GrpcStatus.NOT_FOUND, `product ${describeValue(id)} not found`);
      const [withLevel] = await withStock([product]);
      return { product: withLevel };
    },

    async listProducts(request) {
      const page = catalog.list(request);
      return { products: await withStock(page.products), nextPageToken: page.nextPageToken };
    },

    async batchGetProducts({ ids }) {
      if (ids.length > CATALOG_LIMITS.batchIds) {
        throw new InvalidArgumentError('ids', `must hold at most ${CATALOG_LIMITS.batchIds} ids, got ${ids.length}`);
      }
      return { products: await withStock(catalog.batchGet(ids)) };
    },

    async reserveStock({ orderId, lines, hold }) {
      checkOrderId(orderId);
      if (lines.length === 0 || lines.length > CATALOG_LIMITS.lines) {
        throw new InvalidArgumentError('lines', `must hold 1 to ${CATALOG_LIMITS.lines} lines, got ${lines.length}`);
      }
      lines.forEach((line, index) => {
        if (!catalog.has(line.productId)) {
          throw new InvalidArgumentError(
            `lines[${index}].product_id`,
            `unknown product ${JSON.stringify(line.productId)}`,
          );
        }
        if (line.quantity < 1 || line.quantity > CATALOG_LIMITS.quantity) {
          throw new InvalidArgumentError(
            `lines[${index}].quantity`,
            `must be from 1 to ${CATALOG_LIMITS.quantity}, got ${line.quantity}`,
          );
        }
      });
      const reservation = await fromStore('reserve', () => stock.reserve(orderId, lines, { hold }));
      return reservation.reserved ? { reserved: true, shortProductId: '' } : reservation;
    },

    async confirmStock({ orderId }) {
      checkOrderId(orderId);
      return { confirmed: await fromStore('confirm', () => stock.confirm(orderId)) };
    },

    // Saga compensation: orders releases what it may have reserved for an order it could not place.
    async releaseStock({ orderId }) {
      checkOrderId(orderId);
      const outcome = await fromStore('release', () => stock.release(orderId));
      return { released: outcome === 'released', confirmed: outcome === 'confirmed' };
    },
  };
}

function checkOrderId(orderId: string): void {
  if (orderId === '' || orderId.length > CATALOG_LIMITS.orderIdLength) {
    throw new InvalidArgumentError('order_id', `must be 1 to ${CATALOG_LIMITS.orderIdLength} characters`);
  }
}
