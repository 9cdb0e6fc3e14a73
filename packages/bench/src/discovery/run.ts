/**
 * `pnpm bench:discovery`: what a pick costs with each balancer at 3, 100 and 10,000 instances, whether
 * picking leaves anything behind on the heap, and how well each balancer avoids a slow instance in a
 * simulation. Runs compiled (see the README): prints a markdown report and writes results/discovery.json.
 * `BENCH_QUICK=1` runs a smoke-sized version. Exits non-zero on any error.
 */
import { performance } from 'node:perf_hooks';
import { progressLog, resultsFile, runMain, writeResults } from '../bench-main.js';
import { machineInfo } from '../machine.js';
import { finishHeader } from '../report-header.js';
import { packageVersions, sourceRevision } from '../versions.js';
import { measureBalancing } from './balancing-quality.js';
import { discoveryBenchConfig } from './config.js';
import { measurePickCost } from './pick-cost.js';
import { type DiscoveryReport, renderReport, verdicts } from './report.js';

const COMMAND = 'pnpm bench:discovery';

async function main(): Promise<void> {
  const config = discoveryBenchConfig();
  const machine = machineInfo();
  // The revision measured is the one built just before this process started: read it now, not
  // after a run of minutes in a tree where commits land every few minutes.
  const source = sourceRevision();
  const startedAt = new Date();
  const started = performance.now();
  const log = progressLog(started);
  log('— pick cost');
  const pickCost = await measurePickCost(config.pick, log);
  log('— balancing quality (simulation)');
  const balancing = measureBalancing(config.simulation);
  const report: DiscoveryReport = {
    ...finishHeader(
      {
        title: 'Switchyard discovery benchmark',
        command: COMMAND,
        quick: config.quick,
        startedAt: startedAt.toISOString(),
        machine,
        versions: {
          ...packageVersions(['@switchyard/discovery', '@switchyard/registry', '@switchyard/core']),
          source,
        },
      },
      started,
    ),
    config,
    pickCost,
    balancing,
    verdicts: verdicts(config, pickCost),
  };
  process.stdout.write(renderReport(report));
  const file = resultsFile('discovery');
  await writeResults(file, report);
  log(`wrote ${file.pathname}`);
}

runMain('bench:discovery', main);
