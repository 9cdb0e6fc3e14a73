import { CatalogService, SearchService, serviceSettings } from '@shopping-guide/shared';
import { consoleLogger, type Logger } from '@switchyard/core';
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
  // The indexer's backoff (an option given as undefined takes its default, not NaN).
  const retry = {
    retryInitialMs: indexerOptions?.retryInitialMs ?? DEFAULT_CATALOG_INDEXER_OPTIONS.retryInitialMs,
    refreshIntervalMs: indexerOptions?.refreshIntervalMs ?? DEFAULT_CATALOG_INDEXER_OPTIONS.refreshIntervalMs,
  };
  void indexer.firstIndex.then(() => markReadyUntilDone(service, logger, retry));
  return service;
}

/**
 * markReady() rejects when the registry cannot take the update (Redis restarting as the first
 * index gets built), and leaves the instance NOT_SERVING: nothing else asks again, so a blip at
 * warm-up kept search out of rotation (and its readiness probe failing) for good. Retried with
 * backoff until it succeeds; once stop() has begun, markReady() resolves at once.
 */
async function markReadyUntilDone(
  service: RunningService,
  logger: Logger,
  backoff: { retryInitialMs: number; refreshIntervalMs: number },
): Promise<void> {
  for (let failures = 0; ; failures++) {
    try {
      await service.markReady();
      return;
    } catch (error) {
      const retryInMs = Math.min(backoff.retryInitialMs * 2 ** failures, backoff.refreshIntervalMs);
      if (failures === 0) logger.warn({ err: error, retryInMs }, 'could not mark search ready; retrying');
      await new Promise((resolve) => setTimeout(resolve, retryInMs).unref());
    }
  }
}
