import { describe, expect, it } from 'vitest';
import { describeStockStore } from '../../test/stock-store-contract.js';
import { MemoryStockStore } from '../index.js';

describeStockStore('MemoryStockStore', (options) => new MemoryStockStore(options));

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
    expect(String(store)).toBe(
      'MemoryStockStore(products=1, reservationTtlMs=1000, holdMs=60000, maxReservations=100000)',
    );
  });

  // Every order id any client sends (rejected ones too, and every unkeyed order gets a new one)
  // was kept for 24 h with no bound: a flood of orders grew the process until it was killed.
  it('keeps at most maxReservations reservations: a new order beyond them is refused RESOURCE_EXHAUSTED naming the bound, a known one still answered', async () => {
    let now = 0;
    const store = new MemoryStockStore({ maxReservations: 3, reservationTtlMs: 1_000, holdMs: 500, now: () => now });
    await store.seed(new Map([['a', 100]]));
    const one = [{ productId: 'a', quantity: 1 }];
    await store.reserve('o-1', one);
    await store.reserve('o-2', [{ productId: 'unknown', quantity: 1 }]);
    await store.reserve('o-3', one, { hold: true });
    await expect(store.reserve('o-4', one)).rejects.toMatchObject({
      code: 'RESOURCE_EXHAUSTED',
      message: expect.stringMatching(/maxReservations=3/),
    });
    expect(await store.reserve('o-1', one)).toEqual({ reserved: true });
    expect((await store.levels(['a'])).get('a')).toBe(98);
    expect(store.reservations).toBe(3);
    // Expired answers and holds free their places (the hold's unit goes back).
    now = 1_000;
    expect(await store.reserve('o-4', one)).toEqual({ reserved: true });
    expect(store.reservations).toBe(1);
    expect((await store.levels(['a'])).get('a')).toBe(98);
  });

  it('drops expired reservations whenever it is used, not only at the next reservation', async () => {
    let now = 0;
    const store = new MemoryStockStore({ reservationTtlMs: 1_000, holdMs: 100, now: () => now });
    await store.seed(new Map([['a', 5]]));
    await store.reserve('o-1', [{ productId: 'a', quantity: 1 }]);
    await store.reserve('o-2', [{ productId: 'a', quantity: 1 }], { hold: true });
    now = 100;
    expect((await store.levels(['a'])).get('a')).toBe(4);
    expect(store.reservations).toBe(1);
    now = 1_000;
    await store.levels(['a']);
    expect(store.reservations).toBe(0);
  });

  it('refuses bounds that are not positive integers, naming the option', () => {
    expect(() => new MemoryStockStore({ maxReservations: 0 })).toThrow(/^maxReservations: must be an integer from 1/);
    expect(() => new MemoryStockStore({ holdMs: 1.5 })).toThrow(/^holdMs: must be an integer from 1/);
  });
});
