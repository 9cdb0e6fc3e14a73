import { formatInterval, formatSpread } from '../report-header.js';
import { type MedianInterval, medianInterval, type Spread, spread } from '../stats.js';
import { markdownTable } from '../table.js';
import type { SubjectRuns } from './rounds.js';

/** One subject at one concurrency, over the rounds. */
export interface SubjectSummary {
  id: string;
  label: string;
  concurrency: number;
  rounds: number;
  callsPerSecond: Spread;
  /** Medians over the rounds of each run's p50 and p99 (each run has thousands of calls). */
  p50Ms: number;
  p99Ms: number;
  clientCpuMicrosPerCall: Spread;
  /** Its part on the client's main thread; undefined unless every run measured it (Linux only). */
  clientMainThreadCpuMicrosPerCall: Spread | undefined;
  clientGcMicrosPerCall: Spread;
  /** The client's event loop (main thread) busy time per call: what worker threads take off it shows here. */
  clientLoopMicrosPerCall: Spread;
  serverCpuMicrosPerCall: Spread;
  /** Totals over the rounds (traced subjects). */
  droppedSpans: number;
  exportErrors: number;
}

export function summarize(results: readonly SubjectRuns[], labels: ReadonlyMap<string, string>): SubjectSummary[] {
  return results.flatMap((result) => {
    const concurrencies = [...new Set(result.runs.map((run) => run.concurrency))];
    return concurrencies.map((concurrency) => {
      const runs = result.runs.filter((run) => run.concurrency === concurrency);
      return {
        id: result.id,
        label: labels.get(result.id) ?? result.id,
        concurrency,
        rounds: runs.length,
        callsPerSecond: spread(runs.map((run) => run.callsPerSecond)),
        p50Ms: spread(runs.map((run) => run.p50Ms)).median,
        p99Ms: spread(runs.map((run) => run.p99Ms)).median,
        clientCpuMicrosPerCall: spread(runs.map((run) => run.clientCpuMicrosPerCall)),
        clientMainThreadCpuMicrosPerCall: spreadOfAll(runs.map((run) => run.clientMainThreadCpuMicrosPerCall)),
        clientGcMicrosPerCall: spread(runs.map((run) => run.clientGcMicrosPerCall)),
        clientLoopMicrosPerCall: spread(runs.map((run) => run.clientLoopMicrosPerCall)),
        serverCpuMicrosPerCall: spread(runs.map((run) => run.serverCpuMicrosPerCall)),
        droppedSpans: runs.reduce((sum, run) => sum + run.droppedSpans, 0),
        exportErrors: runs.reduce((sum, run) => sum + run.exportErrors, 0),
      };
    });
  });
}

/** The spread of `values`, or undefined if any is missing (a figure half the runs had would mislead). */
function spreadOfAll(values: readonly (number | null | undefined)[]): Spread | undefined {
  const present = values.filter((value): value is number => typeof value === 'number');
  return present.length > 0 && present.length === values.length ? spread(present) : undefined;
}

/** A ratio of two subjects' throughput at one concurrency, with or without a target. */
export interface ComparisonSpec {
  label: string;
  numerator: string;
  denominator: string;
  concurrency: number;
  /** The ratio must be at least this; none: for information. */
  target?: number;
}

export interface Comparison extends ComparisonSpec {
  /** Per-round ratios (both measured in the same round, seconds apart). */
  paired: Spread;
  /** Those ratios, in round order. */
  perRound: number[];
  /**
   * 95 % confidence interval of `paired.median` (sign-test, distribution-free); undefined with fewer
   * than 6 rounds. A verdict whose interval straddles the target could have gone either way.
   */
  pairedInterval: MedianInterval | undefined;
  /** Ratio of the two medians. */
  ofMedians: number;
  /** Client CPU µs per call, numerator over denominator (medians): what the throughput ratio becomes when the client is CPU-bound. */
  clientCpuRatio: number;
  /** `paired.median >= target`; undefined without a target. */
  met: boolean | undefined;
}

