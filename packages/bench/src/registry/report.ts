import type { MachineInfo } from '../machine.js';
import { markdownTable } from '../table.js';
import type { BenchmarkResult, Figure } from './figure.js';

/** Everything needed to read, reproduce and compare one run; written as registry.json. */
export interface RegistryReport {
  command: string;
  quick: boolean;
  startedAt: string;
  durationMs: number;
  machine: MachineInfo;
  redis: { version: string; via: string; url: string };
  /** Package name → installed version, plus `source` (the git revision measured, read at the start). */
  versions: Record<string, string>;
  benchmarks: BenchmarkResult[];
}

/** The report as markdown: a header that says how to reproduce it and where it ran, then one table. */
export function renderReport(report: RegistryReport): string {
  const { machine, redis } = report;
  const versions = Object.entries(report.versions)
    .map(([name, version]) => `${name} ${version}`)
    .join(', ');
  const rows = report.benchmarks.flatMap((benchmark) =>
    benchmark.figures.map((figure, index) => [
      index === 0 ? benchmark.title : '',
      figure.metric,
      formatValue(figure),
      figure.unit,
      figure.notes ?? '',
    ]),
  );
  return [
    `## Switchyard registry benchmark${report.quick ? ' (BENCH_QUICK: smoke-sized, figures are noisy)' : ''}`,
    '',
    `- Reproduce: \`${report.command}\` (\`BENCH_QUICK=1 ${report.command}\` for the smoke-sized run)`,
    `- Machine: ${machine.cpuModel}, ${machine.cpuCount} cores, ${machine.totalMemoryGiB} GiB, ${machine.platform}; load average ${machine.loadAverage1m} at start`,
    `- Node ${machine.node}; Redis ${redis.version} via ${redis.via} (${redis.url}); ${versions}; client and Redis share this machine`,
    `- Run: ${report.startedAt}, ${(report.durationMs / 1_000).toFixed(1)} s`,
    '',
    markdownTable(['Benchmark', 'Metric', 'Value', 'Unit', 'Notes'], rows),
    '',
  ].join('\n');
}

/** Throughput as whole numbers, latencies to the µs, ratios to two places: the precision the run supports. */
export function formatValue(figure: Figure): string {
  switch (figure.unit) {
    case 'ops/s':
    case 'count':
      return Math.round(figure.value).toLocaleString('en-US');
    case 'bytes':
      return Number.isInteger(figure.value) ? figure.value.toLocaleString('en-US') : figure.value.toFixed(1);
    case 'ms':
      return figure.value.toFixed(3);
    case 'µs':
      return figure.value.toFixed(1);
    case '%':
    case 'ratio':
      return figure.value.toFixed(2);
  }
}
