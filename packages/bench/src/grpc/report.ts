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
import type { GrpcSubjectSpec } from './catalog.js';
import { type ChannelSweep, channelLines } from './channels.js';
import type { GrpcBenchConfig } from './config.js';

/** Everything needed to read, reproduce and compare one run; written as grpc.json. */
export interface GrpcReport extends ReportHeader {
  config: GrpcBenchConfig;
  sdkDefaultChannels: number;
  subjects: GrpcSubjectSpec[];
  summaries: SubjectSummary[];
  comparisons: Comparison[];
  channels: ChannelSweep;
  sink: { endpoint: string; tallies: Record<string, SinkTally>; rejected: number };
  tracedServices: TracedService[];
  loadDuringRuns: { min: number; max: number };
  profiles: ProfiledSubject[];
  /** Every run of every subject (JSON only). */
  results: SubjectRuns[];
}

/** The comparisons the issue asks for, those with targets first. */
export function grpcComparisons(config: GrpcBenchConfig, sdkChannels: number): ComparisonSpec[] {
  const { targets } = config;
  const same = `grpc-js-${sdkChannels}ch`;
  const specs: ComparisonSpec[] = [
    {
      label: 'switchyard / grpc-js-1ch',
      numerator: 'switchyard',
      denominator: 'grpc-js-1ch',
      concurrency: 64,
      target: targets.sdkVsRawSingleChannel,
    },
    {
      label: `switchyard / ${same} (same channels)`,
      numerator: 'switchyard',
      denominator: same,
      concurrency: 64,
      target: targets.sdkVsRawSameChannels,
    },
    {
      label: 'switchyard / grpc-js-1ch',
      numerator: 'switchyard',
      denominator: 'grpc-js-1ch',
      concurrency: 1,
      target: targets.sdkVsRawSequential,
    },
    {
      label: 'switchyard-traced / switchyard',
      numerator: 'switchyard-traced',
      denominator: 'switchyard',
      concurrency: 64,
      target: targets.tracedVsUntraced,
    },
    {
      label: 'switchyard-traced / switchyard',
      numerator: 'switchyard-traced',
      denominator: 'switchyard',
      concurrency: 1,
      target: targets.tracedVsUntraced,
    },
    { label: `switchyard / ${same}`, numerator: 'switchyard', denominator: same, concurrency: 1 },
    {
      label: 'switchyard-traced / grpc-js-1ch',
      numerator: 'switchyard-traced',
      denominator: 'grpc-js-1ch',
      concurrency: 64,
    },
    {
      label: 'switchyard-traced / grpc-js-1ch',
      numerator: 'switchyard-traced',
      denominator: 'grpc-js-1ch',
      concurrency: 1,
    },
  ];
  for (const concurrency of config.concurrencies) {
    specs.push(
      { label: 'cockatiel / grpc-js-1ch', numerator: 'cockatiel', denominator: 'grpc-js-1ch', concurrency },
      {
        label: 'otel-instrumented / grpc-js-1ch',
        numerator: 'otel-instrumented',
        denominator: 'grpc-js-1ch',
        concurrency,
      },
      {
        label: 'grpc-js-1ch-deadline / grpc-js-1ch',
        numerator: 'grpc-js-1ch-deadline',
        denominator: 'grpc-js-1ch',
        concurrency,
      },
      { label: `${same}-deadline / ${same}`, numerator: `${same}-deadline`, denominator: same, concurrency },
    );
  }
  return specs;
}

export function renderGrpcReport(report: GrpcReport): string {
  const { config } = report;
  const lines = [
    ...renderHeader(report),
    `Load average (1 min) read after each run: ${report.loadDuringRuns.min}–${report.loadDuringRuns.max}. On a shared 2-core machine the client, the server and everything else compete for the cores: read the figures next to the load.`,
    '',
    `Unary \`switchyard.echo.v1.Echo/Say\` over loopback: every client subject in its own process (one worker per subject), a plain grpc-js server in another (the same server process for every subject but \`otel-instrumented\`, which calls an instrumented twin). ${config.rounds} rounds; in each, every subject runs a ${config.runMs} ms closed loop at c=1, then at c=64, in an order rotated each round, after ${config.warmupMs} ms of warm-up per concurrency. calls/s: median (min–max) over the rounds; p50/p99: median over the rounds of each run's percentile; CPU: \`process.cpuUsage()\` of the client worker (and of the server) over the run, per call, median over the rounds.`,
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
  lines.push(...channelLines(report.channels, report.sdkDefaultChannels));
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
  const notes = report.results.flatMap((result) => result.notes.map((note) => `- ${result.id}: ${note}`));
  if (notes.length > 0) lines.push('### Checks', '', ...notes, '');
  return `${lines.join('\n')}\n`;
}
