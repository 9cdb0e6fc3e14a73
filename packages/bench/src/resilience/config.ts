/** Sizes of one `pnpm bench:resilience` run. */
export interface ResilienceBenchConfig {
  quick: boolean;
  /** Rounds; in each, every subject is measured once per mode, in an order rotated each round. */
  rounds: number;
  /** Warm-up per subject and mode before the first round (also calibrates the calls per run). */
  warmupMs: number;
  /** Target length of one timed run. */
  runMs: number;
  /** Calls started together in the concurrent mode (then awaited with Promise.all). */
  batch: number;
  /** Switchyard's compose must cost at most this per call, and no more than the cheaper of cockatiel and opossum. */
  targetNs: number;
  /** Subject ids to run (`BENCH_ONLY=switchyard,bare`, e.g. for `--cpu-prof`); all when empty; an unknown id fails (selectSubjects). */
  only: readonly string[];
}

/**
 * The default run takes about 40 s. `BENCH_QUICK=1` uses fewer and shorter rounds, to prove the
 * benchmark still works; its figures are noisy. The environment is read here, when called.
 */
export function resilienceBenchConfig(environment: NodeJS.ProcessEnv = process.env): ResilienceBenchConfig {
  const quick = environment.BENCH_QUICK === '1' || environment.BENCH_QUICK === 'true';
  return {
    quick,
    rounds: quick ? 3 : 9,
    warmupMs: quick ? 100 : 300,
    runMs: quick ? 40 : 150,
    batch: 100,
    targetNs: 1_000,
    only: (environment.BENCH_ONLY ?? '')
      .split(',')
      .map((id) => id.trim())
      .filter((id) => id !== ''),
  };
}
