/**
 * `pnpm bench:resilience`: the overhead per call of Switchyard's resilience policies (composed, and each
 * alone) next to cockatiel and opossum and a bare `await`, in one process, in alternating rounds, with
 * calls one at a time and 100 at once. Runs compiled (see the README): prints a markdown report and
 * writes results/resilience.json. `BENCH_QUICK=1` runs a smoke-sized version. Exits non-zero on any error.
 */
import { performance } from 'node:perf_hooks';
import { pendingDeadlineTimers } from '@switchyard/resilience';
import { progressLog, resultsFile, runMain, writeResults } from '../bench-main.js';
import { machineInfo } from '../machine.js';
import { finishHeader } from '../report-header.js';
import { spread } from '../stats.js';
import { packageVersions, sourceRevision } from '../versions.js';
import { resilienceBenchConfig } from './config.js';
import { collectGarbage, type Mode, timeCalls, warmUp } from './measure.js';
import { type ResilienceReport, renderReport, type SubjectResult, verdicts } from './report.js';
import { createSubjects, selectSubjects } from './subjects.js';

const COMMAND = 'pnpm bench:resilience';
const MODES: readonly Mode[] = ['sequential', 'concurrent'];

async function main(): Promise<void> {
  const config = resilienceBenchConfig();
  const machine = machineInfo();
  // The revision measured is the one built just before this process started: read it now, not
  // after a run of minutes in a tree where commits land every few minutes.
  const source = sourceRevision();
  const startedAt = new Date();
  const started = performance.now();
  const log = progressLog(started);
  if (!(globalThis as { gc?: unknown }).gc) log('warning: run with node --expose-gc for a full GC between runs');
  const all = createSubjects();
  const subjects = selectSubjects(all, config.only);

  const calls = new Map<string, number>();
  for (const subject of subjects) {
    for (const mode of MODES) calls.set(`${subject.id}/${mode}`, await warmUp(mode, subject.call, config));
    log(`warmed up ${subject.id}`);
  }
  const rounds = new Map(
    subjects.map((subject) => [subject.id, { sequential: [] as number[], concurrent: [] as number[] }]),
  );
  for (let round = 0; round < config.rounds; round++) {
    log(`round ${round + 1} of ${config.rounds}`);
    for (const mode of MODES) {
      for (let step = 0; step < subjects.length; step++) {
        const subject = subjects[(round + step) % subjects.length] as (typeof subjects)[number];
        collectGarbage();
        const ns = await timeCalls(mode, subject.call, calls.get(`${subject.id}/${mode}`) as number, config.batch);
        rounds.get(subject.id)?.[mode].push(ns);
      }
    }
  }
  for (const subject of all) subject.close?.();

  const results: SubjectResult[] = subjects.map((subject) => {
    const samples = rounds.get(subject.id) ?? { sequential: [], concurrent: [] };
    return {
      id: subject.id,
      library: subject.library,
      label: subject.label,
      competitor: subject.competitor === true,
      ns: { sequential: spread(samples.sequential), concurrent: spread(samples.concurrent) },
      rounds: samples,
    };
  });
  const report: ResilienceReport = {
    ...finishHeader(
      {
        title: 'Switchyard resilience benchmark',
        command: COMMAND,
        quick: config.quick,
        startedAt: startedAt.toISOString(),
        machine,
        versions: {
          ...packageVersions(['@switchyard/resilience', '@switchyard/core', 'cockatiel', 'opossum']),
          source,
        },
      },
      started,
    ),
    config,
    subjects: results,
    verdicts: verdicts(config, results),
    pendingDeadlineTimers: pendingDeadlineTimers(),
  };
  process.stdout.write(renderReport(report));
  const file = resultsFile('resilience');
  await writeResults(file, report);
  log(`wrote ${file.pathname}`);
  if (report.pendingDeadlineTimers !== 0) {
    throw new Error(`${report.pendingDeadlineTimers} deadline timers still pending after every call settled`);
  }
}

runMain('bench:resilience', main);
