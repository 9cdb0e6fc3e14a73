import { type TransportRunConfig, transportRunConfig } from '../transport/bench-env.js';

/** Sizes and targets of one `pnpm bench:http` run. */
export interface HttpBenchConfig extends TransportRunConfig {
  targets: {
    /** Switchyard, tracing off, over raw undici (each concurrency). */
    untracedVsRaw: number;
    /** Switchyard, tracing on, over raw undici (each concurrency). */
    tracedVsRaw: number;
  };
}

/**
 * The default run takes about a minute (plus the build). `BENCH_QUICK=1` runs two short rounds, to prove
 * the benchmark still works; its figures are noisy. The environment is read here, when called.
 */
export function httpBenchConfig(environment: NodeJS.ProcessEnv = process.env): HttpBenchConfig {
  return {
    ...transportRunConfig(environment),
    targets: { untracedVsRaw: 0.95, tracedVsRaw: 0.85 },
  };
}
