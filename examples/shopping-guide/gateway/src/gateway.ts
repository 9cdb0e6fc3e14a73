import { CatalogService, OrdersService, RecommendationService, SearchService } from '@shopping-guide/shared';
import { type RunningService, type ServiceOptions, startService } from '@switchyard/service';
import { type Backends, createRouter } from './routes.js';

/** Starts the gateway: an HTTP API whose handlers call the gRPC services through Switchyard clients. */
export async function startGateway(overrides: Partial<ServiceOptions> = {}): Promise<RunningService> {
  let backends: Backends | undefined;
  const service = await startService({
    name: 'gateway',
    version: '0.1.0',
    ...overrides,
    // Port and host may be overridden; the handler is always the gateway's router.
    http: { port: Number(process.env.HTTP_PORT ?? 8080), ...overrides.http, handler: createRouter(() => backends) },
  });
  backends = {
    catalog: service.grpcClient(CatalogService, 'catalog', { balancer: 'p2c-ewma' }),
    search: service.grpcClient(SearchService, 'search'),
    recommendation: service.grpcClient(RecommendationService, 'recommendation'),
    orders: service.grpcClient(OrdersService, 'orders'),
  };
  return service;
}
