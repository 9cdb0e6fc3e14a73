import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type {
  BatchGetProductsRequest as _shop_catalog_v1_BatchGetProductsRequest,
  BatchGetProductsRequest__Output as _shop_catalog_v1_BatchGetProductsRequest__Output,
} from './shop/catalog/v1/BatchGetProductsRequest.js';
import type {
  BatchGetProductsResponse as _shop_catalog_v1_BatchGetProductsResponse,
  BatchGetProductsResponse__Output as _shop_catalog_v1_BatchGetProductsResponse__Output,
} from './shop/catalog/v1/BatchGetProductsResponse.js';
import type {
  CatalogServiceClient as _shop_catalog_v1_CatalogServiceClient,
  CatalogServiceDefinition as _shop_catalog_v1_CatalogServiceDefinition,
} from './shop/catalog/v1/CatalogService.js';
import type {
  ConfirmStockRequest as _shop_catalog_v1_ConfirmStockRequest,
  ConfirmStockRequest__Output as _shop_catalog_v1_ConfirmStockRequest__Output,
} from './shop/catalog/v1/ConfirmStockRequest.js';
import type {
  ConfirmStockResponse as _shop_catalog_v1_ConfirmStockResponse,
  ConfirmStockResponse__Output as _shop_catalog_v1_ConfirmStockResponse__Output,
} from './shop/catalog/v1/ConfirmStockResponse.js';
import type {
  GetProductRequest as _shop_catalog_v1_GetProductRequest,
  GetProductRequest__Output as _shop_catalog_v1_GetProductRequest__Output,
} from './shop/catalog/v1/GetProductRequest.js';
import type {
  GetProductResponse as _shop_catalog_v1_GetProductResponse,
  GetProductResponse__Output as _shop_catalog_v1_GetProductResponse__Output,
} from './shop/catalog/v1/GetProductResponse.js';
import type {
  ListProductsRequest as _shop_catalog_v1_ListProductsRequest,
  ListProductsRequest__Output as _shop_catalog_v1_ListProductsRequest__Output,
} from './shop/catalog/v1/ListProductsRequest.js';
import type {
  ListProductsResponse as _shop_catalog_v1_ListProductsResponse,
  ListProductsResponse__Output as _shop_catalog_v1_ListProductsResponse__Output,
} from './shop/catalog/v1/ListProductsResponse.js';
import type {
  Product as _shop_catalog_v1_Product,
  Product__Output as _shop_catalog_v1_Product__Output,
} from './shop/catalog/v1/Product.js';
import type {
  ReleaseStockRequest as _shop_catalog_v1_ReleaseStockRequest,
  ReleaseStockRequest__Output as _shop_catalog_v1_ReleaseStockRequest__Output,
} from './shop/catalog/v1/ReleaseStockRequest.js';
import type {
  ReleaseStockResponse as _shop_catalog_v1_ReleaseStockResponse,
  ReleaseStockResponse__Output as _shop_catalog_v1_ReleaseStockResponse__Output,
} from './shop/catalog/v1/ReleaseStockResponse.js';
import type {
  ReserveStockRequest as _shop_catalog_v1_ReserveStockRequest,
  ReserveStockRequest__Output as _shop_catalog_v1_ReserveStockRequest__Output,
} from './shop/catalog/v1/ReserveStockRequest.js';
import type {
  ReserveStockResponse as _shop_catalog_v1_ReserveStockResponse,
  ReserveStockResponse__Output as _shop_catalog_v1_ReserveStockResponse__Output,
} from './shop/catalog/v1/ReserveStockResponse.js';
import type {
  StockLine as _shop_catalog_v1_StockLine,
  StockLine__Output as _shop_catalog_v1_StockLine__Output,
} from './shop/catalog/v1/StockLine.js';
import type {
  RecommendRequest as _shop_recommendation_v1_RecommendRequest,
  RecommendRequest__Output as _shop_recommendation_v1_RecommendRequest__Output,
} from './shop/recommendation/v1/RecommendRequest.js';
import type {
  RecommendResponse as _shop_recommendation_v1_RecommendResponse,
  RecommendResponse__Output as _shop_recommendation_v1_RecommendResponse__Output,
} from './shop/recommendation/v1/RecommendResponse.js';
import type {
  RecommendationServiceClient as _shop_recommendation_v1_RecommendationServiceClient,
  RecommendationServiceDefinition as _shop_recommendation_v1_RecommendationServiceDefinition,
} from './shop/recommendation/v1/RecommendationService.js';
import type {
  RecordViewRequest as _shop_recommendation_v1_RecordViewRequest,
  RecordViewRequest__Output as _shop_recommendation_v1_RecordViewRequest__Output,
} from './shop/recommendation/v1/RecordViewRequest.js';
import type {
  RecordViewResponse as _shop_recommendation_v1_RecordViewResponse,
  RecordViewResponse__Output as _shop_recommendation_v1_RecordViewResponse__Output,
} from './shop/recommendation/v1/RecordViewResponse.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new (...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  shop: {
    catalog: {
      v1: {
        BatchGetProductsRequest: MessageTypeDefinition<
          _shop_catalog_v1_BatchGetProductsRequest,
          _shop_catalog_v1_BatchGetProductsRequest__Output
        >;
        BatchGetProductsResponse: MessageTypeDefinition<
          _shop_catalog_v1_BatchGetProductsResponse,
          _shop_catalog_v1_BatchGetProductsResponse__Output
        >;
        /**
         * Products and stock. The reads have no side effects and the stock operations are idempotent (once
         * per order id), as each method's idempotency_level says: a client retries a call whose request
         * may have reached a server (its connection reset mid-call, an UNAVAILABLE reply) only for those.
         */
        CatalogService: SubtypeConstructor<typeof grpc.Client, _shop_catalog_v1_CatalogServiceClient> & {
          service: _shop_catalog_v1_CatalogServiceDefinition;
        };
        ConfirmStockRequest: MessageTypeDefinition<
          _shop_catalog_v1_ConfirmStockRequest,
          _shop_catalog_v1_ConfirmStockRequest__Output
        >;
        ConfirmStockResponse: MessageTypeDefinition<
          _shop_catalog_v1_ConfirmStockResponse,
          _shop_catalog_v1_ConfirmStockResponse__Output
        >;
        GetProductRequest: MessageTypeDefinition<
          _shop_catalog_v1_GetProductRequest,
          _shop_catalog_v1_GetProductRequest__Output
        >;
        GetProductResponse: MessageTypeDefinition<
          _shop_catalog_v1_GetProductResponse,
          _shop_catalog_v1_GetProductResponse__Output
        >;
        ListProductsRequest: MessageTypeDefinition<
          _shop_catalog_v1_ListProductsRequest,
          _shop_catalog_v1_ListProductsRequest__Output
        >;
        ListProductsResponse: MessageTypeDefinition<
          _shop_catalog_v1_ListProductsResponse,
          _shop_catalog_v1_ListProductsResponse__Output
        >;
        Product: MessageTypeDefinition<_shop_catalog_v1_Product, _shop_catalog_v1_Product__Output>;
        ReleaseStockRequest: MessageTypeDefinition<
          _shop_catalog_v1_ReleaseStockRequest,
          _shop_catalog_v1_ReleaseStockRequest__Output
        >;
        ReleaseStockResponse: MessageTypeDefinition<
          _shop_catalog_v1_ReleaseStockResponse,
          _shop_catalog_v1_ReleaseStockResponse__Output
        >;
        ReserveStockRequest: MessageTypeDefinition<
          _shop_catalog_v1_ReserveStockRequest,
          _shop_catalog_v1_ReserveStockRequest__Output
        >;
        ReserveStockResponse: MessageTypeDefinition<
          _shop_catalog_v1_ReserveStockResponse,
          _shop_catalog_v1_ReserveStockResponse__Output
        >;
        StockLine: MessageTypeDefinition<_shop_catalog_v1_StockLine, _shop_catalog_v1_StockLine__Output>;
      };
    };
    recommendation: {
      v1: {
        RecommendRequest: MessageTypeDefinition<
          _shop_recommendation_v1_RecommendRequest,
          _shop_recommendation_v1_RecommendRequest__Output
        >;
        RecommendResponse: MessageTypeDefinition<
          _shop_recommendation_v1_RecommendResponse,
          _shop_recommendation_v1_RecommendResponse__Output
        >;
        RecommendationService: SubtypeConstructor<
          typeof grpc.Client,
          _shop_recommendation_v1_RecommendationServiceClient
        > & { service: _shop_recommendation_v1_RecommendationServiceDefinition };
        RecordViewRequest: MessageTypeDefinition<
          _shop_recommendation_v1_RecordViewRequest,
          _shop_recommendation_v1_RecordViewRequest__Output
        >;
        RecordViewResponse: MessageTypeDefinition<
          _shop_recommendation_v1_RecordViewResponse,
          _shop_recommendation_v1_RecordViewResponse__Output
        >;
      };
    };
  };
}
