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
  /**
   * true: a two-phase reservation. The units are held for the order until ConfirmStock takes
   * them for good or ReleaseStock gives them back; a hold neither confirmed nor released within
   * the catalog's hold time (default 60 s) is given back by itself. false: the units are taken
   * for good at once, and no ReleaseStock gives them back. A retry gets the first call's answer,
   * whatever its `hold`.
   */
  hold?: boolean;
}

export interface ReserveStockRequest__Output {
  /**
   * idempotency: the same order reserves once
   */
  orderId: string;
  lines: _shop_catalog_v1_StockLine__Output[];
  /**
   * true: a two-phase reservation. The units are held for the order until ConfirmStock takes
   * them for good or ReleaseStock gives them back; a hold neither confirmed nor released within
   * the catalog's hold time (default 60 s) is given back by itself. false: the units are taken
   * for good at once, and no ReleaseStock gives them back. A retry gets the first call's answer,
   * whatever its `hold`.
   */
  hold: boolean;
}
