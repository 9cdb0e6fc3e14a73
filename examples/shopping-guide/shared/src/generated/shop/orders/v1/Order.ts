// Original file: ../../../protos/shop/orders/v1/orders.proto

import type {
  OrderLine as _shop_orders_v1_OrderLine,
  OrderLine__Output as _shop_orders_v1_OrderLine__Output,
} from '../../../shop/orders/v1/OrderLine.js';

export interface Order {
  id?: string;
  userId?: string;
  lines?: _shop_orders_v1_OrderLine[];
  totalCents?: number;
  /**
   * "placed" | "rejected"
   */
  status?: string;
  /**
   * why rejected (e.g. "out of stock: sku-3")
   */
  reason?: string;
}

export interface Order__Output {
  id: string;
  userId: string;
  lines: _shop_orders_v1_OrderLine__Output[];
  totalCents: number;
  /**
   * "placed" | "rejected"
   */
  status: string;
  /**
   * why rejected (e.g. "out of stock: sku-3")
   */
  reason: string;
}
