// Original file: ../../../protos/shop/catalog/v1/catalog.proto

import type * as grpc from '@grpc/grpc-js';
import type { MethodDefinition } from '@grpc/proto-loader';
import type {
  BatchGetProductsRequest as _shop_catalog_v1_BatchGetProductsRequest,
  BatchGetProductsRequest__Output as _shop_catalog_v1_BatchGetProductsRequest__Output,
} from '../../../shop/catalog/v1/BatchGetProductsRequest.js';
import type {
  BatchGetProductsResponse as _shop_catalog_v1_BatchGetProductsResponse,
  BatchGetProductsResponse__Output as _shop_catalog_v1_BatchGetProductsResponse__Output,
} from '../../../shop/catalog/v1/BatchGetProductsResponse.js';
import type {
  ConfirmStockRequest as _shop_catalog_v1_ConfirmStockRequest,
  ConfirmStockRequest__Output as _shop_catalog_v1_ConfirmStockRequest__Output,
} from '../../../shop/catalog/v1/ConfirmStockRequest.js';
import type {
  ConfirmStockResponse as _shop_catalog_v1_ConfirmStockResponse,
  ConfirmStockResponse__Output as _shop_catalog_v1_ConfirmStockResponse__Output,
} from '../../../shop/catalog/v1/ConfirmStockResponse.js';
import type {
  GetProductRequest as _shop_catalog_v1_GetProductRequest,
  GetProductRequest__Output as _shop_catalog_v1_GetProductRequest__Output,
} from '../../../shop/catalog/v1/GetProductRequest.js';
import type {
  GetProductResponse as _shop_catalog_v1_GetProductResponse,
  GetProductResponse__Output as _shop_catalog_v1_GetProductResponse__Output,
} from '../../../shop/catalog/v1/GetProductResponse.js';
import type {
  ListProductsRequest as _shop_catalog_v1_ListProductsRequest,
  ListProductsRequest__Output as _shop_catalog_v1_ListProductsRequest__Output,
} from '../../../shop/catalog/v1/ListProductsRequest.js';
import type {
  ListProductsResponse as _shop_catalog_v1_ListProductsResponse,
  ListProductsResponse__Output as _shop_catalog_v1_ListProductsResponse__Output,
} from '../../../shop/catalog/v1/ListProductsResponse.js';
import type {
  ReleaseStockRequest as _shop_catalog_v1_ReleaseStockRequest,
  ReleaseStockRequest__Output as _shop_catalog_v1_ReleaseStockRequest__Output,
} from '../../../shop/catalog/v1/ReleaseStockRequest.js';
import type {
  ReleaseStockResponse as _shop_catalog_v1_ReleaseStockResponse,
  ReleaseStockResponse__Output as _shop_catalog_v1_ReleaseStockResponse__Output,
} from '../../../shop/catalog/v1/ReleaseStockResponse.js';
import type {
  ReserveStockRequest as _shop_catalog_v1_ReserveStockRequest,
  ReserveStockRequest__Output as _shop_catalog_v1_ReserveStockRequest__Output,
} from '../../../shop/catalog/v1/ReserveStockRequest.js';
import type {
  ReserveStockResponse as _shop_catalog_v1_ReserveStockResponse,
  ReserveStockResponse__Output as _shop_catalog_v1_ReserveStockResponse__Output,
} from '../../../shop/catalog/v1/ReserveStockResponse.js';

/**
 * Products and stock. The reads have no side effects and the stock operations are idempotent (once
 * per order id), as each method's idempotency_level says: a client retries a call whose request
 * may have reached a server (its connection reset mid-call, an UNAVAILABLE reply) only for those.
 */
