import {
  CatalogService,
  markReadyUntilDone,
  OrdersService,
  RecommendationService,
  SearchService,
  portSetting,
  serviceSettings,
} from '@shopping-guide/shared';
import { consoleLogger } from '@switchyard/core';
import { GrpcStatus } from '@switchyard/grpc';
import { type RunningService, type ServiceOptions, startService } from '@switchyard/service';
import { type Backends, createRouter } from './routes.js';
import { trackBPercent } from './track.js';

/**
 * Starts the gateway: an HTTP API whose handlers call the gRPC services through Switchyard clients.
 * Resolves ready, unless the registry could not take the instance's `up` then: it is retried in the
 * background with backoff (the instance stays out of rotation, `/readyz` 503, until it succeeds).
 */
export async function startGateway(overrides: Partial<ServiceOptions> = {}): Promise<RunningService> {
  let backends: Backends | undefined;
  const logger = overrides.logger ?? consoleLogger({ name: 'gateway' });
  // Version and track as every other service reads them (SWITCHYARD_VERSION, SWITCHYARD_TRACK).
  const settings = serviceSettings(new URL('../package.json', import.meta.url));
  trackBPercent(process.env); // a bad GATEWAY_TRACK_B_PERCENT stops the start, not every request
  const service = await startService({
    name: 'gateway',
    version: settings.version,
    ...(settings.metadata ? { metadata: settings.metadata } : {}),
    ...overrides,
    logger,
    // Port and host may be overridden; the handler is always the gateway's router.
    http: {
      port: httpPort(process.env.HTTP_PORT),
      ...overrides.http,
      handler: createRouter(() => backends, logger),
    },
    // Registered out of rotation until its clients exist: registration becomes visible before
    // startService() returns (it still awaits a Redis round trip), and a request arriving in that
    // gap found no backends and got 503 'starting' (seen once in the rolling-restart chaos test).
    ready: false,
  });
  backends = {
    catalog: service.grpcClient(CatalogService, 'catalog', { balancer: 'p2c-ewma' }),
    search: service.grpcClient(SearchService, 'search'),
    // A user's view history lives on the replica that recorded it: their views and their
    // recommendations go to the same one (sticky by user id; ~1/N of users move when replicas change).
    recommendation: service.grpcClient(RecommendationService, 'recommendation', { balancer: 'maglev' }),
    // Each order lives on the replica that placed it (in memory): its calls are routed by order id.
    // ABORTED is retried too: orders answers it when another attempt at the same order gave its
    // held stock back before this one confirmed it, and the next attempt with the same key places
    // it (PlaceOrder is IDEMPOTENT, its key required). Passed on, it was a 409 to the shopper, a
    // conflict no REST client retries.
    orders: service.grpcClient(OrdersService, 'orders', {
      balancer: 'maglev',
      retryableStatuses: [GrpcStatus.UNAVAILABLE, GrpcStatus.ABORTED],
    }),
  };
  // A registry blip here used to make the start throw with the service left listening (nothing
  // stopped it); now the instance comes up once the registry takes the update.
  await markReadyUntilDone(service, logger);
  return service;
}

/** HTTP_PORT, else 8080 (see portSetting: decimal digits only, empty is the default). */
export function httpPort(raw: string | undefined): number {
  return portSetting('HTTP_PORT', raw, 8080);
}
