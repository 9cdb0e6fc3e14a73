// Compile-time check that generated definitions give typed clients (not shipped logic).
import type { GrpcClient } from '@switchyard/grpc';
import type { CatalogServiceDefinition } from './generated/shop/catalog/v1/CatalogService.js';

export type CatalogClient = GrpcClient<CatalogServiceDefinition>;
export async function typed(client: CatalogClient): Promise<string | undefined> {
  const { product } = await client.getProduct({ id: 'sku-1' });
  // @ts-expect-error a wrong field type is a compile error
  await client.getProduct({ id: 42 });
  return product?.name;
}
