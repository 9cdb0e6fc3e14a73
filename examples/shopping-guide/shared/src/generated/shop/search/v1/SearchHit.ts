// Original file: ../../../protos/shop/search/v1/search.proto

export interface SearchHit {
  productId?: string;
  name?: string;
  score?: number | string;
}

export interface SearchHit__Output {
  productId: string;
  name: string;
  score: number;
}
