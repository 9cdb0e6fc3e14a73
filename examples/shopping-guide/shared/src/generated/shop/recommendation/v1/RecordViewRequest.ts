// Original file: ../../../protos/shop/recommendation/v1/recommendation.proto

export interface RecordViewRequest {
  userId?: string;
  productId?: string;
}

export interface RecordViewRequest__Output {
  userId: string;
  productId: string;
}
