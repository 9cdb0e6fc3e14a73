import { formatInterval, formatSpread, type ReportHeader, renderHeader } from '../report-header.js';
import { type MedianInterval, medianInterval, type Spread } from '../stats.js';
import { markdownTable } from '../table.js';
import type { ResilienceBenchConfig } from './config.js';
import type { Mode } from './measure.js';
import type { Subject } from './subjects.js';

/** One subject: ns per call over the rounds, in each mode. */
export interface SubjectResult {
  id: string;
  library: Subject['library'];
  label: string;
  competitor: boolean;
  ns: Record<Mode, Spread>;
  /** Every round's figure (JSON only). */
  rounds: Record<Mode, number[]>;
}

/** Switchyard's compose against the target, in one mode. */
export interface Verdict {
  mode: Mode;
  switchyardNs: number;
  /** 95 % interval of that median, from the rounds (undefined with fewer than 6). */
  switchyardInterval: MedianInterval | undefined;
  /** The cheaper of cockatiel and opossum (medians), and which one it was. */
  cheapestOther: { id: string; ns: number } | undefined;
  targetNs: number;
  met: boolean;
}

/** Everything needed to read, reproduce and compare one run; written as resilience.json. */
export interface ResilienceReport extends ReportHeader {
  config: ResilienceBenchConfig;
  subjects: SubjectResult[];
  verdicts: Verdict[];
  /** Switchyard deadline timers still scheduled after every call settled: must be 0. */
  pendingDeadlineTimers: number;
}

const MODES: readonly Mode[] = ['sequential', 'concurrent'];

/** The cheaper of cockatiel and opossum (as configured for the target) in a mode, by median. */
function cheapestOther(subjects: readonly SubjectResult[], mode: Mode): { id: string; ns: number } | undefined {
  return subjects
    .filter((subject) => subject.competitor)
    .map((subject) => ({ id: subject.id, ns: subject.ns[mode].median }))
    .sort((a, b) => a.ns - b.ns)[0];
}

export function verdicts(config: ResilienceBenchConfig, subjects: readonly SubjectResult[]): Verdict[] {
  const switchyard = subjects.find((subject) => subject.id === 'switchyard');
  if (!switchyard) return [];
  return MODES.map((mode) => {
    const switchyardNs = switchyard.ns[mode].median;
    const other = cheapestOther(subjects, mode);
    return {
      mode,
      switchyardNs,
      switchyardInterval: medianInterval(switchyard.rounds[mode]),
      cheapestOther: other,
      targetNs: config.targetNs,
      met: switchyardNs <= config.targetNs && (other === undefined || switchyardNs <= other.ns),
    };
  });
}

export function renderReport(report: ResilienceReport): string {
  const { config } = report;
  const ratio = (subject: SubjectResult, mode: Mode): string => {
    const other = cheapestOther(report.subjects, mode);
    return other ? (subject.ns[mode].median / other.ns).toFixed(2) : '';
  };
  const rows = report.subjects.map((subject) => [
    subject.id,
    subject.label,
    formatSpread(subject.ns.sequential),
    ratio(subject, 'sequential'),
    formatSpread(subject.ns.concurrent),
    ratio(subject, 'concurrent'),
  ]);
  const verdictLines = report.verdicts.map((verdict) => {
    const other = verdict.cheapestOther
      ? `the cheaper of cockatiel/opossum (${verdict.cheapestOther.id}, ${Math.round(verdict.cheapestOther.ns)} ns)`
      : 'cockatiel/opossum (not run)';
    const interval = verdict.switchyardInterval ? ` (95 % CI ${formatInterval(verdict.switchyardInterval)})` : '';
    return `- ${verdict.mode}: Switchyard ${Math.round(verdict.switchyardNs)} ns/call${interval}; target ≤ ${other} and ≤ ${verdict.targetNs} ns: **${verdict.met ? 'met' : 'MISSED'}**`;
  });
  return [
    ...renderHeader(report),
    ...(config.only.length > 0 ? [`Subjects limited by BENCH_ONLY to: ${config.only.join(', ')}.`, ''] : []),
    `### Overhead per call on an already-resolved operation, ns: median (min–max) of ${config.rounds} rounds`,
    '',
    '`() => Promise.resolve(1)` through each subject, all in one process; each round measures every subject once',
    `per mode, in an order rotated each round, with a full GC before each run. Sequential: one call at a time`,
    `(\`await\` each). Concurrent: ${config.batch} calls started together, then \`await Promise.all\`. "× cheapest" divides by`,
    'the cheaper of `cockatiel` and `opossum` in that mode. opossum is a timeout and a breaker only (no retry, no bulkhead).',
    "cockatiel retries count retries, not attempts: `maxAttempts: 2` is 3 attempts, like Switchyard's `maxAttempts: 3`.",
    '',
    markdownTable(['Subject', 'What', 'Sequential', '× cheapest', `Concurrent (${config.batch})`, '× cheapest'], rows),
    '',
    ...verdictLines,
    `- Switchyard deadline timers still pending after the run: ${report.pendingDeadlineTimers}`,
    '',
  ].join('\n');
}
