// Original file: ../../../protos/shop/catalog/v1/catalog.proto

/**
 * Takes the units held for an order for good. Idempotent.
 */
export interface ConfirmStockRequest {
  orderId?: string;
}

/**
 * Takes the units held for an order for good. Idempotent.
 */
export interface ConfirmStockRequest__Output {
  orderId: string;
}
