// Compile-time check that generated definitions give typed clients and handlers (not shipped logic).
import type { GrpcClient, GrpcHandlers } from '@switchyard/grpc';
import type { CatalogServiceDefinition } from './generated/shop/catalog/v1/CatalogService.js';

export type CatalogClient = GrpcClient<CatalogServiceDefinition>;
export async function typed(client: CatalogClient): Promise<string | undefined> {
  const { product } = await client.getProduct({ id: 'sku-1' });
  // @ts-expect-error a wrong field type is a compile error
  await client.getProduct({ id: 42 });
  // @ts-expect-error so is a misspelt method (the `!` keeps "possibly undefined" from counting)
  await client.getProducts!({ id: 'sku-1' });
  return product?.name;
}

// The services' handlers: every method unary (the shop streams nothing), each typed.
export const handlers: Omit<
  GrpcHandlers<CatalogServiceDefinition, never>,
  'listProducts' | 'batchGetProducts' | 'confirmStock' | 'releaseStock'
> = {
  async getProduct({ id }) {
    return { product: { id, name: id.toUpperCase() } };
  },
  // @ts-expect-error a misspelt handler is a compile error
  async reserveStocks() {
    return {};
  },
  reserveStock: ({ lines }) => ({ reserved: lines.length > 0 }),
};
