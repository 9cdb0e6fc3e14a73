// Original file: ../../../protos/shop/orders/v1/orders.proto

export interface OrderLine {
  productId?: string;
  quantity?: number;
}

export interface OrderLine__Output {
  productId: string;
  quantity: number;
}
