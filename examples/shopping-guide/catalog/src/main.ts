/**
 * catalog's entry point. Configuration comes from the environment: the SDK's variables
 * (SWITCHYARD_REGISTRY_URL, SWITCHYARD_ZONE, SWITCHYARD_DRAIN_DELAY_MS, OTEL_*…), GRPC_PORT,
 * SWITCHYARD_VERSION, SWITCHYARD_TRACK and CATALOG_STOCK_URL (see README.md).
 */
import { runService } from '@switchyard/service';
import { startCatalog } from './catalog-service.js';

await runService(() => startCatalog(), 'catalog');
