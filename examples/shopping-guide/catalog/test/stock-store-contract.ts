/** The behaviour every StockStore must have, run against the memory store (unit) and Redis (int). */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ReservationConflictError, type StockStore } from '../src/index.js';

/** Makes a store for one test (a fresh one each time: its own key prefix on Redis), with the given hold time. */
export type CreateStockStore = (options: { holdMs?: number }) => StockStore | Promise<StockStore>;

const LEVELS = new Map([
  ['a', 5],
  ['b', 2],
  ['c', 0],
]);

export function describeStockStore(name: string, create: CreateStockStore): void {
  describe(`${name} (StockStore contract)`, () => {
    let store: StockStore;
    const extra: StockStore[] = [];
    beforeEach(async () => {
      store = await create({});
      await store.seed(LEVELS);
    });
    afterEach(async () => {
      await store.close();
      for (const other of extra.splice(0)) await other.close();
    });
    const level = async (id: string, of: StockStore = store) => (await of.levels([id])).get(id);

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

    describe('two-phase reservations (hold, then confirm or release)', () => {
      it('holds the units until released: a retry gets the same answer, a release gives them back once, and the order can be reserved again', async () => {
        const lines = [{ productId: 'a', quantity: 2 }];
        expect(await store.reserve('o-1', lines, { hold: true })).toEqual({ reserved: true });
        expect(await store.reserve('o-1', lines, { hold: true })).toEqual({ reserved: true });
        expect(await level('a')).toBe(3);
        await expect(store.reserve('o-1', [{ productId: 'a', quantity: 1 }], { hold: true })).rejects.toBeInstanceOf(
          ReservationConflictError,
        );
        expect(await store.release('o-1')).toBe('released');
        expect(await level('a')).toBe(5);
        // Releasing again, or an order the store never saw, changes nothing.
        expect(await store.release('o-1')).toBe('none');
        expect(await store.release('never-seen')).toBe('none');
        expect(await level('a')).toBe(5);
        // Nothing is held any more: it cannot be confirmed, and a retry of the order reserves anew.
        expect(await store.confirm('o-1')).toBe(false);
        expect(await store.reserve('o-1', lines, { hold: true })).toEqual({ reserved: true });
        expect(await level('a')).toBe(3);
      });

      it('never releases a confirmed reservation, nor one taken without a hold', async () => {
        const lines = [{ productId: 'a', quantity: 2 }];
        await store.reserve('o-1', lines, { hold: true });
        expect(await store.confirm('o-1')).toBe(true);
        expect(await store.confirm('o-1')).toBe(true);
        expect(await store.release('o-1')).toBe('confirmed');
        await store.reserve('o-2', [{ productId: 'b', quantity: 1 }]);
        expect(await store.release('o-2')).toBe('confirmed');
        expect(await store.confirm('o-2')).toBe(true);
        // A retry of a confirmed order gets its answer and takes nothing more.
        expect(await store.reserve('o-1', lines, { hold: true })).toEqual({ reserved: true });
        expect(await store.levels(['a', 'b'])).toEqual(
          new Map([
            ['a', 3],
            ['b', 1],
          ]),
        );
      });

      it('holds nothing for a rejected order: it cannot be confirmed, releasing it changes nothing, the rejection stays', async () => {
        const lines = [{ productId: 'b', quantity: 3 }];
        expect(await store.reserve('o-1', lines, { hold: true })).toEqual({ reserved: false, shortProductId: 'b' });
        expect(await store.confirm('o-1')).toBe(false);
        expect(await store.release('o-1')).toBe('none');
        expect(await store.reserve('o-1', lines, { hold: true })).toEqual({ reserved: false, shortProductId: 'b' });
        expect(await level('b')).toBe(2);
      });

      it('gives back a hold nobody confirmed or released within the hold time (its orders replica crashed), never a confirmed one', async () => {
        const short = await create({ holdMs: 200 });
        extra.push(short);
        await short.seed(LEVELS);
        await short.reserve('lost', [{ productId: 'a', quantity: 2 }], { hold: true });
        await short.reserve('kept', [{ productId: 'a', quantity: 1 }], { hold: true });
        expect(await short.confirm('kept')).toBe(true);
        expect(await level('a', short)).toBe(2);
        await new Promise((resolve) => setTimeout(resolve, 350));
        // Read back without any reservation or release in between: expiry needs no other traffic.
        expect(await level('a', short)).toBe(4);
        expect(await short.confirm('lost')).toBe(false);
        expect(await short.release('kept')).toBe('confirmed');
        expect(await short.reserve('lost', [{ productId: 'a', quantity: 2 }], { hold: true })).toEqual({
          reserved: true,
        });
        expect(await level('a', short)).toBe(2);
      });

      it('never oversells or gives back twice under concurrent holds and releases', async () => {
        const holds = await Promise.all(
          Array.from({ length: 20 }, (_, index) =>
            store.reserve(`o-${index}`, [{ productId: 'a', quantity: 1 }], { hold: true }),
          ),
        );
        expect(holds.filter((answer) => answer.reserved)).toHaveLength(5);
        const releases = await Promise.all(Array.from({ length: 40 }, (_, index) => store.release(`o-${index % 20}`)));
        expect(releases.filter((outcome) => outcome === 'released')).toHaveLength(5);
        expect(await level('a')).toBe(5);
      });
    });
  });
}
