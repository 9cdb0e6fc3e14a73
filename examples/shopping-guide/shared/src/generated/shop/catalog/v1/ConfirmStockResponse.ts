// Original file: ../../../protos/shop/catalog/v1/catalog.proto

export interface ConfirmStockResponse {
  /**
   * true: the order's units are taken for good (by this call or before).
   * false: the order holds no units (never reserved, out of stock, released, or its hold
   * expired): it must not be placed; a retry reserves again.
   */
  confirmed?: boolean;
}

export interface ConfirmStockResponse__Output {
  /**
   * true: the order's units are taken for good (by this call or before).
   * false: the order holds no units (never reserved, out of stock, released, or its hold
   * expired): it must not be placed; a retry reserves again.
   */
  confirmed: boolean;
}
