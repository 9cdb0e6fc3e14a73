/**
 * Shopping-guide shared code: typed service definitions (types generated from protos/ by
 * `pnpm generate`; @switchyard/grpc's `GrpcClient<D>` and `GrpcHandlers<D>` type clients and
 * handlers from them), and the settings every service reads from its environment.
 */
export { CatalogService, OrdersService, RecommendationService, SearchService } from './definitions.js';
export {
  DEFAULT_MARK_READY_BACKOFF,
  type MarkReadyBackoff,
  markReadyUntilDone,
  type ReadyableService,
} from './mark-ready.js';
export { orderIdFor } from './order-id.js';
export { protosDir } from './protos-dir.js';
export { portSetting, type ServiceSettings, serviceSettings } from './service-settings.js';
export { untilAborted } from './until-aborted.js';
export type { Product, Product__Output } from './generated/shop/catalog/v1/Product.js';
export type { Order__Output } from './generated/shop/orders/v1/Order.js';
export type { SearchHit__Output } from './generated/shop/search/v1/SearchHit.js';
