/** What every benchmark runner (`<suite>/run.ts`) does alike: progress lines, the results file, the exit. */
import { mkdir, writeFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';

/** Progress on stderr, stamped with the seconds since `started`. */
export function progressLog(started: number): (message: string) => void {
  return (message) => {
    process.stderr.write(`[bench ${((performance.now() - started) / 1_000).toFixed(1)}s] ${message}\n`);
  };
}

/**
 * `results/<benchmark>.json` (relative to the bundled entry, `dist/<suite>/run.js`), or
 * `results/<benchmark>-<BENCH_TAG>.json` when `BENCH_TAG` is set, so a
 * profiling or partial run does not overwrite the full run's results.
 */
export function resultsFile(benchmark: string, environment: NodeJS.ProcessEnv = process.env): URL {
  const tag = (environment.BENCH_TAG ?? '').replace(/[^\w.-]/g, '');
  return new URL(`../../results/${benchmark}${tag ? `-${tag}` : ''}.json`, import.meta.url);
}

/** Writes the report as JSON (the markdown goes to stdout). */
export async function writeResults(file: URL, report: object): Promise<void> {
  await mkdir(new URL('.', file), { recursive: true });
  await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
}

/**
 * Runs `main`, then exits: 0, or 1 with the error on stderr. Explicitly, so that a stray handle (a
 * client's reconnect timer, a container reaper) cannot keep a finished benchmark alive in CI.
 */
export function runMain(name: string, main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(
        `${name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      process.exit(1);
    },
  );
}
