// Original file: ../../../protos/shop/catalog/v1/catalog.proto

import type {
  Product as _shop_catalog_v1_Product,
  Product__Output as _shop_catalog_v1_Product__Output,
} from '../../../shop/catalog/v1/Product.js';

export interface BatchGetProductsResponse {
  products?: _shop_catalog_v1_Product[];
}

export interface BatchGetProductsResponse__Output {
  products: _shop_catalog_v1_Product__Output[];
}
