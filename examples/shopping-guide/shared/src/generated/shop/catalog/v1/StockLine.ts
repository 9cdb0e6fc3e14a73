// Original file: ../../../protos/shop/catalog/v1/catalog.proto

export interface StockLine {
  productId?: string;
  quantity?: number;
}

export interface StockLine__Output {
  productId: string;
  quantity: number;
}
