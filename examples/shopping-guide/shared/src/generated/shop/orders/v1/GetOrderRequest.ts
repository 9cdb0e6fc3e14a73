// Original file: ../../../protos/shop/orders/v1/orders.proto

export interface GetOrderRequest {
  id?: string;
}

export interface GetOrderRequest__Output {
  id: string;
}
