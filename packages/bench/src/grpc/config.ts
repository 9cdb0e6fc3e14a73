import { isQuick, listFromEnv } from '../transport/bench-env.js';

/** Sizes and targets of one `pnpm bench:grpc` run. */
export interface GrpcBenchConfig {
  quick: boolean;
  /** Rounds; in each, every subject runs once per concurrency, in an order rotated each round. */
  rounds: number;
  /** One closed-loop run. */
  runMs: number;
  /** Warm-up per subject and concurrency before the first round. */
  warmupMs: number;
  concurrencies: readonly number[];
  /** Per-call deadline of the Switchyard and cockatiel subjects (and of the raw `-deadline` ones). */
  deadlineMs: number;
  targets: {
    /** Switchyard at c=64 over raw grpc-js on one channel. */
    sdkVsRawSingleChannel: number;
    /** Switchyard at c=64 over raw grpc-js on as many channels as the SDK opens. */
    sdkVsRawSameChannels: number;
    /** Switchyard at c=1 over raw grpc-js. */
    sdkVsRawSequential: number;
    /** Switchyard traced over Switchyard untraced. */
    tracedVsUntraced: number;
  };
  /** Choosing `channelsPerInstance`: one more channel must beat one fewer in at least this share of the rounds. */
  channelStepWins: number;
  /** `BENCH_ONLY`: run exactly these subjects. */
  only: readonly string[];
  /** `BENCH_EXTRA`: run these optional subjects too. */
  extra: readonly string[];
  /** `BENCH_CPU_PROF`: subjects whose worker runs with `--cpu-prof`. */
  cpuProfile: readonly string[];
  /** `BENCH_PROF_FLAGS`: more node/V8 flags for the profiled workers (space-separated). */
  profileFlags: readonly string[];
}

/**
 * The default run takes about 3 minutes (plus the build). `BENCH_QUICK=1` runs two short rounds, to prove the benchmark
 * still works; its figures are noisy. The environment is read here, when called.
 */
export function grpcBenchConfig(environment: NodeJS.ProcessEnv = process.env): GrpcBenchConfig {
  const quick = isQuick(environment);
  return {
    quick,
    rounds: quick ? 2 : 15,
    runMs: quick ? 400 : 600,
    warmupMs: quick ? 300 : 1_000,
    concurrencies: [1, 64],
    deadlineMs: 5_000,
    targets: {
      sdkVsRawSingleChannel: 1.25,
      sdkVsRawSameChannels: 0.95,
      sdkVsRawSequential: 0.95,
      tracedVsUntraced: 0.85,
    },
    channelStepWins: 0.75,
    only: listFromEnv(environment.BENCH_ONLY),
    extra: listFromEnv(environment.BENCH_EXTRA),
    cpuProfile: listFromEnv(environment.BENCH_CPU_PROF),
    profileFlags: (environment.BENCH_PROF_FLAGS ?? '').split(/\s+/).filter((flag) => flag !== ''),
  };
}
