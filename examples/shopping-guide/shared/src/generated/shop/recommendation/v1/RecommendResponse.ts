// Original file: ../../../protos/shop/recommendation/v1/recommendation.proto

import type {
  Product as _shop_catalog_v1_Product,
  Product__Output as _shop_catalog_v1_Product__Output,
} from '../../../shop/catalog/v1/Product.js';

export interface RecommendResponse {
  products?: _shop_catalog_v1_Product[];
  /**
   * which model answered (e.g. "co-view", "popular"; A/B arms differ)
   */
  strategy?: string;
}

export interface RecommendResponse__Output {
  products: _shop_catalog_v1_Product__Output[];
  /**
   * which model answered (e.g. "co-view", "popular"; A/B arms differ)
   */
  strategy: string;
}
