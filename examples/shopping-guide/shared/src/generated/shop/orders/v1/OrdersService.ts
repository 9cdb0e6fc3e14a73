// Original file: ../../../protos/shop/orders/v1/orders.proto

import type * as grpc from '@grpc/grpc-js';
import type { MethodDefinition } from '@grpc/proto-loader';
import type {
  GetOrderRequest as _shop_orders_v1_GetOrderRequest,
  GetOrderRequest__Output as _shop_orders_v1_GetOrderRequest__Output,
} from '../../../shop/orders/v1/GetOrderRequest.js';
import type {
  GetOrderResponse as _shop_orders_v1_GetOrderResponse,
  GetOrderResponse__Output as _shop_orders_v1_GetOrderResponse__Output,
} from '../../../shop/orders/v1/GetOrderResponse.js';
import type {
  PlaceOrderRequest as _shop_orders_v1_PlaceOrderRequest,
  PlaceOrderRequest__Output as _shop_orders_v1_PlaceOrderRequest__Output,
} from '../../../shop/orders/v1/PlaceOrderRequest.js';
import type {
  PlaceOrderResponse as _shop_orders_v1_PlaceOrderResponse,
  PlaceOrderResponse__Output as _shop_orders_v1_PlaceOrderResponse__Output,
} from '../../../shop/orders/v1/PlaceOrderResponse.js';

export interface OrdersServiceClient extends grpc.Client {
  GetOrder(
    argument: _shop_orders_v1_GetOrderRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_shop_orders_v1_GetOrderResponse__Output>,
  ): grpc.ClientUnaryCall;
  GetOrder(
    argument: _shop_orders_v1_GetOrderRequest,
    metadata: grpc.Metadata,
    callback: grpc.requestCallback<_shop_orders_v1_GetOrderResponse__Output>,
  ): grpc.ClientUnaryCall;
  GetOrder(
    argument: _shop_orders_v1_GetOrderRequest,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_shop_orders_v1_GetOrderResponse__Output>,
  ): grpc.ClientUnaryCall;
  GetOrder(
    argument: _shop_orders_v1_GetOrderRequest,
    callback: grpc.requestCallback<_shop_orders_v1_GetOrderResponse__Output>,
  ): grpc.ClientUnaryCall;
  getOrder(
    argument: _shop_orders_v1_GetOrderRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_shop_orders_v1_GetOrderResponse__Output>,
  ): grpc.ClientUnaryCall;
  getOrder(
    argument: _shop_orders_v1_GetOrderRequest,
    metadata: grpc.Metadata,
    callback: grpc.requestCallback<_shop_orders_v1_GetOrderResponse__Output>,
  ): grpc.ClientUnaryCall;
  getOrder(
    argument: _shop_orders_v1_GetOrderRequest,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_shop_orders_v1_GetOrderResponse__Output>,
  ): grpc.ClientUnaryCall;
  getOrder(
    argument: _shop_orders_v1_GetOrderRequest,
    callback: grpc.requestCallback<_shop_orders_v1_GetOrderResponse__Output>,
  ): grpc.ClientUnaryCall;

  /**
   * Idempotent: every request carries its idempotency_key (one without is refused), and the same
   * key places one order, so any client may retry it even after a failure that may have run (a
   * connection reset mid-call), with no per-call say-so.
   */
  PlaceOrder(
    argument: _shop_orders_v1_PlaceOrderRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_shop_orders_v1_PlaceOrderResponse__Output>,
  ): grpc.ClientUnaryCall;
  PlaceOrder(
    argument: _shop_orders_v1_PlaceOrderRequest,
    metadata: grpc.Metadata,
    callback: grpc.requestCallback<_shop_orders_v1_PlaceOrderResponse__Output>,
  ): grpc.ClientUnaryCall;
  PlaceOrder(
    argument: _shop_orders_v1_PlaceOrderRequest,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_shop_orders_v1_PlaceOrderResponse__Output>,
  ): grpc.ClientUnaryCall;
  PlaceOrder(
    argument: _shop_orders_v1_PlaceOrderRequest,
    callback: grpc.requestCallback<_shop_orders_v1_PlaceOrderResponse__Output>,
  ): grpc.ClientUnaryCall;
  /**
   * Idempotent: every request carries its idempotency_key (one without is refused), and the same
   * key places one order, so any client may retry it even after a failure that may have run (a
   * connection reset mid-call), with no per-call say-so.
   */
  placeOrder(
    argument: _shop_orders_v1_PlaceOrderRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_shop_orders_v1_PlaceOrderResponse__Output>,
  ): grpc.ClientUnaryCall;
  placeOrder(
    argument: _shop_orders_v1_PlaceOrderRequest,
    metadata: grpc.Metadata,
    callback: grpc.requestCallback<_shop_orders_v1_PlaceOrderResponse__Output>,
  ): grpc.ClientUnaryCall;
  placeOrder(
    argument: _shop_orders_v1_PlaceOrderRequest,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_shop_orders_v1_PlaceOrderResponse__Output>,
  ): grpc.ClientUnaryCall;
  placeOrder(
    argument: _shop_orders_v1_PlaceOrderRequest,
    callback: grpc.requestCallback<_shop_orders_v1_PlaceOrderResponse__Output>,
  ): grpc.ClientUnaryCall;
}

export interface OrdersServiceHandlers extends grpc.UntypedServiceImplementation {
  GetOrder: grpc.handleUnaryCall<_shop_orders_v1_GetOrderRequest__Output, _shop_orders_v1_GetOrderResponse>;

  /**
   * Idempotent: every request carries its idempotency_key (one without is refused), and the same
   * key places one order, so any client may retry it even after a failure that may have run (a
   * connection reset mid-call), with no per-call say-so.
   */
  PlaceOrder: grpc.handleUnaryCall<_shop_orders_v1_PlaceOrderRequest__Output, _shop_orders_v1_PlaceOrderResponse>;
}

export interface OrdersServiceDefinition extends grpc.ServiceDefinition {
  GetOrder: MethodDefinition<
    _shop_orders_v1_GetOrderRequest,
    _shop_orders_v1_GetOrderResponse,
    _shop_orders_v1_GetOrderRequest__Output,
    _shop_orders_v1_GetOrderResponse__Output
  >;
  PlaceOrder: MethodDefinition<
    _shop_orders_v1_PlaceOrderRequest,
    _shop_orders_v1_PlaceOrderResponse,
    _shop_orders_v1_PlaceOrderRequest__Output,
    _shop_orders_v1_PlaceOrderResponse__Output
  >;
}
