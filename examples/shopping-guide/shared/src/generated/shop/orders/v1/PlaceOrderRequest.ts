// Original file: ../../../protos/shop/orders/v1/orders.proto

import type {
  OrderLine as _shop_orders_v1_OrderLine,
  OrderLine__Output as _shop_orders_v1_OrderLine__Output,
} from '../../../shop/orders/v1/OrderLine.js';

export interface PlaceOrderRequest {
  userId?: string;
  lines?: _shop_orders_v1_OrderLine[];
  /**
   * required: the same key places one order
   */
  idempotencyKey?: string;
}

export interface PlaceOrderRequest__Output {
  userId: string;
  lines: _shop_orders_v1_OrderLine__Output[];
  /**
   * required: the same key places one order
   */
  idempotencyKey: string;
}
