import { formatInterval, formatSpread, type ReportHeader, renderHeader } from '../report-header.js';
import type { MedianInterval, Spread } from '../stats.js';
import { markdownTable } from '../table.js';
import type { BalancingResult } from './balancing-quality.js';
import type { DiscoveryBenchConfig } from './config.js';
import type { PickCostResult, PickCostRow } from './pick-cost.js';

/** Everything needed to read, reproduce and compare one run; written as discovery.json. */
export interface DiscoveryReport extends ReportHeader {
  config: DiscoveryBenchConfig;
  pickCost: PickCostResult;
  balancing: BalancingResult;
  verdicts: Verdicts;
}

export interface Verdicts {
  /** Per target balancer: median pick + done at the largest size, and whether it is within the target. */
  pickTarget: {
    balancer: string;
    instances: number;
    medianNs: number;
    /** 95 % interval of that median: when it straddles the target, another run could read the other way. */
    interval: MedianInterval | undefined;
    targetNs: number;
    met: boolean;
  }[];
  /** Per balancer: heap growth over the allocation check, and whether it stayed within the noise allowance. */
  allocation: { balancer: string; growthBytes: number; allowanceBytes: number; met: boolean }[];
}

/**
 * Heap growth accepted as noise after forced GCs: V8 keeps some feedback and code-related bookkeeping
 * that varies by a few KiB between readings. Per-pick retention would be megabytes (5 M picks).
 */
export const HEAP_GROWTH_ALLOWANCE_BYTES = 64 * 1024;

export function verdicts(config: DiscoveryBenchConfig, pickCost: PickCostResult): Verdicts {
  const largest = Math.max(...config.pick.sizes);
  return {
    pickTarget: config.pick.targetBalancers.map((balancer) => {
      const row = pickCost.rows.find((candidate) => candidate.balancer === balancer && candidate.instances === largest);
      const medianNs = row?.pickAndDoneNs.median ?? Number.NaN;
      return {
        balancer,
        instances: largest,
        medianNs,
        interval: row?.pickAndDoneInterval,
        targetNs: config.pick.targetNs,
        met: medianNs <= config.pick.targetNs,
      };
    }),
    allocation: pickCost.allocation.map((sample) => {
      const growthBytes = sample.heapAfterBytes - sample.heapBeforeBytes;
      return {
        balancer: sample.balancer,
        growthBytes,
        allowanceBytes: HEAP_GROWTH_ALLOWANCE_BYTES,
        met: growthBytes <= HEAP_GROWTH_ALLOWANCE_BYTES,
      };
    }),
  };
}

