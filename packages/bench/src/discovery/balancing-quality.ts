import { builtInBalancers } from '@switchyard/discovery';
import { type SimulationResult, simulateBalancing } from '@switchyard/discovery/testing';
import { withSeededRandom } from '../seeded-random.js';
import { type Spread, spread } from '../stats.js';
import type { SimulationConfig } from './config.js';

/** One balancer (or the oracle) at one concurrency, over all seeds. */
export interface BalancingRow {
  balancer: string;
  concurrency: number;
  /** Share of requests sent to the slow backend (0..1). */
  slowShare: Spread;
  p50Ms: Spread;
  p99Ms: Spread;
  meanMs: Spread;
  /** The same balancer with every backend fast: the p99 the slow backend is to be compared with. */
  allFastP99Ms: Spread;
}

export interface BalancingResult {
  rows: BalancingRow[];
  /** Raw results per row, in seed order (JSON only). */
  runs: { balancer: string; concurrency: number; slow: SimulationResult[]; allFast: SimulationResult[] }[];
}

/**
 * `simulateBalancing` (virtual time, closed loop) with 4 fast backends and one 10× slower, per balancer
 * and concurrency, once per seed; plus the same with all 5 fast. `oracle` knows the true speeds and
 * picks the least expected completion time: the bound a balancer that only observes can approach.
 */
export function measureBalancing(config: SimulationConfig): BalancingResult {
  const slowIndex = config.latenciesMs.indexOf(Math.max(...config.latenciesMs));
  const backends = config.latenciesMs.map((latencyMs) => ({ latencyMs }));
  const fastBackends = config.latenciesMs.map(() => ({ latencyMs: Math.min(...config.latenciesMs) }));
  const registry = builtInBalancers();
  const rows: BalancingRow[] = [];
  const runs: BalancingResult['runs'] = [];
  for (const concurrency of config.concurrencies) {
    for (const balancer of [...config.balancers, 'oracle']) {
      const simulate = (seed: number, list: typeof backends): SimulationResult =>
        withSeededRandom(seed, () =>
          simulateBalancing({
            backends: list,
            balancer: balancer === 'oracle' ? 'oracle' : registry.create(balancer),
            concurrency,
            requests: config.requests,
          }),
        );
      const slow = config.seeds.map((seed) => simulate(seed, backends));
      const allFast = config.seeds.map((seed) => simulate(seed, fastBackends));
      rows.push({
        balancer,
        concurrency,
        slowShare: spread(slow.map((result) => result.share[slowIndex] ?? 0)),
        p50Ms: spread(slow.map((result) => result.p50Ms)),
        p99Ms: spread(slow.map((result) => result.p99Ms)),
        meanMs: spread(slow.map((result) => result.meanMs)),
        allFastP99Ms: spread(allFast.map((result) => result.p99Ms)),
      });
      runs.push({ balancer, concurrency, slow, allFast });
    }
  }
  return { rows, runs };
}