export interface CatalogServiceClient extends grpc.Client {
  BatchGetProducts(
    argument: _shop_catalog_v1_BatchGetProductsRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_shop_catalog_v1_BatchGetProductsResponse__Output>,
  ): grpc.ClientUnaryCall;
  BatchGetProducts(
    argument: _shop_catalog_v1_BatchGetProductsRequest,
    metadata: grpc.Metadata,
    callback: grpc.requestCallback<_shop_catalog_v1_BatchGetProductsResponse__Output>,
  ): grpc.ClientUnaryCall;
  BatchGetProducts(
    argument: _shop_catalog_v1_BatchGetProductsRequest,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_shop_catalog_v1_BatchGetProductsResponse__Output>,
  ): grpc.ClientUnaryCall;
  BatchGetProducts(
    argument: _shop_catalog_v1_BatchGetProductsRequest,
    callback: grpc.requestCallback<_shop_catalog_v1_BatchGetProductsResponse__Output>,
  ): grpc.ClientUnaryCall;
  batchGetProducts(
    argument: _shop_catalog_v1_BatchGetProductsRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_shop_catalog_v1_BatchGetProductsResponse__Output>,
  ): grpc.ClientUnaryCall;
  batchGetProducts(
    argument: _shop_catalog_v1_BatchGetProductsRequest,
    metadata: grpc.Metadata,
    callback: grpc.requestCallback<_shop_catalog_v1_BatchGetProductsResponse__Output>,
  ): grpc.ClientUnaryCall;
  batchGetProducts(
    argument: _shop_catalog_v1_BatchGetProductsRequest,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_shop_catalog_v1_BatchGetProductsResponse__Output>,
  ): grpc.ClientUnaryCall;
  batchGetProducts(
    argument: _shop_catalog_v1_BatchGetProductsRequest,
    callback: grpc.requestCallback<_shop_catalog_v1_BatchGetProductsResponse__Output>,
  ): grpc.ClientUnaryCall;

  ConfirmStock(
    argument: _shop_catalog_v1_ConfirmStockRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_shop_catalog_v1_ConfirmStockResponse__Output>,
  ): grpc.ClientUnaryCall;
  ConfirmStock(
    argument: _shop_catalog_v1_ConfirmStockRequest,
    metadata: grpc.Metadata,
    callback: grpc.requestCallback<_shop_catalog_v1_ConfirmStockResponse__Output>,
  ): grpc.ClientUnaryCall;
  ConfirmStock(
    argument: _shop_catalog_v1_ConfirmStockRequest,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_shop_catalog_v1_ConfirmStockResponse__Output>,
  ): grpc.ClientUnaryCall;
  ConfirmStock(
    argument: _shop_catalog_v1_ConfirmStockRequest,
    callback: grpc.requestCallback<_shop_catalog_v1_ConfirmStockResponse__Output>,
  ): grpc.ClientUnaryCall;
  confirmStock(
    argument: _shop_catalog_v1_ConfirmStockRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_shop_catalog_v1_ConfirmStockResponse__Output>,
  ): grpc.ClientUnaryCall;
  confirmStock(
    argument: _shop_catalog_v1_ConfirmStockRequest,
    metadata: grpc.Metadata,
    callback: grpc.requestCallback<_shop_catalog_v1_ConfirmStockResponse__Output>,
  ): grpc.ClientUnaryCall;
  confirmStock(
    argument: _shop_catalog_v1_ConfirmStockRequest,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_shop_catalog_v1_ConfirmStockResponse__Output>,
  ): grpc.ClientUnaryCall;
  confirmStock(
    argument: _shop_catalog_v1_ConfirmStockRequest,
    callback: grpc.requestCallback<_shop_catalog_v1_ConfirmStockResponse__Output>,
  ): grpc.ClientUnaryCall;

  GetProduct(
    argument: _shop_catalog_v1_GetProductRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_shop_catalog_v1_GetProductResponse__Output>,
  ): grpc.ClientUnaryCall;
  GetProduct(
    argument: _shop_catalog_v1_GetProductRequest,
    metadata: grpc.Metadata,
    callback: grpc.requestCallback<_shop_catalog_v1_GetProductResponse__Output>,
  ): grpc.ClientUnaryCall;
  GetProduct(
    argument: _shop_catalog_v1_GetProductRequest,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_shop_catalog_v1_GetProductResponse__Output>,
  ): grpc.ClientUnaryCall;
  GetProduct(
    argument: _shop_catalog_v1_GetProductRequest,
    callback: grpc.requestCallback<_shop_catalog_v1_GetProductResponse__Output>,
  ): grpc.ClientUnaryCall;
  getProduct(
    argument: _shop_catalog_v1_GetProductRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_shop_catalog_v1_GetProductResponse__Output>,
  ): grpc.ClientUnaryCall;
  getProduct(
    argument: _shop_catalog_v1_GetProductRequest,
    metadata: grpc.Metadata,
    callback: grpc.requestCallback<_shop_catalog_v1_GetProductResponse__Output>,
  ): grpc.ClientUnaryCall;
  getProduct(
    argument: _shop_catalog_v1_GetProductRequest,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_shop_catalog_v1_GetProductResponse__Output>,
  ): grpc.ClientUnaryCall;
  getProduct(
    argument: _shop_catalog_v1_GetProductRequest,
    callback: grpc.requestCallback<_shop_catalog_v1_GetProductResponse__Output>,
  ): grpc.ClientUnaryCall;

