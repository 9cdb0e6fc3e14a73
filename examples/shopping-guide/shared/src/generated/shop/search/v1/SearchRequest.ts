// Original file: ../../../protos/shop/search/v1/search.proto

export interface SearchRequest {
  query?: string;
  /**
   * default 10
   */
  limit?: number;
}

export interface SearchRequest__Output {
  query: string;
  /**
   * default 10
   */
  limit: number;
}
