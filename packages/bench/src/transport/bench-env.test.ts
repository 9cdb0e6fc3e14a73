import { describe, expect, it } from 'vitest';
import { processesFrom, roundsFrom, transportRunConfig } from './bench-env.js';
import { processBlockOf } from './rounds.js';

describe('transport benchmark rounds', () => {
  it('defaults to 25, takes BENCH_ROUNDS, and keeps the quick run short', () => {
    expect(transportRunConfig({}).rounds).toBe(25);
    expect(transportRunConfig({ BENCH_ROUNDS: '41' }).rounds).toBe(41);
    expect(transportRunConfig({ BENCH_ROUNDS: '41', BENCH_QUICK: '1' }).rounds).toBe(2);
    expect(roundsFrom(' ')).toBe(25);
  });

  it('names BENCH_ROUNDS when it is not a whole number from 1 to 1000', () => {
    for (const bad of ['0', '-3', '2.5', 'many', '1001']) {
      expect(() => roundsFrom(bad)).toThrow(/BENCH_ROUNDS must be a whole number from 1 to 1000/);
    }
  });
});

describe('transport benchmark worker processes', () => {
  it('defaults to 5 per subject, never more than the rounds, and refuses what is not a count', () => {
    expect(processesFrom(undefined, 25)).toBe(5);
    expect(processesFrom('', 3)).toBe(3);
    expect(processesFrom('1', 25)).toBe(1);
    expect(processesFrom('40', 25)).toBe(25);
    for (const bad of ['0', '-2', '2.5', 'five', '1001']) {
      expect(() => processesFrom(bad, 25)).toThrow(/BENCH_PROCESSES must be a whole number from 1 to 1000/);
    }
    expect(transportRunConfig({ BENCH_QUICK: '1' }).processes).toBe(1);
    expect(transportRunConfig({ BENCH_ROUNDS: '10', BENCH_PROCESSES: '2' }).processes).toBe(2);
  });

  it('splits the rounds into that many blocks, as equal as they can be, none empty', () => {
    const blocks = (rounds: number, processes: number) =>
      Array.from({ length: rounds }, (_, round) => processBlockOf(round, { rounds, processes }));
    expect(blocks(25, 5)).toEqual([0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 4, 4, 4, 4, 4]);
    expect(blocks(7, 3)).toEqual([0, 0, 0, 1, 1, 2, 2]);
    expect(blocks(4, 1)).toEqual([0, 0, 0, 0]);
    expect(blocks(3, 3)).toEqual([0, 1, 2]);
  });
});
