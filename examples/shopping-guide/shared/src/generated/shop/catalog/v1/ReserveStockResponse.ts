// Original file: ../../../protos/shop/catalog/v1/catalog.proto

export interface ReserveStockResponse {
  reserved?: boolean;
  /**
   * When not reserved: the first product without enough stock.
   */
  shortProductId?: string;
}

export interface ReserveStockResponse__Output {
  reserved: boolean;
  /**
   * When not reserved: the first product without enough stock.
   */
  shortProductId: string;
}
