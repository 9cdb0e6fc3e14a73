/** The behaviour every StockStore must have, run against the memory store (unit) and Redis (int). */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ReservationConflictError, type StockStore } from '../src/index.js';

export function describeStockStore(name: string, create: () => StockStore | Promise<StockStore>): void {
  describe(`${name} (StockStore contract)`, () => {
    let store: StockStore;
    beforeEach(async () => {
      store = await create();
      await store.seed(
        new Map([
          ['a', 5],
          ['b', 2],
          ['c', 0],
        ]),
      );
    });
    afterEach(async () => {
      await store.close();
    });

    it('seeds once: a later seed keeps the levels and only adds new products', async () => {
      await store.reserve('o-1', [{ productId: 'a', quantity: 1 }]);
      expect(
        await store.seed(
          new Map([
            ['a', 100],
            ['d', 7],
          ]),
        ),
      ).toBe(false);
      expect(await store.levels(['a', 'b', 'd', 'unknown'])).toEqual(
        new Map([
          ['a', 4],
          ['b', 2],
          ['d', 7],
          ['unknown', 0],
        ]),
      );
    });

    it('reserves every line or none, naming the first short product in line order', async () => {
      expect(
        await store.reserve('o-1', [
          { productId: 'a', quantity: 3 },
          { productId: 'b', quantity: 3 },
          { productId: 'c', quantity: 1 },
        ]),
      ).toEqual({
        reserved: false,
        shortProductId: 'b',
      });
      expect(await store.levels(['a', 'b'])).toEqual(
        new Map([
          ['a', 5],
          ['b', 2],
        ]),
      );
      expect(
        await store.reserve('o-2', [
          { productId: 'a', quantity: 5 },
          { productId: 'b', quantity: 2 },
        ]),
      ).toEqual({ reserved: true });
      expect(await store.levels(['a', 'b'])).toEqual(
        new Map([
          ['a', 0],
          ['b', 0],
        ]),
      );
      expect(await store.reserve('o-3', [{ productId: 'unknown', quantity: 1 }])).toEqual({
        reserved: false,
        shortProductId: 'unknown',
      });
    });

    it('merges lines of the same product before checking', async () => {
      expect(
        await store.reserve('o-1', [
          { productId: 'a', quantity: 3 },
          { productId: 'a', quantity: 3 },
        ]),
      ).toEqual({
        reserved: false,
        shortProductId: 'a',
      });
    });

    it('answers a repeated order id with its first answer and takes stock once', async () => {
      const lines = [{ productId: 'a', quantity: 2 }];
      expect(await store.reserve('o-1', lines)).toEqual({ reserved: true });
      expect(await store.reserve('o-1', lines)).toEqual({ reserved: true });
      expect((await store.levels(['a'])).get('a')).toBe(3);
      // A rejection is remembered too: the same order never succeeds later by accident.
      expect(await store.reserve('o-2', [{ productId: 'b', quantity: 3 }])).toEqual({
        reserved: false,
        shortProductId: 'b',
      });
      expect(await store.reserve('o-2', [{ productId: 'b', quantity: 3 }])).toEqual({
        reserved: false,
        shortProductId: 'b',
      });
    });

    it('refuses an order id reused with different lines', async () => {
      await store.reserve('o-1', [{ productId: 'a', quantity: 1 }]);
      await expect(store.reserve('o-1', [{ productId: 'a', quantity: 2 }])).rejects.toBeInstanceOf(
        ReservationConflictError,
      );
    });

    it('never oversells under concurrent reservations', async () => {
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, index) => store.reserve(`o-${index}`, [{ productId: 'a', quantity: 1 }])),
      );
      expect(answers.filter((answer) => answer.reserved)).toHaveLength(5);
      expect((await store.levels(['a'])).get('a')).toBe(0);
    });
  });
}
