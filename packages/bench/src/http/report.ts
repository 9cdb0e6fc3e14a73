import { type ReportHeader, renderHeader } from '../report-header.js';
import { markdownTable } from '../table.js';
import type { ProfiledSubject } from '../transport/bench-main.js';
import type { SinkTally } from '../transport/otlp-sink.js';
import { profileSection, type TracedService, tracingTable } from '../transport/report-parts.js';
import type { SubjectRuns } from '../transport/rounds.js';
import {
  type Comparison,
  type ComparisonSpec,
  comparisonsTable,
  resultsTable,
  type SubjectSummary,
} from '../transport/summary.js';
import type { HttpSubjectSpec } from './catalog.js';
import type { HttpBenchConfig } from './config.js';

/** Everything needed to read, reproduce and compare one run; written as http.json. */
export interface HttpReport extends ReportHeader {
  config: HttpBenchConfig;
  subjects: HttpSubjectSpec[];
  summaries: SubjectSummary[];
  comparisons: Comparison[];
  sink: { endpoint: string; tallies: Record<string, SinkTally>; rejected: number };
  tracedServices: TracedService[];
  loadDuringRuns: { min: number; max: number };
  profiles: ProfiledSubject[];
  /** Every run of every subject (JSON only). */
  results: SubjectRuns[];
}

/** The comparisons the issue asks for: Switchyard, tracing off and on, over raw undici at each concurrency. */
export function httpComparisons(config: HttpBenchConfig): ComparisonSpec[] {
  return config.concurrencies.flatMap((concurrency) => [
    {
      label: 'switchyard / undici',
      numerator: 'switchyard',
      denominator: 'undici',
      concurrency,
      target: config.targets.untracedVsRaw,
    },
    {
      label: 'switchyard-traced / undici',
      numerator: 'switchyard-traced',
      denominator: 'undici',
      concurrency,
      target: config.targets.tracedVsRaw,
    },
    { label: 'switchyard-traced / switchyard', numerator: 'switchyard-traced', denominator: 'switchyard', concurrency },
    { label: 'switchyard-no-policy / undici', numerator: 'switchyard-no-policy', denominator: 'undici', concurrency },
  ]);
}

export function renderHttpReport(report: HttpReport): string {
  const { config } = report;
  const lines = [
    ...renderHeader(report),
    `Load average (1 min) read after each run: ${report.loadDuringRuns.min}–${report.loadDuringRuns.max}. On a shared 2-core machine the client, the server and everything else compete for the cores: read the figures next to the load.`,
    '',
    `\`POST /echo\` with a small JSON body over loopback (HTTP/1.1): every client subject in its own process (one worker per subject), one plain \`node:http\` JSON echo server in another, the same for every subject. ${config.rounds} rounds; in each, every subject runs a ${config.runMs} ms closed loop at c=1, then at c=64, in an order rotated each round, after ${config.warmupMs} ms of warm-up per concurrency. calls/s: median (min–max) over the rounds; p50/p99: median over the rounds of each run's percentile; CPU: \`process.cpuUsage()\` of the client worker (and of the server) over the run, per call, median over the rounds.`,
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
    'Throughput ratio, paired by round (both subjects measured in the same round); the verdict reads the median.',
    '',
    comparisonsTable(report.comparisons),
    '',
  );
  if (report.tracedServices.length > 0) {
    lines.push(
      '### Spans exported to the local OTLP sink',
      '',
      'Calls made over the worker\'s life (warm-up included) against the spans the sink decoded for that `service.name`. "Dropped" is what the batch processor reported dropping when its queue (2,048) was full.',
      '',
      tracingTable(report.results, report.sink.tallies, report.tracedServices),
      '',
    );
  }
  for (const profiled of report.profiles) lines.push(...profileSection(profiled));
  return `${lines.join('\n')}\n`;
}
