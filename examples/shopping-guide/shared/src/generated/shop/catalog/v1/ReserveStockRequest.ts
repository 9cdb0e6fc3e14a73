// Original file: ../../../protos/shop/catalog/v1/catalog.proto

import type {
  StockLine as _shop_catalog_v1_StockLine,
  StockLine__Output as _shop_catalog_v1_StockLine__Output,
} from '../../../shop/catalog/v1/StockLine.js';

export interface ReserveStockRequest {
  /**
   * idempotency: the same order reserves once
   */
  orderId?: string;
  lines?: _shop_catalog_v1_StockLine[];
}

export interface ReserveStockRequest__Output {
  /**
   * idempotency: the same order reserves once
   */
  orderId: string;
  lines: _shop_catalog_v1_StockLine__Output[];
}
