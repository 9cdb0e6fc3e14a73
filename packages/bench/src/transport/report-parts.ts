import { markdownTable } from '../table.js';
import type { FunctionTime } from '../profile.js';
import type { ProfiledSubject } from './bench-main.js';
import type { SinkTally } from './otlp-sink.js';
import type { SubjectRuns } from './rounds.js';

/** Where a traced subject's spans came from, to set the sink's counts against the calls made. */
export interface TracedService {
  /** The subject whose calls made these spans. */
  subject: string;
  /** The `service.name` they were exported under. */
  serviceName: string;
  /** `client` or `server` spans. */
  side: string;
}

/** Spans exported per traced service against the calls made (warm-up included), dropped and failed exports. */
export function tracingTable(
  results: readonly SubjectRuns[],
  tallies: Readonly<Record<string, SinkTally>>,
  services: readonly TracedService[],
): string {
  const rows = services.map((service) => {
    const result = results.find((candidate) => candidate.id === service.subject);
    const tally = tallies[service.serviceName] ?? { requests: 0, bytes: 0, spans: 0 };
    const calls = result?.totals?.calls ?? 0;
    return [
      `${service.subject} (${service.side})`,
      service.serviceName,
      calls.toLocaleString('en-US'),
      tally.spans.toLocaleString('en-US'),
      calls > 0 ? (tally.spans / calls).toFixed(3) : '',
      service.side.startsWith('client') ? (result?.totals?.droppedSpans ?? 0).toLocaleString('en-US') : '',
      service.side.startsWith('client') ? String(result?.totals?.exportErrors ?? 0) : '',
      tally.requests.toLocaleString('en-US'),
      (tally.bytes / 2 ** 20).toFixed(1),
    ];
  });
  return markdownTable(
    [
      'Subject (side)',
      'service.name',
      'calls made',
      'spans received',
      'spans / call',
      'dropped (queue full)',
      'export errors',
      'export requests',
      'MiB',
    ],
    rows,
  );
}

/**
 * A CPU profile as markdown: self time by package, the top functions of @switchyard/* code and the top
 * functions overall. The profiler's sample times are wall-clock, so on a busy machine they include time
 * the process spent waiting for a core; "µs/call" therefore spreads the worker's measured CPU time
 * (`process.cpuUsage()`, over its whole life) by each row's share of the samples, per call made.
 */
export function profileSection({ subject, calls, cpuMicros, summary: profile }: ProfiledSubject): string[] {
  const percent = (share: number): string => `${(share * 100).toFixed(1)} %`;
  const perCall = (share: number): string => (calls > 0 ? ((share * cpuMicros) / calls).toFixed(1) : '');
  const functionRows = (rows: readonly FunctionTime[]): string[][] =>
    rows.map((row) => [
      row.name,
      row.package,
      row.location,
      row.selfMs.toFixed(0),
      perCall(row.share),
      percent(row.share),
    ]);
  const functionHeaders = ['Function', 'Package', 'Where', 'self ms', 'CPU µs/call', 'share'];
  return [
    `#### CPU profile of \`${subject}\``,
    '',
    `\`${profile.file}\`: ${(profile.busyMs / 1_000).toFixed(1)} s sampled (idle excluded) over ${calls.toLocaleString('en-US')} calls (warm-up included), ${calls > 0 ? (cpuMicros / calls).toFixed(1) : '?'} µs of CPU per call over the worker's life (start-up, a few percent of a full run, included).`,
    '',
    markdownTable(
      ['Package', 'self ms', 'CPU µs/call', 'share'],
      profile.byPackage
        .slice(0, 12)
        .map((row) => [row.package, row.selfMs.toFixed(0), perCall(row.share), percent(row.share)]),
    ),
    '',
    "Top self time in @switchyard/* code (a builtin such as `JSON.stringify` counts as its caller's self time, and so do callees V8 inlined):",
    '',
    markdownTable(functionHeaders, functionRows(profile.topSwitchyard)),
    '',
    'Top self time overall:',
    '',
    markdownTable(functionHeaders, functionRows(profile.top)),
    '',
  ];
}
