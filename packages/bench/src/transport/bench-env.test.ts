import { describe, expect, it } from 'vitest';
import { roundsFrom, transportRunConfig } from './bench-env.js';

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