  ListProducts(
    argument: _shop_catalog_v1_ListProductsRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_shop_catalog_v1_ListProductsResponse__Output>,
  ): grpc.ClientUnaryCall;
  ListProducts(
    argument: _shop_catalog_v1_ListProductsRequest,
    metadata: grpc.Metadata,
    callback: grpc.requestCallback<_shop_catalog_v1_ListProductsResponse__Output>,
  ): grpc.ClientUnaryCall;
  ListProducts(
    argument: _shop_catalog_v1_ListProductsRequest,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_shop_catalog_v1_ListProductsResponse__Output>,
  ): grpc.ClientUnaryCall;
  ListProducts(
    argument: _shop_catalog_v1_ListProductsRequest,
    callback: grpc.requestCallback<_shop_catalog_v1_ListProductsResponse__Output>,
  ): grpc.ClientUnaryCall;
  listProducts(
    argument: _shop_catalog_v1_ListProductsRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_shop_catalog_v1_ListProductsResponse__Output>,
  ): grpc.ClientUnaryCall;
  listProducts(
    argument: _shop_catalog_v1_ListProductsRequest,
    metadata: grpc.Metadata,
    callback: grpc.requestCallback<_shop_catalog_v1_ListProductsResponse__Output>,
  ): grpc.ClientUnaryCall;
  listProducts(
    argument: _shop_catalog_v1_ListProductsRequest,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_shop_catalog_v1_ListProductsResponse__Output>,
  ): grpc.ClientUnaryCall;
  listProducts(
    argument: _shop_catalog_v1_ListProductsRequest,
    callback: grpc.requestCallback<_shop_catalog_v1_ListProductsResponse__Output>,
  ): grpc.ClientUnaryCall;

  ReleaseStock(
    argument: _shop_catalog_v1_ReleaseStockRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_shop_catalog_v1_ReleaseStockResponse__Output>,
  ): grpc.ClientUnaryCall;
  ReleaseStock(
    argument: _shop_catalog_v1_ReleaseStockRequest,
    metadata: grpc.Metadata,
    callback: grpc.requestCallback<_shop_catalog_v1_ReleaseStockResponse__Output>,
  ): grpc.ClientUnaryCall;
  ReleaseStock(
    argument: _shop_catalog_v1_ReleaseStockRequest,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_shop_catalog_v1_ReleaseStockResponse__Output>,
  ): grpc.ClientUnaryCall;
  ReleaseStock(
    argument: _shop_catalog_v1_ReleaseStockRequest,
    callback: grpc.requestCallback<_shop_catalog_v1_ReleaseStockResponse__Output>,
  ): grpc.ClientUnaryCall;
  releaseStock(
    argument: _shop_catalog_v1_ReleaseStockRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_shop_catalog_v1_ReleaseStockResponse__Output>,
  ): grpc.ClientUnaryCall;
  releaseStock(
    argument: _shop_catalog_v1_ReleaseStockRequest,
    metadata: grpc.Metadata,
    callback: grpc.requestCallback<_shop_catalog_v1_ReleaseStockResponse__Output>,
  ): grpc.ClientUnaryCall;
  releaseStock(
    argument: _shop_catalog_v1_ReleaseStockRequest,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_shop_catalog_v1_ReleaseStockResponse__Output>,
  ): grpc.ClientUnaryCall;
  releaseStock(
    argument: _shop_catalog_v1_ReleaseStockRequest,
    callback: grpc.requestCallback<_shop_catalog_v1_ReleaseStockResponse__Output>,
  ): grpc.ClientUnaryCall;

