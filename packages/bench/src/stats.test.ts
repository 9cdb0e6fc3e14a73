import { describe, expect, it } from 'vitest';
import { mulberry32 } from '@switchyard/core';
import { medianInterval, percentile, spread, summarize } from './stats.js';

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

  it('takes the exact nearest rank where p·n/100 is a whole number, despite floating point', () => {
    // (99.9 / 100) * 1000 is 999.0000000000001 in floating point: the ceiling took rank 1000 (the max)
    // instead of 999. Likewise p99.9 of 2,000 samples must be the 1,998th, not the 1,999th.
    const thousand = Array.from({ length: 1_000 }, (_, index) => index + 1);
    expect(percentile(thousand, 99.9)).toBe(999);
    expect(
      percentile(
        Array.from({ length: 2_000 }, (_, index) => index + 1),
        99.9,
      ),
    ).toBe(1_998);
    // p99 of 200 samples is the 198th: the third-slowest (README, "Percentiles").
    expect(
      percentile(
        Array.from({ length: 200 }, (_, index) => index + 1),
        99,
      ),
    ).toBe(198);
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

  it('takes the mean of the two middle samples when the count is even', () => {
    // BENCH_QUICK's two rounds, or an even BENCH_ROUNDS: the lower middle sample (nearest rank) made
    // every "median" the smaller of the two middle values, biasing each paired ratio, and so each
    // verdict, downwards (with two rounds the "median" ratio was the worse round).
    expect(spread([0.9, 0.8])).toMatchObject({ min: 0.8, max: 0.9 });
    expect(spread([0.9, 0.8]).median).toBeCloseTo(0.85, 12);
    expect(spread([4, 1, 3, 2]).median).toBe(2.5);
  });

  it('reads NaN as NaN, not as a plausible median: a NaN sample makes the whole spread NaN', () => {
    // A comparator returning NaN leaves Array.prototype.sort's order unspecified: [3, NaN, 1, 2, 5]
    // stayed as it was, so the "median" was 1 with a min of 3 and a max of 5, a figure that looks
    // real, and a paired ratio read that way could pass or miss its target by accident.
    expect(spread([3, Number.NaN, 1, 2, 5])).toEqual({ median: Number.NaN, min: Number.NaN, max: Number.NaN });
    expect(spread([Number.NaN])).toEqual({ median: Number.NaN, min: Number.NaN, max: Number.NaN });
    // Infinity sorts like any number: it is an order statistic, not a corruption.
    expect(spread([1, Number.POSITIVE_INFINITY, 2])).toEqual({ median: 2, min: 1, max: Number.POSITIVE_INFINITY });
  });
});

describe('medianInterval', () => {
  const ranks = (n: number) => Array.from({ length: n }, (_, index) => index + 1);

  it('takes the textbook order statistics of the sign-test interval', () => {
    // Tables of the 95 % interval for the median: n = 6 → 1st–6th, 12 → 3rd–10th, 25 → 8th–18th, 50 → 18th–33rd.
    expect(medianInterval(ranks(6))).toMatchObject({ low: 1, high: 6 });
    expect(medianInterval(ranks(12))).toMatchObject({ low: 3, high: 10 });
    expect(medianInterval(ranks(25))).toMatchObject({ low: 8, high: 18 });
    expect(medianInterval(ranks(50))).toMatchObject({ low: 18, high: 33 });
    expect(medianInterval(ranks(25))?.coverage).toBeCloseTo(0.9567, 4);
  });

  it('gives no interval when too few samples can reach the level, and sorts a copy', () => {
    expect(medianInterval(ranks(5))).toBeUndefined();
    expect(medianInterval([])).toBeUndefined();
    const rounds = [9, 3, 7, 1, 5, 11, 2];
    expect(medianInterval(rounds)).toMatchObject({ low: 1, high: 11 });
    expect(rounds).toEqual([9, 3, 7, 1, 5, 11, 2]);
    expect(medianInterval(ranks(25), 0.5)).toMatchObject({ low: 11, high: 15 });
    expect(() => medianInterval(ranks(25), 1)).toThrow(RangeError);
  });

  it('gives a NaN interval, not two arbitrary samples, when a sample is NaN', () => {
    // Unsorted around the NaN, the 8th and 18th "order statistics" were whatever sat there.
    const rounds = [...ranks(24).reverse(), Number.NaN];
    const interval = medianInterval(rounds);
    expect(interval?.low).toBeNaN();
    expect(interval?.high).toBeNaN();
    expect(interval?.coverage).toBeCloseTo(0.9567, 4);
  });

  it('covers the true median at least as often as it claims, on skewed data', () => {
    // Exponential samples (median ln 2): 2,000 runs of 25 rounds each.
    const random = mulberry32(7);
    const runs = 2_000;
    let covered = 0;
    for (let run = 0; run < runs; run++) {
      const samples = Array.from({ length: 25 }, () => -Math.log(1 - random()));
      const interval = medianInterval(samples);
      if (interval && interval.low <= Math.LN2 && Math.LN2 <= interval.high) covered++;
    }
    // Claimed coverage 95.7 %; three standard errors below it is ~94.3 %.
    expect(covered / runs).toBeGreaterThan(0.943);
    expect(covered / runs).toBeLessThan(0.975);
  });
});
