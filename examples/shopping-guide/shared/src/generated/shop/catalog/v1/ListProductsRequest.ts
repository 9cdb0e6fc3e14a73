// Original file: ../../../protos/shop/catalog/v1/catalog.proto

export interface ListProductsRequest {
  /**
   * empty: all
   */
  category?: string;
  /**
   * default 20, max 100
   */
  pageSize?: number;
  pageToken?: string;
}

export interface ListProductsRequest__Output {
  /**
   * empty: all
   */
  category: string;
  /**
   * default 20, max 100
   */
  pageSize: number;
  pageToken: string;
}
