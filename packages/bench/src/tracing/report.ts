import { formatSpread, type ReportHeader, renderHeader } from '../report-header.js';
import { type Spread, spread } from '../stats.js';
import { markdownTable } from '../table.js';

export interface TracingReport extends ReportHeader {
  config: { batchSize: number; errorShare: number; rounds: number; passesPerRound: number };
  bytesPerSpan: number;
  subjects: { id: string; label: string; nsPerSpan: Spread; rounds: number[] }[];
}

/** The report as markdown: subjects, ns per span, and the ratio paired by round. */
export function renderReport(report: TracingReport): string {
  const { config } = report;
  const byId = new Map(report.subjects.map((subject) => [subject.id, subject]));
  const official = byId.get('official');
  const ours = byId.get('switchyard');
  const paired =
    official && ours
      ? official.rounds.map((ns, round) => ns / (ours.rounds[round] as number)).sort((a, b) => a - b)
      : [];
  // The same median as every other figure (spread): with an even count, the mean of the two middle ratios.
  const median = paired.length > 0 ? spread(paired).median : Number.NaN;
  return [
    ...renderHeader(report),
    `Encoding one export request (\`ExportTraceServiceRequest\`, protobuf) of ${config.batchSize} real CLIENT attempt spans ` +
      `(${Math.round(config.errorShare * 100)} % failed, with an exception event; ${report.bytesPerSpan.toFixed(0)} bytes per span), ` +
      `both encoders on the same spans in one process, ${config.rounds} rounds of ${config.passesPerRound} requests each, ` +
      'in an order alternated each round. Both write the same bytes (checked before timing).',
    '',
    markdownTable(
      ['Subject', 'What', 'ns per span: median (min–max)'],
      report.subjects.map((subject) => [subject.id, subject.label, formatSpread(subject.nsPerSpan)]),
    ),
    '',
    `Official / switchyard, paired by round: **${median.toFixed(2)}×** (min ${paired[0]?.toFixed(2)}, max ${paired.at(-1)?.toFixed(2)}): ` +
      "how many times cheaper Switchyard's encoding is. No target in the issues; it feeds the traced gRPC and HTTP figures.",
    '',
  ].join('\n');
}
