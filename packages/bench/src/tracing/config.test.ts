import { describe, expect, it } from 'vitest';
import { tracingBenchConfig } from './config.js';

describe('tracingBenchConfig', () => {
  it('runs 15 rounds of 60 requests of 512 spans by default', () => {
    expect(tracingBenchConfig({})).toEqual({
      quick: false,
      batchSize: 512,
      errorShare: 0.1,
      rounds: 15,
      passesPerRound: 60,
    });
  });

  it('takes BENCH_QUICK=1 or BENCH_QUICK=true for the smoke-sized run, as every other benchmark does', () => {
    expect(tracingBenchConfig({ BENCH_QUICK: '1' })).toMatchObject({ quick: true, rounds: 3, passesPerRound: 10 });
    // `BENCH_QUICK=true pnpm bench` ran every other benchmark smoke-sized and this one in full.
    expect(tracingBenchConfig({ BENCH_QUICK: 'true' })).toMatchObject({ quick: true, rounds: 3, passesPerRound: 10 });
  });
});
