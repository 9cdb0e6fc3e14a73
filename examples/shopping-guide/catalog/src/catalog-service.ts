import { CatalogService, type Product__Output, serviceSettings } from '@shopping-guide/shared';
import { consoleLogger } from '@switchyard/core';
import { type RunningService, type ServiceOptions, startService } from '@switchyard/service';
import { catalogHandlers } from './catalog-handlers.js';
import { ProductCatalog } from './product-catalog.js';
import { PRODUCTS } from './products.js';
import { stockStoreFromEnv } from './stock/stock-store-from-env.js';
import type { StockStore } from './stock/stock-store.js';

/** Options for {@link startCatalog}: the SDK's service options (name and gRPC services are fixed) plus the data. */
export interface StartCatalogOptions extends Omit<ServiceOptions, 'name' | 'grpc'> {
  /** @default GRPC_PORT, else 50051; the host as the SDK decides */
  grpc?: { port?: number; host?: string };
  /** Where stock lives. @default stockStoreFromEnv() (Redis beside the registry, else this process's memory) */
  stock?: StockStore;
  /** @default PRODUCTS, the 42-product example data set */
  products?: readonly Product__Output[];
}

/**
 * Starts the catalog service: seeds the shared stock (once for all replicas), then serves
 * shop.catalog.v1.CatalogService through `startService`. `stop()` also closes a stock store it
 * opened itself.
 *
 * @example
 * ```ts
 * const catalog = await startCatalog({ registry: 'memory://shop', grpc: { port: 0 } });
 * ```
 */
export async function startCatalog(options: StartCatalogOptions = {}): Promise<RunningService> {
  const { stock: givenStock, products = PRODUCTS, grpc, ...serviceOptions } = options;
  // This package's manifest: its version is the fallback for SWITCHYARD_VERSION.
  const settings = serviceSettings(new URL('../package.json', import.meta.url));
  const logger = serviceOptions.logger ?? consoleLogger({ name: 'catalog' });
  const stock = givenStock ?? stockStoreFromEnv(process.env, logger);
  const closeStock = async (): Promise<void> => {
    if (!givenStock) await stock.close();
  };
  try {
    const seeded = await stock.seed(new Map(products.map((product) => [product.id, product.stock])));
    logger.info({ stock: String(stock) }, seeded ? 'stock seeded' : 'stock already seeded (by another replica)');
    const implementation = catalogHandlers({ catalog: new ProductCatalog(products), stock, logger });
    const service = await startService({
      name: 'catalog',
      version: settings.version,
      ...(settings.metadata ? { metadata: settings.metadata } : {}),
      logger,
      grpc: { port: settings.grpcPort, ...grpc, services: [{ definition: CatalogService, implementation }] },
      ...serviceOptions,
      // The stock store is ours to release, after the caller's own onStop.
      onStop: async () => {
        await serviceOptions.onStop?.();
        await closeStock();
      },
    });
    return service;
  } catch (error) {
    await closeStock();
    throw error;
  }
}
