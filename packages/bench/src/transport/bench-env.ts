/** `BENCH_QUICK=1` (or `true`): the smoke-sized run. */
export function isQuick(environment: NodeJS.ProcessEnv): boolean {
  return environment.BENCH_QUICK === '1' || environment.BENCH_QUICK === 'true';
}

/** A comma-separated list from an environment variable (`BENCH_ONLY=a,b`), empty when unset. */
export function listFromEnv(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/** `BENCH_ROUNDS`: a whole number of rounds from 1 to 1000, else the default 25. */
export function roundsFrom(value: string | undefined): number {
  if (value === undefined || value.trim() === '') return 25;
  const rounds = Number(value);
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 1000) {
    throw new Error(`BENCH_ROUNDS must be a whole number from 1 to 1000, got ${JSON.stringify(value)}`);
  }
  return rounds;
}

/** What the transport benchmarks (gRPC, HTTP) share: sizes, and the subject selection from the environment. */
export interface TransportRunConfig {
  quick: boolean;
  /** Rounds; in each, every subject runs once per concurrency, in an order that changes each round (a Williams design: positions and predecessors balanced). */
  rounds: number;
  /** One closed-loop run. */
  runMs: number;
  /** Warm-up per subject and concurrency before the first round. */
  warmupMs: number;
  concurrencies: readonly number[];
  /** Per-call deadline of the subjects that set one. */
  deadlineMs: number;
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
 * The transport benchmarks' run: 25 rounds (`BENCH_ROUNDS`) of 600 ms at c=1 and c=64 after 1 s of
 * warm-up, or with `BENCH_QUICK=1` two short rounds (proof that it still works; noisy figures).
 * Read when called.
 *
 * Why 25: this shared VM's speed swings by tens of percent within a second, so one round's paired
 * ratio of two subjects ranges ±40 % around its median; over 15 rounds the same code's median
 * moved by ±0.03 from run to run, as much as the margins the targets are judged by. The median's
 * spread shrinks with the square root of the rounds.
 */
export function transportRunConfig(environment: NodeJS.ProcessEnv): TransportRunConfig {
  const quick = isQuick(environment);
  return {
    quick,
    rounds: quick ? 2 : roundsFrom(environment.BENCH_ROUNDS),
    runMs: quick ? 400 : 600,
    warmupMs: quick ? 300 : 1_000,
    concurrencies: [1, 64],
    deadlineMs: 5_000,
    only: listFromEnv(environment.BENCH_ONLY),
    extra: listFromEnv(environment.BENCH_EXTRA),
    cpuProfile: listFromEnv(environment.BENCH_CPU_PROF),
    profileFlags: (environment.BENCH_PROF_FLAGS ?? '').split(/\s+/).filter((flag) => flag !== ''),
  };
}