export function renderReport(report: DiscoveryReport): string {
  const { config, pickCost, balancing } = report;
  const target = config.pick.targetNs;
  const targetOf = (row: PickCostRow): string => {
    const verdict = report.verdicts.pickTarget.find(
      (candidate) => candidate.balancer === row.balancer && candidate.instances === row.instances,
    );
    return verdict ? (verdict.met ? `met (≤ ${target})` : `MISSED (> ${target})`) : '';
  };
  const pickRows = pickCost.rows.map((row) => [
    row.balancer,
    row.instances.toLocaleString('en-US'),
    formatSpread(row.pickAndDoneNs),
    formatInterval(row.pickAndDoneInterval),
    formatSpread(row.pickNs),
    formatSpread(row.doneNs),
    formatSpread(row.pickerNs),
    targetOf(row),
  ]);
  const allocationRows = pickCost.allocation.map((sample) => {
    const growth = sample.heapAfterBytes - sample.heapBeforeBytes;
    const verdict = report.verdicts.allocation.find((candidate) => candidate.balancer === sample.balancer);
    return [
      sample.balancer,
      sample.instances.toLocaleString('en-US'),
      sample.picks.toLocaleString('en-US'),
      sample.heapBeforeBytes.toLocaleString('en-US'),
      sample.heapAfterBytes.toLocaleString('en-US'),
      growth.toLocaleString('en-US'),
      sample.minorGcs.toLocaleString('en-US'),
      sample.allocatedBytesPerPick.toFixed(1),
      verdict?.met ? 'no growth' : 'GREW',
    ];
  });
  const percent = (value: Spread): Spread => ({
    median: value.median * 100,
    min: value.min * 100,
    max: value.max * 100,
  });
  const balancingRows = balancing.rows.map((row) => [
    row.concurrency.toString(),
    row.balancer,
    formatSpread(percent(row.slowShare), 1),
    row.p50Ms.median.toFixed(1),
    formatSpread(row.p99Ms, 1),
    row.meanMs.median.toFixed(2),
    formatSpread(row.allFastP99Ms, 1),
  ]);
  const simulation = config.simulation;
  return [
    ...renderHeader(report),
    `### Pick cost, ns per operation: median (min–max) of ${config.pick.rounds * config.pick.processes} runs (${config.pick.rounds} rounds in each of ${config.pick.processes} processes per balancer)`,
    '',
    'Each balancer runs in its own child processes (its hot path compiled for it alone), several of them, because V8 ' +
      'compiles the same loop differently from one process to the next (a loop near the inlining budget stays fast or ' +
      'slow for the life of its process); rounds alternate between all processes.',
    '`pick + done` is `discovery.pick()` then `lease.done({ ok: true, latencyMs: 1 })` (outlier detection on, the default);',
    '`pick()` and `done()` are the same calls timed apart in batches of 256; `picker.pick()` is the balancer alone',
    `over the same endpoints. maglev picks by key (${(4_096).toLocaleString('en-US')} keys, cycled).`,
    'The 95 % interval of the pick + done median is the sign-test interval over all runs (no assumption about their',
    'distribution): where it straddles the target, another run could read the other way. At 10,000 instances almost',
    'every pick lands on endpoints whose memory is not in the nearest caches, so that row moves with the memory traffic',
    'of the machine more than with the code; the balancer alone (`picker.pick()`) reads less, and a tight loop of it',
    'lets the processor overlap the reads of successive picks.',
    '',
    markdownTable(
      [
        'Balancer',
        'Instances',
        'pick + done',
        '95 % CI of that median',
        'pick()',
        'done()',
        'picker.pick()',
        `Target (${config.pick.targetBalancers.join(', ')})`,
      ],
      pickRows,
    ),
    '',
    `### Allocation: heap after forced GC, before and after the picks (${config.pick.allocationSize.toLocaleString('en-US')} instances)`,
    '',
    `Pick + done calls, capped at ${config.pick.allocationBudgetMs.toLocaleString('en-US')} ms of work (the O(n) weighted balancer). "no growth": growth ≤`,
    `${(HEAP_GROWTH_ALLOWANCE_BYTES / 1024).toFixed(0)} KiB, the noise of two heap readings. Scavenges: minor GCs during the picks (the leases are`,
    `short-lived garbage). B/pick: bytes allocated per pick + done, from new-space usage around ${(pickCost.allocation[0]?.probePicks ?? 0).toLocaleString('en-US')} picks`,
    'with no GC in between (workers run with a fixed 16 MiB semi-space).',
    '',
    markdownTable(
      [
        'Balancer',
        'Instances',
        'Picks',
        'Heap before (B)',
        'Heap after (B)',
        'Growth (B)',
        'Scavenges',
        'B/pick allocated',
        'Verdict',
      ],
      allocationRows,
    ),
    '',
    `### Balancing quality: ${simulation.latenciesMs.length} backends (${simulation.latenciesMs.join(', ')} ms), closed loop, ${simulation.requests.toLocaleString('en-US')} requests, median (min–max) of ${simulation.seeds.length} seeds`,
    '',
    '`simulateBalancing` from `@switchyard/discovery/testing` (virtual time, each backend serves 4 at once, service times ±50 %).',
    '`oracle` knows the true speeds. "All-fast p99" is the same balancer with every backend fast: the reference p99.',
    'maglev is left out: it is sticky by key, and a keyless simulation sends it all traffic to one backend.',
    '',
    markdownTable(
      ['Concurrency', 'Balancer', 'Slow share (%)', 'p50 (ms)', 'p99 (ms)', 'Mean (ms)', 'All-fast p99 (ms)'],
      balancingRows,
    ),
    '',
  ].join('\n');
}
