// Original file: ../../../protos/shop/orders/v1/orders.proto

import type {
  Order as _shop_orders_v1_Order,
  Order__Output as _shop_orders_v1_Order__Output,
} from '../../../shop/orders/v1/Order.js';

export interface PlaceOrderResponse {
  order?: _shop_orders_v1_Order | null;
}

export interface PlaceOrderResponse__Output {
  order: _shop_orders_v1_Order__Output | null;
}
