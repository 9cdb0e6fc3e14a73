// Original file: ../../../protos/shop/catalog/v1/catalog.proto

export interface Product {
  id?: string;
  name?: string;
  category?: string;
  tags?: string[];
  priceCents?: number;
  stock?: number;
  description?: string;
}

export interface Product__Output {
  id: string;
  name: string;
  category: string;
  tags: string[];
  priceCents: number;
  stock: number;
  description: string;
}
