import { isQuick, listFromEnv } from '../transport/bench-env.js';

/** Sizes of one `pnpm bench:discovery` run. */
export interface DiscoveryBenchConfig {
  quick: boolean;
  pick: PickCostConfig;
  simulation: SimulationConfig;
}

/** The pick-cost benchmark: each balancer in its own child process, measured in alternating rounds. */
export interface PickCostConfig {
  /** Built-in balancer names; `maglev` is picked with a key. */
  balancers: readonly string[];
  /** Instances in the view. */
  sizes: readonly number[];
  /** Timed runs of every measurement in each process; the report gives the median and range of all. */
  rounds: number;
  /**
   * Child processes per balancer. V8's inlining decisions differ from one process to the next, and a
   * hot loop near the inlining budget lands in a fast or a slow mode for the life of the process
   * (p2c-ewma at 10,000 instances: ~85 or ~125 ns), so rounds within one process understate the spread.
   */
  processes: number;
  /** Warm-up per measurement before the first round (also calibrates the operations per run). */
  warmupMs: number;
  /** Target length of one timed run. */
  runMs: number;
  /** Picks (with `done`) between the two heap readings of the allocation check... */
  allocationPicks: number;
  /** ...unless that would take longer than this (the O(n) `weighted` at 10,000 instances). */
  allocationBudgetMs: number;
  /** Instances of the allocation check. */
  allocationSize: number;
  /** Target for `round-robin` and `p2c-ewma` at the largest size, pick + done. */
  targetNs: number;
  targetBalancers: readonly string[];
}

/** The balancing-quality simulation (`simulateBalancing` from `@switchyard/discovery/testing`). */
export interface SimulationConfig {
  /** Maglev is sticky by key, so it has no place in a keyless load comparison. */
  balancers: readonly string[];
  /** Mean service time of each backend; one is 10× slower. */
  latenciesMs: readonly number[];
  concurrencies: readonly number[];
  requests: number;
  /** Each seed drives Math.random for one run (service times and the balancers' random choices). */
  seeds: readonly number[];
}

const PICK_BALANCERS: readonly string[] = [
  'round-robin',
  'random',
  'weighted',
  'least-outstanding',
  'p2c-ewma',
  'maglev',
];

/**
 * The default run takes about a minute. `BENCH_QUICK=1` shortens every run and uses fewer rounds and
 * seeds, to prove the benchmark still works; its figures are noisy. The environment is read here, when
 * called, not at import time. `BENCH_ONLY=p2c-ewma,round-robin` measures only those balancers.
 */
export function discoveryBenchConfig(environment: NodeJS.ProcessEnv = process.env): DiscoveryBenchConfig {
  const quick = isQuick(environment);
  const only = listFromEnv(environment.BENCH_ONLY);
  const selected = (names: readonly string[]): readonly string[] =>
    only.length === 0 ? names : names.filter((name) => only.includes(name));
  const unknown = only.filter((name) => !PICK_BALANCERS.includes(name));
  if (unknown.length > 0) {
    throw new Error(`BENCH_ONLY: unknown balancer ${unknown.join(', ')}; known: ${PICK_BALANCERS.join(', ')}`);
  }
  return {
    quick,
    pick: {
      balancers: selected(PICK_BALANCERS),
      sizes: [3, 100, 10_000],
      rounds: quick ? 3 : 5,
      processes: quick ? 1 : 3,
      warmupMs: quick ? 100 : 300,
      runMs: quick ? 30 : 100,
      allocationPicks: quick ? 1_000_000 : 5_000_000,
      allocationBudgetMs: quick ? 500 : 2_000,
      allocationSize: 10_000,
      targetNs: 100,
      targetBalancers: ['round-robin', 'p2c-ewma'],
    },
    simulation: {
      balancers: selected(PICK_BALANCERS.filter((name) => name !== 'maglev')),
      latenciesMs: [10, 10, 10, 10, 100],
      concurrencies: [16, 32],
      requests: 20_000,
      seeds: quick ? [1, 2, 3] : [1, 2, 3, 4, 5, 6, 7, 8, 9],
    },
  };
}
