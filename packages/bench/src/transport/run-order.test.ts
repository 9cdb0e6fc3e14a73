import { describe, expect, it } from 'vitest';
import { runOrder } from './run-order.js';

/** Over one whole design: how often each subject ran at each position, and right after each other. */
function tally(count: number) {
  const period = count % 2 === 0 ? count : 2 * count;
  const positions = Array.from({ length: count }, () => new Array<number>(count).fill(0));
  const follows = Array.from({ length: count }, () => new Array<number>(count).fill(0));
  for (let round = 0; round < period; round++) {
    const order = runOrder(round, count);
    expect([...order].sort((a, b) => a - b)).toEqual(Array.from({ length: count }, (_, i) => i));
    for (const [position, subject] of order.entries()) {
      const at = positions[subject] as number[];
      at[position] = (at[position] as number) + 1;
      if (position === 0) continue;
      const after = follows[subject] as number[];
      const before = order[position - 1] as number;
      after[before] = (after[before] as number) + 1;
    }
  }
  return { period, positions, follows };
}

describe('runOrder', () => {
  it.each([2, 3, 4, 5, 6, 9])('balances positions and predecessors over the design (%i subjects)', (count) => {
    const { period, positions, follows } = tally(count);
    for (const row of positions) expect(new Set(row)).toEqual(new Set([period / count]));
    // Every subject follows every other one equally often, never itself.
    const each = (period * (count - 1)) / (count * (count - 1));
    for (const [subject, row] of follows.entries()) {
      for (const [before, times] of row.entries()) expect(times).toBe(subject === before ? 0 : each);
    }
  });

  it('no longer puts each subject after the same one every round (what a rotation did)', () => {
    const predecessors = new Set<number>();
    for (let round = 0; round < 6; round++) {
      const order = runOrder(round, 3);
      predecessors.add(order[order.indexOf(0) - 1] ?? -1);
    }
    expect(predecessors).toEqual(new Set([-1, 1, 2]));
  });

  it('starts the design again past its end, and refuses nonsense', () => {
    expect(runOrder(6, 3)).toEqual(runOrder(0, 3));
    expect(runOrder(0, 1)).toEqual([0]);
    expect(() => runOrder(0, 0)).toThrow(RangeError);
    expect(() => runOrder(-1, 3)).toThrow(RangeError);
  });
});
