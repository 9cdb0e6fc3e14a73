// Original file: ../../../protos/shop/catalog/v1/catalog.proto

export interface BatchGetProductsRequest {
  ids?: string[];
}

export interface BatchGetProductsRequest__Output {
  ids: string[];
}
