// Original file: ../../../protos/shop/catalog/v1/catalog.proto

/**
 * Gives back the units held for an order whose placement failed (saga compensation). Idempotent:
 * releasing twice, or an order the catalog never saw, is fine. Never gives back a confirmed
 * order's units, nor those of a reservation made without `hold`.
 */
export interface ReleaseStockRequest {
  orderId?: string;
}

/**
 * Gives back the units held for an order whose placement failed (saga compensation). Idempotent:
 * releasing twice, or an order the catalog never saw, is fine. Never gives back a confirmed
 * order's units, nor those of a reservation made without `hold`.
 */
export interface ReleaseStockRequest__Output {
  orderId: string;
}
