import { CatalogService, OrdersService, RecommendationService, SearchService } from '@shopping-guide/shared';
import { consoleLogger } from '@switchyard/core';
import { type RunningService, type ServiceOptions, startService } from '@switchyard/service';
import { type Backends, createRouter } from './routes.js';

/** Starts the gateway: an HTTP API whose handlers call the gRPC services through Switchyard clients. */
export async function startGateway(overrides: Partial<ServiceOptions> = {}): Promise<RunningService> {
  let backends: Backends | undefined;
  const logger = overrides.logger ?? consoleLogger({ name: 'gateway' });
  const service = await startService({
    name: 'gateway',
    version: '0.1.0',
    ...overrides,
    logger,
    // Port and host may be overridden; the handler is always the gateway's router.
    // An empty HTTP_PORT (an unset compose interpolation) is the default, not port 0 (a random one).
    http: {
      port: Number(process.env.HTTP_PORT || 8080),
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
    orders: service.grpcClient(OrdersService, 'orders', { balancer: 'maglev' }),
  };
  await service.markReady();
  return service;
}
