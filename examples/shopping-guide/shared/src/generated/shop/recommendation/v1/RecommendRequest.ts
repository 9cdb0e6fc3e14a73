// Original file: ../../../protos/shop/recommendation/v1/recommendation.proto

export interface RecommendRequest {
  userId?: string;
  /**
   * default 5
   */
  limit?: number;
}

export interface RecommendRequest__Output {
  userId: string;
  /**
   * default 5
   */
  limit: number;
}
