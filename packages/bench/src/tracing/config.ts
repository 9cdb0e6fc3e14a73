import { isQuick } from '../transport/bench-env.js';

/** Sizes of one `pnpm bench:tracing` run. */
export interface TracingBenchConfig {
  quick: boolean;
  /** Spans per export request, as the batch span processor sends them by default. */
  batchSize: number;
  /** Share of the spans that failed (with an exception event). */
  errorShare: number;
  /** Rounds; in each, both encoders run, in an order alternated each round. */
  rounds: number;
  /** Export requests encoded per subject and round. */
  passesPerRound: number;
}

/**
 * The default run takes a few seconds. `BENCH_QUICK=1` (or `true`, as for every other benchmark: it
 * read `1` only, so `BENCH_QUICK=true pnpm bench` ran this one in full) is the smoke-sized run. The
 * environment is read here, when called.
 */
export function tracingBenchConfig(environment: NodeJS.ProcessEnv = process.env): TracingBenchConfig {
  const quick = isQuick(environment);
  return { quick, batchSize: 512, errorShare: 0.1, rounds: quick ? 3 : 15, passesPerRound: quick ? 10 : 60 };
}
