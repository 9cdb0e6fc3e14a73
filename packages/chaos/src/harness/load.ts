/**
 * Continuous, bounded load: `concurrency` closed-loop workers, each pausing `pauseMs` between
 * calls, until stopped (or `maxDurationMs`, a safety bound). Every call is recorded with its start,
 * end, outcome, error code and the instance that served it, so a scenario can slice the records by
 * time (before / during / after a fault).
 */

export interface CallRecord {
  start: number;
  end: number;
  ok: boolean;
  latencyMs: number;
  /** The instance (or route) that answered, when the call reports one. */
  servedBy?: string;
  /** The error's code (`UNAVAILABLE`, `CIRCUIT_OPEN`, HTTP status…) for failed calls. */
  code?: string;
  message?: string;
}

export interface LoadOptions {
  concurrency: number;
  /** Pause between two calls of one worker (keeps the rate modest on a 2-core machine). */
  pauseMs: number;
  /** Hard bound on the run, whatever happens to the scenario. */
  maxDurationMs: number;
  /** One call; resolves with who served it (or anything to record), rejects on failure. */
  call: (worker: number, sequence: number) => Promise<string | undefined>;
}

export interface RunningLoad {
  readonly records: CallRecord[];
  /** Stops starting new calls and resolves once the calls in flight ended. */
  stop(): Promise<CallRecord[]>;
}

export function startLoad(options: LoadOptions): RunningLoad {
  const records: CallRecord[] = [];
  const until = Date.now() + options.maxDurationMs;
  let stopped = false;
  const worker = async (index: number): Promise<void> => {
    let sequence = 0;
    while (!stopped && Date.now() < until) {
      const start = Date.now();
      const started = performance.now();
      try {
        const servedBy = await options.call(index, sequence++);
        const end = Date.now();
        records.push({ start, end, ok: true, latencyMs: performance.now() - started, servedBy });
      } catch (error) {
        const end = Date.now();
        const { code, status, message } = error as { code?: unknown; status?: unknown; message?: string };
        records.push({
          start,
          end,
          ok: false,
          latencyMs: performance.now() - started,
          code: String(code ?? status ?? 'ERROR'),
          message: String(message ?? error).slice(0, 300),
        });
      }
      if (options.pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, options.pauseMs));
    }
  };
  const workers = Array.from({ length: options.concurrency }, (_, index) => worker(index));
  return {
    records,
    async stop() {
      stopped = true;
      await Promise.all(workers);
      return records;
    },
  };
}

/** The p-th percentile (0..100) of the values, nearest rank; 0 for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

/** Requests, failures, latency percentiles and the first failures of a set of records. */
export function summarize(records: readonly CallRecord[]): {
  requests: number;
  failed: number;
  p50Ms: number;
  p99Ms: number;
  failures: string[];
} {
  const failed = records.filter((record) => !record.ok);
  const latencies = records.map((record) => record.latencyMs);
  return {
    requests: records.length,
    failed: failed.length,
    p50Ms: round(percentile(latencies, 50)),
    p99Ms: round(percentile(latencies, 99)),
    failures: failed.slice(0, 5).map((record) => `${record.code}: ${record.message}`),
  };
}

/** Share of successful calls per `servedBy` value, among the records given. */
export function shares(records: readonly CallRecord[]): Record<string, number> {
  const counts = new Map<string, number>();
  let total = 0;
  for (const record of records) {
    if (!record.ok || record.servedBy === undefined) continue;
    counts.set(record.servedBy, (counts.get(record.servedBy) ?? 0) + 1);
    total++;
  }
  return Object.fromEntries([...counts].map(([key, count]) => [key, round(count / Math.max(1, total), 4)]));
}

export function round(value: number, digits = 1): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** Prints the scenario's one-line summary (the figures quoted in the README and issue notes). */
export function report(scenario: string, figures: Record<string, unknown>): void {
  console.log(JSON.stringify({ scenario, ...figures }));
}

/**
 * From a timeline of view sizes (discovery.onChange), the smallest size after `from` and how long
 * the view was empty / smaller than `full` in all (until `to`).
 */
export function viewFigures(
  timeline: readonly { at: number; size: number }[],
  full: number,
  from: number,
  to: number,
): { smallestView: number; emptyViewMs: number; shrunkViewMs: number } {
  let smallestView = full;
  let emptyViewMs = 0;
  let shrunkViewMs = 0;
  let size = full;
  let since = from;
  const close = (until: number): void => {
    smallestView = Math.min(smallestView, size);
    if (size === 0) emptyViewMs += until - since;
    if (size < full) shrunkViewMs += until - since;
  };
  for (const entry of timeline) {
    if (entry.at < from) {
      size = entry.size;
      continue;
    }
    if (entry.at > to) break;
    close(entry.at);
    size = entry.size;
    since = entry.at;
    smallestView = Math.min(smallestView, size);
  }
  close(to);
  return { smallestView, emptyViewMs, shrunkViewMs };
}
