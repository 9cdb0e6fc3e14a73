import { type ReportHeader, renderHeader } from '../report-header.js';
import { markdownTable } from '../table.js';
import type { ProfiledSubject } from './bench-main.js';
import type { SinkTally } from './otlp-sink.js';
import { profileSection, type TracedService, tracingTable } from './report-parts.js';
import type { SubjectRuns } from './rounds.js';
import { type Comparison, comparisonsTable, resultsTable, type SubjectSummary } from './summary.js';

/** What the gRPC and HTTP reports share: the runs, their summaries, ratios, exported spans and profiles. */
export interface TransportReport extends ReportHeader {
  config: { rounds: number; processes: number; runMs: number; warmupMs: number; concurrencies: readonly number[] };
  subjects: readonly { id: string; label: string }[];
  summaries: SubjectSummary[];
  comparisons: Comparison[];
  sink: { endpoint: string; tallies: Record<string, SinkTally>; rejected: number };
  tracedServices: TracedService[];
  loadDuringRuns: { min: number; max: number };
  profiles: ProfiledSubject[];
  /** Every run of every subject (JSON only). */
  results: SubjectRuns[];
}

/**
 * A transport benchmark's markdown report. `workload` names what is called and which server
 * answers; `afterComparisons` adds the benchmark's own sections (the gRPC channel sweep) after the
 * ratio table. Subject notes, if any, close the report.
 */
export function renderTransportReport(
  report: TransportReport,
  workload: string,
  afterComparisons: readonly string[] = [],
): string {
  const { config } = report;
  const lines = [
    ...renderHeader(report),
    `Load average (1 min) read after each run: ${report.loadDuringRuns.min}–${report.loadDuringRuns.max}. On a shared 2-core machine the client, the server and everything else compete for the cores: read the figures next to the load.`,
    '',
    `${workload} ${config.rounds} rounds; in each, every subject runs a ${config.runMs} ms closed loop at c=1, then at c=64, in an order that changes each round (a Williams design, so every subject runs in every position and after every other subject equally often), after ${config.warmupMs} ms of warm-up per concurrency. ${processesSentence(config.processes)} calls/s: median (min–max) over the rounds; p50/p99: median over the rounds of each run's percentile; CPU: \`process.cpuUsage()\` of the client worker (and of the server) over the run, per call, median over the rounds; of it, the client's main thread (the kernel's scheduler statistics for that thread; the rest went to its OTLP exporting thread and V8's garbage-collection helpers) and its garbage-collection pauses.`,
    '',
    '### Subjects',
    '',
    markdownTable(
      ['Subject', 'What'],
      report.subjects.map((subject) => [subject.id, subject.label]),
    ),
    '',
  ];
  for (const concurrency of config.concurrencies) {
    lines.push(`### Concurrency ${concurrency}`, '', resultsTable(report.summaries, concurrency), '');
  }
  lines.push(
    '### Ratios and targets',
    '',
    'Throughput ratio, paired by round (both subjects measured in the same round); the verdict reads the median. ' +
      'Its 95 % confidence interval (sign test, no assumption about the distribution) is where the true median lies if ' +
      "the rounds are independent; rounds run by one worker process share its luck, which makes the interval too narrow, and another run's " +
      'median scatters around the true one as much again. A verdict whose interval straddles the target could have gone either way; one ' +
      'that clears it narrowly could too.',
    '',
    comparisonsTable(report.comparisons),
    '',
    ...afterComparisons,
  );
  if (report.tracedServices.length > 0) {
    lines.push(
      '### Spans exported to the local OTLP sink',
      '',
      'Calls made over the worker\'s life (warm-up included) against the spans the sink decoded for that `service.name`. "Dropped" is what the batch processor reported dropping when its queue (2,048) was full (it reports drops when it next accepts a span, so drops in a worker\'s last run go unreported: spans / call still shows them).',
      '',
      tracingTable(report.results, report.sink.tallies, report.tracedServices),
      '',
    );
  }
  // The sink answers a request it cannot read 200 all the same (the exporter neither retries nor
  // reports an error), so without this line its spans would just be missing from "spans received".
  if (report.sink.rejected > 0) {
    const requests = report.sink.rejected === 1 ? '1 export request' : `${report.sink.rejected} export requests`;
    lines.push(
      `**The OTLP sink could not decode ${requests}** (or they were not \`POST /v1/traces\`): their spans are not in "spans received".`,
      '',
    );
  }
  for (const profiled of report.profiles) lines.push(...profileSection(profiled));
  const notes = report.results.flatMap((result) => result.notes.map((note) => `- ${result.id}: ${note}`));
  if (notes.length > 0) lines.push('### Checks', '', ...notes, '');
  return `${lines.join('\n')}\n`;
}

/** How the rounds sampled worker processes, for the method paragraph. */
function processesSentence(processes: number): string {
  if (processes <= 1) return 'Each subject kept one worker process for the whole run.';
  return `Each subject went through ${processes} worker processes, one per equal block of rounds, each warmed up as above (a profiled subject keeps one), so that one process's luck (how V8 compiled its hot paths) does not decide the run.`;
}
