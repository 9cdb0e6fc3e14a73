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

/**
 * `BENCH_PROCESSES`: how many worker processes each subject goes through over a run, a whole number
 * from 1 to 1000, else the default 5; never more than the rounds.
 */
export function processesFrom(value: string | undefined, rounds: number): number {
  if (value === undefined || value.trim() === '') return Math.min(5, rounds);
  const processes = Number(value);
  if (!Number.isInteger(processes) || processes < 1 || processes > 1000) {
    throw new Error(`BENCH_PROCESSES must be a whole number from 1 to 1000, got ${JSON.stringify(value)}`);
  }
  return Math.min(processes, rounds);
}

/** What the transport benchmarks (gRPC, HTTP) share: sizes, and the subject selection from the environment. */
export interface TransportRunConfig {
  quick: boolean;
  /** Rounds; in each, every subject runs once per concurrency, in an order that changes each round (a Williams design: positions and predecessors balanced). */
  rounds: number;
  /**
   * Worker processes per subject over the run (`BENCH_PROCESSES`): each serves an equal share of
   * the rounds, then a fresh one (warmed up again) takes over, so the rounds sample processes too.
   */
  processes: number;
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
 *
 * Why 5 processes per subject: one process per subject made a run's verdict hang on that process's
 * luck. Two identical traced gRPC workers in one run read 148.7 and 162.6 µs of client CPU per call
 * (and 13 % apart in throughput), every round of each alike, so the rounds' confidence interval
 * could not show it, and the same comparison read 0.77 and 0.96 in two runs of the same code an hour
 * apart. A fresh process every few rounds puts that spread into the rounds, where the median and the
 * range see it; the confidence interval only partly, as it takes the rounds as independent while the
 * rounds of one process share its luck (see medianInterval).
 */
export function transportRunConfig(environment: NodeJS.ProcessEnv): TransportRunConfig {
  const quick = isQuick(environment);
  const rounds = quick ? 2 : roundsFrom(environment.BENCH_ROUNDS);
  return {
    quick,
    rounds,
    processes: quick ? 1 : processesFrom(environment.BENCH_PROCESSES, rounds),
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
