import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type {
  GetOrderRequest as _shop_orders_v1_GetOrderRequest,
  GetOrderRequest__Output as _shop_orders_v1_GetOrderRequest__Output,
} from './shop/orders/v1/GetOrderRequest.js';
import type {
  GetOrderResponse as _shop_orders_v1_GetOrderResponse,
  GetOrderResponse__Output as _shop_orders_v1_GetOrderResponse__Output,
} from './shop/orders/v1/GetOrderResponse.js';
import type {
  Order as _shop_orders_v1_Order,
  Order__Output as _shop_orders_v1_Order__Output,
} from './shop/orders/v1/Order.js';
import type {
  OrderLine as _shop_orders_v1_OrderLine,
  OrderLine__Output as _shop_orders_v1_OrderLine__Output,
} from './shop/orders/v1/OrderLine.js';
import type {
  OrdersServiceClient as _shop_orders_v1_OrdersServiceClient,
  OrdersServiceDefinition as _shop_orders_v1_OrdersServiceDefinition,
} from './shop/orders/v1/OrdersService.js';
import type {
  PlaceOrderRequest as _shop_orders_v1_PlaceOrderRequest,
  PlaceOrderRequest__Output as _shop_orders_v1_PlaceOrderRequest__Output,
} from './shop/orders/v1/PlaceOrderRequest.js';
import type {
  PlaceOrderResponse as _shop_orders_v1_PlaceOrderResponse,
  PlaceOrderResponse__Output as _shop_orders_v1_PlaceOrderResponse__Output,
} from './shop/orders/v1/PlaceOrderResponse.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new (...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  shop: {
    orders: {
      v1: {
        GetOrderRequest: MessageTypeDefinition<
          _shop_orders_v1_GetOrderRequest,
          _shop_orders_v1_GetOrderRequest__Output
        >;
        GetOrderResponse: MessageTypeDefinition<
          _shop_orders_v1_GetOrderResponse,
          _shop_orders_v1_GetOrderResponse__Output
        >;
        Order: MessageTypeDefinition<_shop_orders_v1_Order, _shop_orders_v1_Order__Output>;
        OrderLine: MessageTypeDefinition<_shop_orders_v1_OrderLine, _shop_orders_v1_OrderLine__Output>;
        OrdersService: SubtypeConstructor<typeof grpc.Client, _shop_orders_v1_OrdersServiceClient> & {
          service: _shop_orders_v1_OrdersServiceDefinition;
        };
        PlaceOrderRequest: MessageTypeDefinition<
          _shop_orders_v1_PlaceOrderRequest,
          _shop_orders_v1_PlaceOrderRequest__Output
        >;
        PlaceOrderResponse: MessageTypeDefinition<
          _shop_orders_v1_PlaceOrderResponse,
          _shop_orders_v1_PlaceOrderResponse__Output
        >;
      };
    };
  };
}
