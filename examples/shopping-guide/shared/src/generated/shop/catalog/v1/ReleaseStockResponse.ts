// Original file: ../../../protos/shop/catalog/v1/catalog.proto

export interface ReleaseStockResponse {
  /**
   * true: this call gave the order's held units back.
   */
  released?: boolean;
  /**
   * true: the order's units are taken for good (confirmed, or reserved without hold): nothing
   * was released. Both false: nothing was held (unknown, released already, expired, rejected).
   */
  confirmed?: boolean;
}

export interface ReleaseStockResponse__Output {
  /**
   * true: this call gave the order's held units back.
   */
  released: boolean;
  /**
   * true: the order's units are taken for good (confirmed, or reserved without hold): nothing
   * was released. Both false: nothing was held (unknown, released already, expired, rejected).
   */
  confirmed: boolean;
}
