import { tracingAttribution } from '../transport/attribution.js';
import type { ComparisonSpec } from '../transport/summary.js';
import { renderTransportReport, type TransportReport } from '../transport/transport-report.js';
import type { HttpSubjectSpec } from './catalog.js';
import type { HttpBenchConfig } from './config.js';

/** Everything needed to read, reproduce and compare one run; written as http.json. */
export interface HttpReport extends TransportReport {
  config: HttpBenchConfig;
  subjects: HttpSubjectSpec[];
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
    // Traced with the alternative: OpenTelemetry's own undici instrumentation, the same exporter.
    {
      label: 'switchyard-traced / undici-otel',
      numerator: 'switchyard-traced',
      denominator: 'undici-otel',
      concurrency,
    },
    {
      label: 'switchyard-traced-sampled / undici',
      numerator: 'switchyard-traced-sampled',
      denominator: 'undici',
      concurrency,
    },
    { label: 'undici-otel / undici', numerator: 'undici-otel', denominator: 'undici', concurrency },
    { label: 'undici-traceparent / undici', numerator: 'undici-traceparent', denominator: 'undici', concurrency },
    { label: 'switchyard-no-policy / undici', numerator: 'switchyard-no-policy', denominator: 'undici', concurrency },
    ...tracingAttribution(concurrency),
  ]);
}

export function renderHttpReport(report: HttpReport): string {
  return renderTransportReport(
    report,
    '`POST /echo` with a small JSON body over loopback (HTTP/1.1): every client subject in worker processes of its own (one at a time), one plain `node:http` JSON echo server in another, the same for every subject.',
  );
}
