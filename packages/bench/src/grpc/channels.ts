import { formatSpread } from '../report-header.js';
import type { Spread } from '../stats.js';
import { markdownTable } from '../table.js';
import type { SubjectRuns } from '../transport/rounds.js';
import { compare, type SubjectSummary } from '../transport/summary.js';

/** One channel count at c=64: raw grpc-js, and the Switchyard client with as many channels when measured. */
export interface ChannelRow {
  channels: number;
  raw: SubjectSummary | undefined;
  sdk: SubjectSummary | undefined;
  /** The Switchyard client over raw grpc-js with the same channels, paired by round. */
  sdkVsRaw: Spread | undefined;
}

/** One more channel against one fewer (N over N − 1) at c=64, paired by round. */
export interface ChannelStep {
  series: 'raw grpc-js' | 'Switchyard';
  from: number;
  to: number;
  ratio: Spread;
  /** Rounds in which `to` channels did more calls than `from`. */
  wins: number;
  rounds: number;
  /** `wins / rounds` reached the threshold: this channel earned its place. */
  clear: boolean;
}

export interface ChannelRecommendation {
  /** Which series decided: the Switchyard client when it ran at every count, else raw grpc-js. */
  series: ChannelStep['series'];
  channels: number;
  rule: string;
}

export interface ChannelSweep {
  rows: ChannelRow[];
  steps: ChannelStep[];
  recommendation: ChannelRecommendation | undefined;
}

const COUNTS = [1, 2, 3, 4];

/**
 * The channel sweep at c=64 and the `channelsPerInstance` it supports. Every extra connection costs each
 * server memory and a file descriptor per client, so a channel must earn its place: starting from one,
 * take one more channel only while N + 1 beat N in at least `stepWins` of the rounds (paired by round,
 * so drift in the machine's load cancels). The Switchyard client decides when it ran at every count
 * (`BENCH_EXTRA=switchyard-1ch,switchyard-3ch,switchyard-4ch`), else raw grpc-js does.
 */
export function channelSweep(
  results: readonly SubjectRuns[],
  summaries: readonly SubjectSummary[],
  sdkChannels: number,
  stepWins: number,
): ChannelSweep {
  const at64 = (id: string): SubjectSummary | undefined =>
    summaries.find((summary) => summary.id === id && summary.concurrency === 64);
  const rawId = (channels: number): string => `grpc-js-${channels}ch`;
  const sdkId = (channels: number): string => (channels === sdkChannels ? 'switchyard' : `switchyard-${channels}ch`);
  const paired = (numerator: string, denominator: string) =>
    compare(results, [{ label: '', numerator, denominator, concurrency: 64 }])[0];
  const rows: ChannelRow[] = COUNTS.map((channels) => ({
    channels,
    raw: at64(rawId(channels)),
    sdk: at64(sdkId(channels)),
    sdkVsRaw: paired(sdkId(channels), rawId(channels))?.paired,
  }));
  const stepsOf = (series: ChannelStep['series'], id: (channels: number) => string): ChannelStep[] =>
    COUNTS.slice(1).flatMap((to) => {
      const comparison = paired(id(to), id(to - 1));
      if (!comparison) return [];
      const wins = comparison.perRound.filter((ratio) => ratio > 1).length;
      const rounds = comparison.perRound.length;
      return [{ series, from: to - 1, to, ratio: comparison.paired, wins, rounds, clear: wins / rounds >= stepWins }];
    });
  const raw = stepsOf('raw grpc-js', rawId);
  const sdk = stepsOf('Switchyard', sdkId);
  const deciding = sdk.length === COUNTS.length - 1 ? sdk : raw.length === COUNTS.length - 1 ? raw : undefined;
  if (!deciding) return { rows, steps: [...raw, ...sdk], recommendation: undefined };
  let channels = 1;
  for (const step of deciding) {
    if (step.from !== channels || !step.clear) break;
    channels = step.to;
  }
  return {
    rows,
    steps: [...raw, ...sdk],
    recommendation: {
      series: (deciding[0] as ChannelStep).series,
      channels,
      rule: `from one channel, one more only while it beat one fewer in at least ${Math.round(stepWins * 100)} % of the rounds at c=64`,
    },
  };
}

/** The channel section of the report. */
export function channelLines(sweep: ChannelSweep, sdkDefault: number): string[] {
  const { rows, steps, recommendation } = sweep;
  if (steps.length === 0) return [];
  const cell = (summary: SubjectSummary | undefined): string => (summary ? formatSpread(summary.callsPerSecond) : '');
  const cpu = (summary: SubjectSummary | undefined): string =>
    summary ? summary.clientCpuMicrosPerCall.median.toFixed(1) : '';
  return [
    '### Channels per instance (c=64)',
    '',
    markdownTable(
      [
        'channels',
        'raw grpc-js calls/s',
        'raw client CPU µs/call',
        'raw p99 ms',
        'Switchyard calls/s',
        'Switchyard client CPU µs/call',
        'Switchyard / raw (paired)',
      ],
      rows.map((row) => [
        String(row.channels),
        cell(row.raw),
        cpu(row.raw),
        row.raw ? row.raw.p99Ms.toFixed(3) : '',
        cell(row.sdk),
        cpu(row.sdk),
        row.sdkVsRaw ? formatSpread(row.sdkVsRaw, 2) : '',
      ]),
    ),
    '',
    'One more channel against one fewer, paired by round:',
    '',
    markdownTable(
      ['series', 'step', 'throughput ratio: median (min–max)', 'rounds ahead', 'earned its place'],
      steps.map((step) => [
        step.series,
        `${step.from} → ${step.to}`,
        formatSpread(step.ratio, 2),
        `${step.wins} of ${step.rounds}`,
        step.clear ? 'yes' : 'no',
      ]),
    ),
    '',
    recommendation
      ? `Channels this run supports (${recommendation.series}; ${recommendation.rule}): **${recommendation.channels}**. The SDK's default is ${sdkDefault}. On a busy machine the client is CPU-bound and extra connections cannot show their worth: compare with a run at low load before changing the default.`
      : `No recommendation: neither series ran at every channel count. The SDK's default is ${sdkDefault}.`,
    '',
  ];
}
