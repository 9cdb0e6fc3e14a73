import { describe, expect, it } from 'vitest';
import { percentile, spread, summarize } from './stats.js';

describe('percentile', () => {
  const oneToHundred = Array.from({ length: 100 }, (_, index) => index + 1);

  it('uses nearest rank: p50 of 1..100 is 50, p99 is 99, p100 is the max', () => {
    expect(percentile(oneToHundred, 50)).toBe(50);
    expect(percentile(oneToHundred, 99)).toBe(99);
    expect(percentile(oneToHundred, 100)).toBe(100);
    expect(percentile(oneToHundred, 0)).toBe(1);
  });

  it('never interpolates: every percentile is an observed sample', () => {
    expect(percentile([10, 20], 50)).toBe(10);
    expect(percentile([10, 20], 51)).toBe(20);
    expect(percentile([7], 99)).toBe(7);
  });

  it('rejects empty input and out-of-range percentiles', () => {
    expect(() => percentile([], 50)).toThrow(RangeError);
    expect(() => percentile([1], 101)).toThrow(RangeError);
    expect(() => percentile([1], Number.NaN)).toThrow(RangeError);
  });
});

describe('summarize', () => {
  it('sorts a copy and reports count, min, mean, p50, p99 and max', () => {
    const samples = [5, 1, 4, 2, 3];
    expect(summarize(samples)).toEqual({ count: 5, min: 1, mean: 3, p50: 3, p99: 5, max: 5 });
    expect(samples).toEqual([5, 1, 4, 2, 3]);
  });
});

describe('spread', () => {
  it('reports the middle sample and the range, without modifying the input', () => {
    const rounds = [120, 95, 101, 99, 300];
    expect(spread(rounds)).toEqual({ median: 101, min: 95, max: 300 });
    expect(rounds).toEqual([120, 95, 101, 99, 300]);
  });
});
