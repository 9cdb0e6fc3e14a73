/**
 * orders' entry point. Configuration comes from the environment: the SDK's variables
 * (SWITCHYARD_REGISTRY_URL, SWITCHYARD_ZONE, SWITCHYARD_DRAIN_DELAY_MS, OTEL_*…), GRPC_PORT,
 * SWITCHYARD_VERSION and SWITCHYARD_TRACK (see README.md).
 */
import { runService } from '@switchyard/service';
import { startOrders } from './orders-service.js';

await runService(() => startOrders(), 'orders');
