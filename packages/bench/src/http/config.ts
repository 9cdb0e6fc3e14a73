import { isQuick, listFromEnv } from '../transport/bench-env.js';

/** Sizes and targets of one `pnpm bench:http` run. */
export interface HttpBenchConfig {
  quick: boolean;
  /** Rounds; in each, every subject runs once per concurrency, in an order rotated each round. */
  rounds: number;
  runMs: number;
  warmupMs: number;
  concurrencies: readonly number[];
  /** Per-call deadline of the Switchyard subjects. */
  deadlineMs: number;
  targets: {
    /** Switchyard, tracing off, over raw undici (each concurrency). */
    untracedVsRaw: number;
    /** Switchyard, tracing on, over raw undici (each concurrency). */
    tracedVsRaw: number;
  };
  only: readonly string[];
  extra: readonly string[];
  cpuProfile: readonly string[];
  /** `BENCH_PROF_FLAGS`: more node/V8 flags for the profiled workers (space-separated). */
  profileFlags: readonly string[];
}

/**
 * The default run takes about a minute (plus the build). `BENCH_QUICK=1` runs two short rounds, to prove
 * the benchmark still works; its figures are noisy. The environment is read here, when called.
 */
export function httpBenchConfig(environment: NodeJS.ProcessEnv = process.env): HttpBenchConfig {
  const quick = isQuick(environment);
  return {
    quick,
    rounds: quick ? 2 : 15,
    runMs: quick ? 400 : 600,
    warmupMs: quick ? 300 : 1_000,
    concurrencies: [1, 64],
    deadlineMs: 5_000,
    targets: { untracedVsRaw: 0.95, tracedVsRaw: 0.85 },
    only: listFromEnv(environment.BENCH_ONLY),
    extra: listFromEnv(environment.BENCH_EXTRA),
    cpuProfile: listFromEnv(environment.BENCH_CPU_PROF),
    profileFlags: (environment.BENCH_PROF_FLAGS ?? '').split(/\s+/).filter((flag) => flag !== ''),
  };
}
