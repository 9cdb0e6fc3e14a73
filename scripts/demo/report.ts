/** Turns what the demo recorded (requests, spans) into the printed summary. */
import type { ReceivedSpan } from './otlp-receiver.js';
import type { RequestRecord } from './workload.js';

/**
 * The `q`-quantile (0..1) of ascending-sorted values, nearest rank (the smallest value with at least
 * q of the values at or below it, as the benchmarks and the chaos suite read theirs); 0 for none.
 * `floor(q·n)` sat one rank high: the p50 of [1, 2] read 2, and the p99 of 100 values their maximum.
 */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1] as number;
}

export function requestTable(records: readonly RequestRecord[]): string {
  const routes = [...new Set(records.map((record) => record.route))];
  const rows = [
    ['route', 'requests', 'failed', 'p50 ms', 'p95 ms', 'p99 ms'],
    ...[...routes, 'all'].map((route) => {
      const subset = route === 'all' ? records : records.filter((record) => record.route === route);
      const latencies = subset.map((record) => record.latencyMs).sort((a, b) => a - b);
      return [
        route,
        String(subset.length),
        String(subset.filter((record) => !record.ok).length),
        ...[0.5, 0.95, 0.99].map((q) => percentile(latencies, q).toFixed(1)),
      ];
    }),
  ];
  return table(rows);
}

/** Successful and failed calls to each catalog instance, before and after `killAt`, from client attempt spans. */
export function catalogShares(
  spans: readonly ReceivedSpan[],
  instanceByPort: ReadonlyMap<number, string>,
  killAt: number,
): string {
  const attempts = spans.filter((span) => span.kind === 3 && span.name.startsWith('shop.catalog.v1.CatalogService/'));
  const count = (instance: string, after: boolean, ok: boolean): number =>
    attempts.filter(
      (span) =>
        instanceByPort.get(Number(span.attributes['server.port'])) === instance &&
        span.startMs >= killAt === after &&
        (span.statusCode !== 2) === ok,
    ).length;
  const instances = [...new Set(instanceByPort.values())];
  const totals = [false, true].map((after) =>
    instances.reduce((sum, instance) => sum + count(instance, after, true), 0),
  );
  const rows = [['catalog instance', 'share before', 'share after', 'failed attempts after (retried elsewhere)']];
  for (const instance of instances) {
    const before = count(instance, false, true);
    const after = count(instance, true, true);
    rows.push([
      instance,
      `${((100 * before) / Math.max(1, totals[0] as number)).toFixed(1)} % (${before})`,
      `${((100 * after) / Math.max(1, totals[1] as number)).toFixed(1)} % (${after})`,
      String(count(instance, true, false)),
    ]);
  }
  return table(rows);
}

/**
 * Why the kill part of the demo failed (empty: it passed), from the client spans of calls to
 * catalog. Without evidence it fails rather than passes: the killed instance must have served
 * before its death (else its dropping out shows nothing), catalog calls must have been traced after
 * it (else a broken trace export, with no spans at all, would pass), and none may have succeeded
 * on the killed instance once `graceMs` had passed.
 */
export function killProblems(
  spans: readonly ReceivedSpan[],
  killedPort: number,
  killAt: number,
  graceMs = 1_000,
): string[] {
  if (!Number.isFinite(killAt)) return ['the kill did not happen'];
  const served = spans.filter(
    (span) => span.kind === 3 && span.name.startsWith('shop.catalog.v1.CatalogService/') && span.statusCode !== 2,
  );
  const problems: string[] = [];
  if (!served.some((span) => Number(span.attributes['server.port']) === killedPort && span.startMs < killAt)) {
    problems.push('the killed catalog replica served no traced call before its death');
  }
  if (!served.some((span) => span.startMs > killAt + graceMs)) {
    problems.push('no successful catalog call was traced after the kill (are spans exported?)');
  }
  const late = servedAfterKill(spans, killedPort, killAt + graceMs);
  if (late > 0) problems.push(`the killed replica served ${late} calls after its death`);
  return problems;
}

/** Successful calls the killed instance served after it was killed (must be 0). */
export function servedAfterKill(spans: readonly ReceivedSpan[], killedPort: number, killAt: number): number {
  return spans.filter(
    (span) =>
      span.kind === 3 &&
      Number(span.attributes['server.port']) === killedPort &&
      span.startMs > killAt &&
      span.statusCode !== 2,
  ).length;
}

/** The spans of one trace as an indented tree: service (instance) span-name duration. */
export function traceTree(spans: readonly ReceivedSpan[], traceId: string): string {
  const own = spans.filter((span) => span.traceId === traceId).sort((a, b) => a.startMs - b.startMs);
  const ids = new Set(own.map((span) => span.spanId));
  const lines: string[] = [];
  const walk = (parent: string, depth: number): void => {
    for (const span of own.filter((candidate) =>
      parent === '' ? !ids.has(candidate.parentSpanId) : candidate.parentSpanId === parent,
    )) {
      const kind = span.kind === 2 ? 'server' : span.kind === 3 ? 'client' : 'internal';
      const attempt = span.attributes['switchyard.attempt'];
      lines.push(
        `${'  '.repeat(depth)}${span.service} (${span.instance.replace(`${span.service}-`, '')}) ${kind} ${span.name}${attempt && Number(attempt) > 1 ? ` attempt ${attempt}` : ''} ${Math.round(span.endMs - span.startMs)} ms${span.statusCode === 2 ? ' ERROR' : ''}`,
      );
      walk(span.spanId, depth + 1);
    }
  };
  walk('', 0);
  return lines.join('\n');
}

function table(rows: string[][]): string {
  const widths = (rows[0] as string[]).map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column] as number)).join('  ')).join('\n');
}
