import { describe, expect, it } from 'vitest';
import { describeStockStore } from '../../test/stock-store-contract.js';
import { MemoryStockStore } from '../index.js';

describeStockStore('MemoryStockStore', () => new MemoryStockStore());

describe('MemoryStockStore', () => {
  it('forgets an answer after the reservation TTL', async () => {
    let now = 0;
    const store = new MemoryStockStore({ reservationTtlMs: 1_000, now: () => now });
    await store.seed(new Map([['a', 5]]));
    await store.reserve('o-1', [{ productId: 'a', quantity: 1 }]);
    now = 999;
    await store.reserve('o-1', [{ productId: 'a', quantity: 1 }]);
    expect((await store.levels(['a'])).get('a')).toBe(4);
    now = 1_000;
    await store.reserve('o-1', [{ productId: 'a', quantity: 1 }]);
    expect((await store.levels(['a'])).get('a')).toBe(3);
    expect(String(store)).toBe('MemoryStockStore(products=1, reservationTtlMs=1000)');
  });
});
