import type { GrpcHandlerContext } from '@switchyard/grpc';
import { describe, expect, it } from 'vitest';
import { catalogHandlers, MemoryStockStore, PRODUCTS, ProductCatalog, type StockStore } from './index.js';

const context = {} as GrpcHandlerContext;

async function handlers(stock: StockStore = new MemoryStockStore()) {
  await stock.seed(new Map(PRODUCTS.map((product) => [product.id, product.stock])));
  return catalogHandlers({ catalog: new ProductCatalog(PRODUCTS), stock });
}

describe('catalog handlers', () => {
  it('answers products with their live stock level', async () => {
    const catalog = await handlers();
    await catalog.reserveStock({ orderId: 'o-1', lines: [{ productId: 'sku-1', quantity: 20 }], hold: false }, context);
    const { product } = await catalog.getProduct({ id: 'sku-1' }, context);
    expect(product).toMatchObject({ id: 'sku-1', category: 'electronics', stock: 100 });
  });

  it('maps bad requests to INVALID_ARGUMENT naming the field, unknown ids to NOT_FOUND', async () => {
    const catalog = await handlers();
    await expect(catalog.getProduct({ id: '' }, context)).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: 'id: must not be empty',
    });
    await expect(catalog.getProduct({ id: 'sku-999' }, context)).rejects.toMatchObject({
      code: 'NOT_FOUND',
      details: 'product "sku-999" not found',
    });
    // An id of kilobytes (a URL's path, through the gateway) is not echoed whole.
    await expect(catalog.getProduct({ id: 'x'.repeat(10_000) }, context)).rejects.toMatchObject({
      code: 'NOT_FOUND',
      details: 'product a 10000-character string not found',
    });
    const reserve = (lines: { productId: string; quantity: number }[], orderId = 'o-1') =>
      catalog.reserveStock({ orderId, lines, hold: false }, context);
    await expect(reserve([])).rejects.toThrow(/^lines: must hold 1 to 100 lines, got 0$/);
    await expect(reserve([{ productId: 'sku-1', quantity: 1 }], '')).rejects.toThrow(
      /^order_id: must be 1 to 128 characters$/,
    );
    await expect(
      reserve([
        { productId: 'sku-1', quantity: 1 },
        { productId: 'sku-x', quantity: 1 },
      ]),
    ).rejects.toThrow(/^lines\[1\]\.product_id: unknown product "sku-x"$/);
    await expect(reserve([{ productId: 'sku-1', quantity: 0 }])).rejects.toThrow(
      /^lines\[0\]\.quantity: must be from 1 to 10000, got 0$/,
    );
  });

  it('rejects a short order without taking anything, and says which product is short', async () => {
    const catalog = await handlers();
    const lines = [
      { productId: 'sku-2', quantity: 1 },
      { productId: 'sku-28', quantity: 1 },
    ];
    expect(await catalog.reserveStock({ orderId: 'o-1', lines, hold: false }, context)).toEqual({
      reserved: false,
      shortProductId: 'sku-28',
    });
    expect((await catalog.getProduct({ id: 'sku-2' }, context)).product?.stock).toBe(200);
  });

  it('answers UNAVAILABLE when the stock store fails, FAILED_PRECONDITION for a reused order id', async () => {
    const failing = new MemoryStockStore();
    failing.levels = async () => {
      throw new Error('connection reset');
    };
    const catalog = await handlers(failing);
    await expect(catalog.getProduct({ id: 'sku-1' }, context)).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    await catalog.reserveStock({ orderId: 'o-1', lines: [{ productId: 'sku-1', quantity: 1 }], hold: false }, context);
    await expect(
      catalog.reserveStock({ orderId: 'o-1', lines: [{ productId: 'sku-1', quantity: 2 }], hold: false }, context),
    ).rejects.toMatchObject({
      code: 'FAILED_PRECONDITION',
    });
  });

  it('confirms and releases a held reservation by order id, naming a bad order_id', async () => {
    const catalog = await handlers();
    const lines = [{ productId: 'sku-1', quantity: 20 }];
    expect(await catalog.reserveStock({ orderId: 'o-1', lines, hold: true }, context)).toEqual({
      reserved: true,
      shortProductId: '',
    });
    expect(await catalog.releaseStock({ orderId: 'o-1' }, context)).toEqual({ released: true, confirmed: false });
    expect(await catalog.releaseStock({ orderId: 'o-1' }, context)).toEqual({ released: false, confirmed: false });
    expect(await catalog.confirmStock({ orderId: 'o-1' }, context)).toEqual({ confirmed: false });
    await catalog.reserveStock({ orderId: 'o-2', lines, hold: true }, context);
    expect(await catalog.confirmStock({ orderId: 'o-2' }, context)).toEqual({ confirmed: true });
    expect(await catalog.releaseStock({ orderId: 'o-2' }, context)).toEqual({ released: false, confirmed: true });
    expect((await catalog.getProduct({ id: 'sku-1' }, context)).product?.stock).toBe(100);
    await expect(catalog.confirmStock({ orderId: '' }, context)).rejects.toThrow(
      /^order_id: must be 1 to 128 characters$/,
    );
    await expect(catalog.releaseStock({ orderId: 'x'.repeat(129) }, context)).rejects.toThrow(
      /^order_id: must be 1 to 128 characters$/,
    );
  });

  it('answers RESOURCE_EXHAUSTED, saying why, when the memory store holds as many reservations as it may', async () => {
    const catalog = await handlers(new MemoryStockStore({ maxReservations: 1 }));
    const lines = [{ productId: 'sku-1', quantity: 1 }];
    await catalog.reserveStock({ orderId: 'o-1', lines, hold: false }, context);
    await expect(catalog.reserveStock({ orderId: 'o-2', lines, hold: false }, context)).rejects.toMatchObject({
      code: 'RESOURCE_EXHAUSTED',
      details: expect.stringContaining('maxReservations=1'),
    });
  });
});