  /**
   * Once per order id: a retry gets the first call's answer.
   */
  ReserveStock(
    argument: _shop_catalog_v1_ReserveStockRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_shop_catalog_v1_ReserveStockResponse__Output>,
  ): grpc.ClientUnaryCall;
  ReserveStock(
    argument: _shop_catalog_v1_ReserveStockRequest,
    metadata: grpc.Metadata,
    callback: grpc.requestCallback<_shop_catalog_v1_ReserveStockResponse__Output>,
  ): grpc.ClientUnaryCall;
  ReserveStock(
    argument: _shop_catalog_v1_ReserveStockRequest,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_shop_catalog_v1_ReserveStockResponse__Output>,
  ): grpc.ClientUnaryCall;
  ReserveStock(
    argument: _shop_catalog_v1_ReserveStockRequest,
    callback: grpc.requestCallback<_shop_catalog_v1_ReserveStockResponse__Output>,
  ): grpc.ClientUnaryCall;
  /**
   * Once per order id: a retry gets the first call's answer.
   */
  reserveStock(
    argument: _shop_catalog_v1_ReserveStockRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_shop_catalog_v1_ReserveStockResponse__Output>,
  ): grpc.ClientUnaryCall;
  reserveStock(
    argument: _shop_catalog_v1_ReserveStockRequest,
    metadata: grpc.Metadata,
    callback: grpc.requestCallback<_shop_catalog_v1_ReserveStockResponse__Output>,
  ): grpc.ClientUnaryCall;
  reserveStock(
    argument: _shop_catalog_v1_ReserveStockRequest,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_shop_catalog_v1_ReserveStockResponse__Output>,
  ): grpc.ClientUnaryCall;
  reserveStock(
    argument: _shop_catalog_v1_ReserveStockRequest,
    callback: grpc.requestCallback<_shop_catalog_v1_ReserveStockResponse__Output>,
  ): grpc.ClientUnaryCall;
}

/**
 * Products and stock. The reads have no side effects and the stock operations are idempotent (once
 * per order id), as each method's idempotency_level says: a client retries a call whose request
 * may have reached a server (its connection reset mid-call, an UNAVAILABLE reply) only for those.
 */
export interface CatalogServiceHandlers extends grpc.UntypedServiceImplementation {
  BatchGetProducts: grpc.handleUnaryCall<
    _shop_catalog_v1_BatchGetProductsRequest__Output,
    _shop_catalog_v1_BatchGetProductsResponse
  >;

  ConfirmStock: grpc.handleUnaryCall<
    _shop_catalog_v1_ConfirmStockRequest__Output,
    _shop_catalog_v1_ConfirmStockResponse
  >;

  GetProduct: grpc.handleUnaryCall<_shop_catalog_v1_GetProductRequest__Output, _shop_catalog_v1_GetProductResponse>;

  ListProducts: grpc.handleUnaryCall<
    _shop_catalog_v1_ListProductsRequest__Output,
    _shop_catalog_v1_ListProductsResponse
  >;

  ReleaseStock: grpc.handleUnaryCall<
    _shop_catalog_v1_ReleaseStockRequest__Output,
    _shop_catalog_v1_ReleaseStockResponse
  >;

  /**
   * Once per order id: a retry gets the first call's answer.
   */
  ReserveStock: grpc.handleUnaryCall<
    _shop_catalog_v1_ReserveStockRequest__Output,
    _shop_catalog_v1_ReserveStockResponse
  >;
}

export interface CatalogServiceDefinition extends grpc.ServiceDefinition {
  BatchGetProducts: MethodDefinition<
    _shop_catalog_v1_BatchGetProductsRequest,
    _shop_catalog_v1_BatchGetProductsResponse,
    _shop_catalog_v1_BatchGetProductsRequest__Output,
    _shop_catalog_v1_BatchGetProductsResponse__Output
  >;
  ConfirmStock: MethodDefinition<
    _shop_catalog_v1_ConfirmStockRequest,
    _shop_catalog_v1_ConfirmStockResponse,
    _shop_catalog_v1_ConfirmStockRequest__Output,
    _shop_catalog_v1_ConfirmStockResponse__Output
  >;
  GetProduct: MethodDefinition<
    _shop_catalog_v1_GetProductRequest,
    _shop_catalog_v1_GetProductResponse,
    _shop_catalog_v1_GetProductRequest__Output,
    _shop_catalog_v1_GetProductResponse__Output
  >;
  ListProducts: MethodDefinition<
    _shop_catalog_v1_ListProductsRequest,
    _shop_catalog_v1_ListProductsResponse,
    _shop_catalog_v1_ListProductsRequest__Output,
    _shop_catalog_v1_ListProductsResponse__Output
  >;
  ReleaseStock: MethodDefinition<
    _shop_catalog_v1_ReleaseStockRequest,
    _shop_catalog_v1_ReleaseStockResponse,
    _shop_catalog_v1_ReleaseStockRequest__Output,
    _shop_catalog_v1_ReleaseStockResponse__Output
  >;
  ReserveStock: MethodDefinition<
    _shop_catalog_v1_ReserveStockRequest,
    _shop_catalog_v1_ReserveStockResponse,
    _shop_catalog_v1_ReserveStockRequest__Output,
    _shop_catalog_v1_ReserveStockResponse__Output
  >;
}
