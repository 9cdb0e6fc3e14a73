/** Sizes and durations of one registry benchmark run. */
export interface RegistryBenchConfig {
  quick: boolean;
  /** Requests in flight for the throughput benchmarks. */
  concurrency: number;
  heartbeat: { instances: number; warmupMs: number; durationMs: number };
  registration: { count: number };
  list: { instances: number; warmupCalls: number; calls: number };
  convergence: { changes: number; eventTimeoutMs: number };
  redisCpu: {
    instances: number;
    ttlMs: number;
    heartbeatIntervalMs: number;
    /** Registries watching the service during the window; their sweeps re-index every lease once per TTL. */
    watchers: number;
    idleWindowMs: number;
    /** From the last registration to the start of the window. */
    settleMs: number;
    windowMs: number;
    /** The same fleet after the watchers stop: heartbeats only, for the sweeps' share. */
    withoutWatchersMs: number;
    /** Each of the two PING floors (1 ms and 20 ms batches). */
    floorMs: number;
    targetPercent: number;
  };
  roundTrips: { instances: number; monitoredHeartbeats: number; burst: number };
}

/**
 * The default run answers the questions in the README in about 70 s. `BENCH_QUICK=1` shrinks every count
 * and window so CI can prove the benchmark still runs; its figures are noisy and not worth comparing.
 * The environment is read here, when called, not at import time.
 */
export function registryBenchConfig(environment: NodeJS.ProcessEnv = process.env): RegistryBenchConfig {
  const quick = environment.BENCH_QUICK === '1' || environment.BENCH_QUICK === 'true';
  return {
    quick,
    concurrency: 64,
    heartbeat: quick
      ? { instances: 200, warmupMs: 200, durationMs: 1_000 }
      : { instances: 1_000, warmupMs: 500, durationMs: 3_000 },
    registration: { count: quick ? 1_000 : 5_000 },
    list: quick ? { instances: 1_000, warmupCalls: 5, calls: 50 } : { instances: 1_000, warmupCalls: 20, calls: 200 },
    convergence: { changes: quick ? 100 : 1_000, eventTimeoutMs: 5_000 },
    redisCpu: {
      instances: quick ? 1_000 : 10_000,
      ttlMs: 9_000,
      heartbeatIntervalMs: 3_000,
      // One watcher per ~500 ms turn sweeps (it takes the turn with SET NX), up to 200 due index entries per
      // SWEEP call and 50 calls per turn, so one keeps up with the ~1,333 re-indexes/s 10,000 leases of 9 s
      // need. 8 watchers, as a service with several clients has: the others check for the turn and skip.
      watchers: quick ? 2 : 8,
      idleWindowMs: quick ? 1_000 : 3_000,
      // Full run: a whole TTL, so the first heartbeat round is over and the first index entries have come due
      // (sweeping is in steady state). Quick run: only the first heartbeat round.
      settleMs: quick ? 3_550 : 9_250,
      // Whole numbers of heartbeat periods, so every instance is counted the same number of times.
      windowMs: quick ? 6_000 : 15_000,
      withoutWatchersMs: quick ? 3_000 : 9_000,
      floorMs: quick ? 2_000 : 6_000,
      targetPercent: 5,
    },
    roundTrips: { instances: 64, monitoredHeartbeats: quick ? 50 : 200, burst: quick ? 200 : 2_000 },
  };
}
