import { CatalogService, markReadyUntilDone, SearchService, serviceSettings } from '@shopping-guide/shared';
import { consoleLogger } from '@switchyard/core';
import { type RunningService, type ServiceOptions, startService } from '@switchyard/service';
import { CatalogIndexer, type CatalogIndexerOptions, DEFAULT_CATALOG_INDEXER_OPTIONS } from './catalog-indexer.js';
import { searchHandlers } from './search-handlers.js';

/** Options for {@link startSearch}: the SDK's service options (name and gRPC services are fixed) plus indexing. */
export interface StartSearchOptions extends Omit<ServiceOptions, 'name' | 'grpc'> {
  /** @default GRPC_PORT, else 50051; the host as the SDK decides */
  grpc?: { port?: number; host?: string };
  /** Refresh interval, retries, ranking tuning. */
  indexer?: Omit<CatalogIndexerOptions, 'logger'>;
}

/**
 * Starts the search service: shop.search.v1.SearchService through `startService`, over an
 * index built from catalog's ListProducts (through a discovered Switchyard client) right after
 * start and refreshed every 30 s. Until the first index exists the instance is registered as not
 * ready (draining, health NOT_SERVING), so callers do not pick it; searches that reach it anyway
 * answer UNAVAILABLE.
 * `stop()` also stops the refreshes.
 */
export async function startSearch(options: StartSearchOptions = {}): Promise<RunningService> {
  const { grpc, indexer: indexerOptions, ...serviceOptions } = options;
  // This package's manifest: its version is the fallback for SWITCHYARD_VERSION.
  const settings = serviceSettings(new URL('../package.json', import.meta.url));
  const logger = serviceOptions.logger ?? consoleLogger({ name: 'search' });
  let indexer: CatalogIndexer | undefined;
  const implementation = searchHandlers(() => indexer?.current());
  const service = await startService({
    name: 'search',
    version: settings.version,
    ...(settings.metadata ? { metadata: settings.metadata } : {}),
    logger,
    grpc: { port: settings.grpcPort, ...grpc, services: [{ definition: SearchService, implementation }] },
    // Registered but not picked (and health NOT_SERVING) until the first index is built.
    ready: false,
    ...serviceOptions,
    // The indexer's refreshes stop with the service, after the caller's own onStop.
    onStop: async () => {
      await serviceOptions.onStop?.();
      indexer?.stop();
    },
  });
  indexer = new CatalogIndexer(service.grpcClient(CatalogService, 'catalog'), { ...indexerOptions, logger });
  indexer.start();
  // A registry blip as the first index lands must not keep search out of rotation for good: marking
  // it ready is retried with the indexer's backoff (an option given as undefined takes its default).
  const backoff = {
    initialMs: indexerOptions?.retryInitialMs ?? DEFAULT_CATALOG_INDEXER_OPTIONS.retryInitialMs,
    maxMs: indexerOptions?.refreshIntervalMs ?? DEFAULT_CATALOG_INDEXER_OPTIONS.refreshIntervalMs,
  };
  void indexer.firstIndex.then(() => markReadyUntilDone(service, logger, backoff));
  return service;
}
