import { CatalogService, markReadyUntilDone, OrdersService, serviceSettings } from '@shopping-guide/shared';
import { consoleLogger } from '@switchyard/core';
import { type GrpcClient, GrpcStatus, grpcError } from '@switchyard/grpc';
import { type RunningService, type ServiceOptions, startService } from '@switchyard/service';
import { type CatalogOrdering, OrderPlacer } from './order-placer.js';
import { MemoryOrderStore, type OrderStore } from './order-store.js';
import { ordersHandlers } from './orders-handlers.js';

/** Options for {@link startOrders}: the SDK's service options (name and gRPC services are fixed) plus the store. */
export interface StartOrdersOptions extends Omit<ServiceOptions, 'name' | 'grpc'> {
  /** @default GRPC_PORT, else 50051; the host as the SDK decides */
  grpc?: { port?: number; host?: string };
  /** @default a MemoryOrderStore (this replica's memory) */
  store?: OrderStore;
}

/**
 * Starts the orders service: shop.orders.v1.OrdersService through `startService`, pricing and
 * reserving stock in catalog through a discovered Switchyard client (each call inherits the
 * incoming call's deadline).
 */
export async function startOrders(options: StartOrdersOptions = {}): Promise<RunningService> {
  const { grpc, store = new MemoryOrderStore(), ...serviceOptions } = options;
  // This package's manifest: its version is the fallback for SWITCHYARD_VERSION.
  const settings = serviceSettings(new URL('../package.json', import.meta.url));
  const logger = serviceOptions.logger ?? consoleLogger({ name: 'orders' });
  let catalog: GrpcClient<typeof CatalogService> | undefined;
  // The client exists once the service has started; a call racing the start is told to retry.
  const ready = (): GrpcClient<typeof CatalogService> => {
    if (!catalog) throw grpcError(GrpcStatus.UNAVAILABLE, 'orders is starting');
    return catalog;
  };
  const ordering: CatalogOrdering = {
    batchGetProducts: (request, callOptions) => ready().batchGetProducts(request, callOptions),
    reserveStock: (request, callOptions) => ready().reserveStock(request, callOptions),
    confirmStock: (request, callOptions) => ready().confirmStock(request, callOptions),
    releaseStock: (request, callOptions) => ready().releaseStock(request, callOptions),
  };
  const implementation = ordersHandlers({ placer: new OrderPlacer(ordering, store, { logger }), store });
  const service = await startService({
    name: 'orders',
    version: settings.version,
    ...(settings.metadata ? { metadata: settings.metadata } : {}),
    logger,
    grpc: { port: settings.grpcPort, ...grpc, services: [{ definition: OrdersService, implementation }] },
    ...serviceOptions,
    // Out of rotation until its catalog client exists (as the gateway does): registration is
    // visible before startService() returns, and a call in that gap was refused as "starting".
    ready: false,
  });
  catalog = service.grpcClient(CatalogService, 'catalog');
  // A registry blip here used to make the start throw with the service left listening (nothing
  // stopped it); now the instance comes up once the registry takes the update.
  if (serviceOptions.ready !== false) await markReadyUntilDone(service, logger);
  return service;
}
