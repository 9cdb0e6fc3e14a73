import { CatalogService, markReadyUntilDone, RecommendationService, serviceSettings } from '@shopping-guide/shared';
import { assertOneOf, consoleLogger } from '@switchyard/core';
import { type GrpcClient, GrpcStatus, grpcError } from '@switchyard/grpc';
import { type RunningService, type ServiceOptions, startService } from '@switchyard/service';
import { type CatalogReader, ProductCache } from './product-cache.js';
import { STRATEGIES, type Strategy } from './ranking.js';
import { recommendationHandlers } from './recommendation-handlers.js';
import { ViewHistory } from './view-history.js';

/** Options for {@link startRecommendation}: the SDK's service options (name and gRPC services are fixed) plus the model. */
export interface StartRecommendationOptions extends Omit<ServiceOptions, 'name' | 'grpc'> {
  /** @default GRPC_PORT, else 50051; the host as the SDK decides */
  grpc?: { port?: number; host?: string };
  /** The ranking arm. @default RECOMMENDATION_STRATEGY, else 'similar' */
  strategy?: Strategy;
  /** @default a new, empty history */
  history?: ViewHistory;
  /** How long the catalog's product list is reused. @default 10_000 */
  productCacheTtlMs?: number;
}

/**
 * Starts the recommendation service: shop.recommendation.v1.RecommendationService through
 * `startService`, reading products from catalog through a Switchyard client (discovered in the
 * service's registry, deadline inherited from each incoming call).
 *
 * @throws InvalidArgumentError naming RECOMMENDATION_STRATEGY for an unknown arm.
 */
export async function startRecommendation(options: StartRecommendationOptions = {}): Promise<RunningService> {
  const {
    grpc,
    strategy = strategyFromEnv(),
    history = new ViewHistory(),
    productCacheTtlMs,
    ...serviceOptions
  } = options;
  assertOneOf('strategy', strategy, STRATEGIES);
  // This package's manifest: its version is the fallback for SWITCHYARD_VERSION.
  const settings = serviceSettings(new URL('../package.json', import.meta.url));
  const logger = serviceOptions.logger ?? consoleLogger({ name: 'recommendation' });
  let catalog: GrpcClient<typeof CatalogService> | undefined;
  // The client exists once the service has started; a call racing the start is told to retry.
  const ready = (): GrpcClient<typeof CatalogService> => {
    if (!catalog) throw grpcError(GrpcStatus.UNAVAILABLE, 'recommendation is starting');
    return catalog;
  };
  const reader: CatalogReader = {
    listProducts: (request, callOptions) => ready().listProducts(request, callOptions),
    batchGetProducts: (request, callOptions) => ready().batchGetProducts(request, callOptions),
  };
  const products = new ProductCache(reader, productCacheTtlMs === undefined ? {} : { ttlMs: productCacheTtlMs });
  const implementation = recommendationHandlers({ history, products, strategy });
  const service = await startService({
    name: 'recommendation',
    version: settings.version,
    ...(settings.metadata ? { metadata: settings.metadata } : {}),
    logger,
    grpc: { port: settings.grpcPort, ...grpc, services: [{ definition: RecommendationService, implementation }] },
    ...serviceOptions,
    // Out of rotation until its catalog client exists (as the gateway does): registration is
    // visible before startService() returns, and a call in that gap was refused as "starting".
    ready: false,
  });
  catalog = service.grpcClient(CatalogService, 'catalog');
  // A registry blip here used to make the start throw with the service left listening (nothing
  // stopped it); now the instance comes up once the registry takes the update.
  if (serviceOptions.ready !== false) await markReadyUntilDone(service, logger);
  logger.info({ strategy, history: String(history) }, 'recommendation ranking');
  return service;
}

function strategyFromEnv(env: NodeJS.ProcessEnv = process.env): Strategy {
  const value = env.RECOMMENDATION_STRATEGY || 'similar';
  assertOneOf('RECOMMENDATION_STRATEGY', value, STRATEGIES);
  return value;
}