/**
 * The ratio of throughputs, paired by round: in each round both subjects ran at that concurrency
 * within a few seconds of each other, so the per-round ratio cancels most of the drift in the
 * machine's load. The headline (and the verdict) is the median of those ratios.
 */
export function compare(results: readonly SubjectRuns[], specs: readonly ComparisonSpec[]): Comparison[] {
  const byId = new Map(results.map((result) => [result.id, result]));
  return specs.flatMap((spec) => {
    const numerator = byId.get(spec.numerator)?.runs.filter((run) => run.concurrency === spec.concurrency);
    const denominator = byId.get(spec.denominator)?.runs.filter((run) => run.concurrency === spec.concurrency);
    if (!numerator?.length || !denominator?.length) return [];
    const ratios = numerator.flatMap((run) => {
      const other = denominator.find((candidate) => candidate.round === run.round);
      return other ? [run.callsPerSecond / other.callsPerSecond] : [];
    });
    const paired = spread(ratios);
    const ofMedians =
      spread(numerator.map((run) => run.callsPerSecond)).median /
      spread(denominator.map((run) => run.callsPerSecond)).median;
    const clientCpuRatio =
      spread(numerator.map((run) => run.clientCpuMicrosPerCall)).median /
      spread(denominator.map((run) => run.clientCpuMicrosPerCall)).median;
    return [
      {
        ...spec,
        paired,
        perRound: ratios,
        pairedInterval: medianInterval(ratios),
        ofMedians,
        clientCpuRatio,
        met: spec.target === undefined ? undefined : paired.median >= spec.target,
      },
    ];
  });
}

/** The results table of one concurrency. */
export function resultsTable(summaries: readonly SubjectSummary[], concurrency: number): string {
  const rows = summaries
    .filter((summary) => summary.concurrency === concurrency)
    .map((summary) => [
      summary.id,
      formatSpread(summary.callsPerSecond),
      summary.p50Ms.toFixed(3),
      summary.p99Ms.toFixed(3),
      summary.clientCpuMicrosPerCall.median.toFixed(1),
      summary.clientMainThreadCpuMicrosPerCall?.median.toFixed(1) ?? '–',
      summary.clientGcMicrosPerCall.median.toFixed(1),
      summary.clientLoopMicrosPerCall.median.toFixed(1),
      summary.serverCpuMicrosPerCall.median.toFixed(1),
    ]);
  return markdownTable(
    [
      'Subject',
      'calls/s: median (min–max)',
      'p50 ms',
      'p99 ms',
      'client CPU µs/call',
      'of which main thread',
      'of which GC',
      'client event loop µs/call',
      'server CPU µs/call',
    ],
    rows,
  );
}

/** The comparisons table: ratio, target, verdict. */
export function comparisonsTable(comparisons: readonly Comparison[]): string {
  const rows = comparisons.map((comparison) => [
    comparison.label,
    String(comparison.concurrency),
    formatSpread(comparison.paired, 2),
    formatInterval(comparison.pairedInterval, 2),
    comparison.ofMedians.toFixed(2),
    comparison.clientCpuRatio.toFixed(2),
    comparison.target === undefined ? '' : `≥ ${comparison.target.toFixed(2)}`,
    comparison.met === undefined ? 'info' : comparison.met ? 'met' : '**MISSED**',
  ]);
  return markdownTable(
    [
      'Comparison (throughput)',
      'c',
      'ratio, paired by round: median (min–max)',
      '95 % CI of that median',
      'ratio of medians',
      'client CPU/call ratio',
      'target',
      'verdict',
    ],
    rows,
  );
}

/** `min–max` of the 1-minute load average read after every run. */
export function loadRange(results: readonly SubjectRuns[]): { min: number; max: number } {
  const loads = results.flatMap((result) => result.runs.map((run) => run.loadAverage1m));
  return { min: Math.min(...loads), max: Math.max(...loads) };
}
