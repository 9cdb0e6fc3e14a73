import { tracingAttribution } from '../transport/attribution.js';
import type { ComparisonSpec } from '../transport/summary.js';
import { renderTransportReport, type TransportReport } from '../transport/transport-report.js';
import type { GrpcSubjectSpec } from './catalog.js';
import { type ChannelSweep, channelLines } from './channels.js';
import type { GrpcBenchConfig } from './config.js';

/** Everything needed to read, reproduce and compare one run; written as grpc.json. */
export interface GrpcReport extends TransportReport {
  config: GrpcBenchConfig;
  sdkDefaultChannels: number;
  subjects: GrpcSubjectSpec[];
  channels: ChannelSweep;
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
        label: 'switchyard-traced-sampled / switchyard',
        numerator: 'switchyard-traced-sampled',
        denominator: 'switchyard',
        concurrency,
      },
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
      {
        label: `${same}-traceparent / ${same}`,
        numerator: `${same}-traceparent`,
        denominator: same,
        concurrency,
      },
      {
        label: 'grpc-js-1ch-no-channelz / grpc-js-1ch',
        numerator: 'grpc-js-1ch-no-channelz',
        denominator: 'grpc-js-1ch',
        concurrency,
      },
      {
        label: 'switchyard / grpc-js-1ch-no-channelz',
        numerator: 'switchyard',
        denominator: 'grpc-js-1ch-no-channelz',
        concurrency,
      },
      ...tracingAttribution(concurrency),
    );
  }
  return specs;
}

export function renderGrpcReport(report: GrpcReport): string {
  return renderTransportReport(
    report,
    'Unary `switchyard.echo.v1.Echo/Say` over loopback: every client subject in worker processes of its own (one at a time), a plain grpc-js server in another (the same server process for every subject but `otel-instrumented`, which calls an instrumented twin).',
    channelLines(report.channels, report.sdkDefaultChannels),
  );
}
