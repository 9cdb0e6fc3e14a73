import { loadService } from '@switchyard/grpc';
import type { CatalogServiceDefinition } from './generated/shop/catalog/v1/CatalogService.js';
import type { OrdersServiceDefinition } from './generated/shop/orders/v1/OrdersService.js';
import type { RecommendationServiceDefinition } from './generated/shop/recommendation/v1/RecommendationService.js';
import type { SearchServiceDefinition } from './generated/shop/search/v1/SearchService.js';
import { protosDir } from './protos-dir.js';

const load = <D>(file: string, name: string): D =>
  loadService(file, name, { includeDirs: [protosDir()] }) as unknown as D;

/** shop.catalog.v1.CatalogService: products and stock. */
export const CatalogService = load<CatalogServiceDefinition>(
  'shop/catalog/v1/catalog.proto',
  'shop.catalog.v1.CatalogService',
);
/** shop.recommendation.v1.RecommendationService: suggestions from browsing history. */
export const RecommendationService = load<RecommendationServiceDefinition>(
  'shop/recommendation/v1/recommendation.proto',
  'shop.recommendation.v1.RecommendationService',
);
/** shop.search.v1.SearchService: ranked product search. */
export const SearchService = load<SearchServiceDefinition>(
  'shop/search/v1/search.proto',
  'shop.search.v1.SearchService',
);
/** shop.orders.v1.OrdersService: orders, reserving stock in catalog. */
export const OrdersService = load<OrdersServiceDefinition>(
  'shop/orders/v1/orders.proto',
  'shop.orders.v1.OrdersService',
);
