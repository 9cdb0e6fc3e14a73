import { performance } from 'node:perf_hooks';
import { loadAverage, type MachineInfo } from './machine.js';

/** What every report of the compiled benchmarks (discovery, resilience) starts with. */
export interface ReportHeader {
  title: string;
  command: string;
  quick: boolean;
  startedAt: string;
  durationMs: number;
  machine: MachineInfo;
  /** 1, 5 and 15-minute load averages when the run ended. */
  loadAverageAtEnd: [number, number, number];
  /** Package name → installed version, plus `source` (the git revision). */
  versions: Record<string, string>;
}

/** Fills in the end-of-run fields of a header. */
export function finishHeader(
  header: Omit<ReportHeader, 'durationMs' | 'loadAverageAtEnd'>,
  startedMs: number,
): ReportHeader {
  return { ...header, durationMs: performance.now() - startedMs, loadAverageAtEnd: loadAverage() };
}

/** The header as markdown lines: how to reproduce the run, where it ran, what versions it compared. */
export function renderHeader(header: ReportHeader): string[] {
  const { machine } = header;
  const versions = Object.entries(header.versions)
    .map(([name, version]) => `${name} ${version}`)
    .join(', ');
  return [
    `## ${header.title}${header.quick ? ' (BENCH_QUICK: smoke-sized, figures are noisy)' : ''}`,
    '',
    `- Reproduce: \`${header.command}\` (\`BENCH_QUICK=1 ${header.command}\` for the smoke-sized run); compiled JS, plain \`node\``,
    `- Machine: ${machine.cpuModel}, ${machine.cpuCount} cores, ${machine.totalMemoryGiB} GiB, ${machine.platform}`,
    `- Load average: ${machine.loadAverage1m} (1 min) at start, ${header.loadAverageAtEnd.join(' / ')} (1 / 5 / 15 min) at end`,
    `- Node ${machine.node}; ${versions}`,
    `- Run: ${header.startedAt}, ${(header.durationMs / 1_000).toFixed(1)} s`,
    '',
  ];
}

/** A figure with exactly `digits` decimals and thousands separators, as every report prints them. */
function formatNumber(value: number, digits: number): string {
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/**
 * `low–high` of a median's confidence interval (see medianInterval), or a dash when there were too
 * few samples for one.
 */
export function formatInterval(interval: { low: number; high: number } | undefined, digits = 0): string {
  if (interval === undefined) return '–';
  return `${formatNumber(interval.low, digits)}–${formatNumber(interval.high, digits)}`;
}

/** `median (min–max)` with the given number of decimals. */
export function formatSpread(spread: { median: number; min: number; max: number }, digits = 0): string {
  const { median, min, max } = spread;
  return `${formatNumber(median, digits)} (${formatNumber(min, digits)}–${formatNumber(max, digits)})`;
}
