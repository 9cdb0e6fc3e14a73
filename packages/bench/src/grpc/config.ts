import { type TransportRunConfig, transportRunConfig } from '../transport/bench-env.js';

/** Sizes and targets of one `pnpm bench:grpc` run. */
export interface GrpcBenchConfig extends TransportRunConfig {
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
}

/**
 * The default run takes about 3 minutes (plus the build). `BENCH_QUICK=1` runs two short rounds, to prove the benchmark
 * still works; its figures are noisy. The environment is read here, when called.
 */
export function grpcBenchConfig(environment: NodeJS.ProcessEnv = process.env): GrpcBenchConfig {
  return {
    ...transportRunConfig(environment),
    targets: {
      sdkVsRawSingleChannel: 1.25,
      sdkVsRawSameChannels: 0.95,
      sdkVsRawSequential: 0.95,
      tracedVsUntraced: 0.85,
    },
    channelStepWins: 0.75,
  };
}
