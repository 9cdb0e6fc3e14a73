import { mkdir, writeFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { type ProfileSummary, summarizeProfile } from '../profile.js';
import type { SubjectRuns } from './rounds.js';

/** Progress on stderr, stamped with the seconds since `started`. */
export function progressLog(started: number): (message: string) => void {
  return (message) => {
    process.stderr.write(`[bench ${((performance.now() - started) / 1_000).toFixed(1)}s] ${message}\n`);
  };
}

/**
 * The subjects to run: exactly `only` when given, else every non-optional one plus `extra`. Unknown
 * names in any of the lists are an error that lists the known ones.
 */
export function selectSubjects<Subject extends { id: string; optional?: boolean }>(
  all: readonly Subject[],
  lists: { only: readonly string[]; extra: readonly string[]; cpuProfile: readonly string[] },
): Subject[] {
  const unknown = [...lists.only, ...lists.extra, ...lists.cpuProfile].filter(
    (id) => !all.some((subject) => subject.id === id),
  );
  if (unknown.length > 0) {
    throw new Error(`unknown subject(s) ${unknown.join(', ')}; known: ${all.map((subject) => subject.id).join(', ')}`);
  }
  return all.filter((subject) =>
    lists.only.length > 0 ? lists.only.includes(subject.id) : !subject.optional || lists.extra.includes(subject.id),
  );
}

/** A subject's CPU profile, summarised, with the calls it made (warm-up included) while profiled. */
export interface ProfiledSubject {
  subject: string;
  calls: number;
  /** The worker's CPU time over its life (user + system). */
  cpuMicros: number;
  summary: ProfileSummary;
}

/** Summaries of the CPU profiles the run wrote (`BENCH_CPU_PROF`). */
export function profilesOf(results: readonly SubjectRuns[], startedAt: Date): ProfiledSubject[] {
  return results.flatMap((result) =>
    result.cpuProfile
      ? [
          {
            subject: result.id,
            calls: result.totals?.calls ?? 0,
            cpuMicros: result.totals?.cpuMicros ?? 0,
            summary: summarizeProfile(result.cpuProfile, 15, startedAt.getTime()),
          },
        ]
      : [],
  );
}

/**
 * `results/<benchmark>.json`, or `results/<benchmark>-<BENCH_TAG>.json` when `BENCH_TAG` is set, so a
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

/** Runs `main`, then exits: 0, or 1 with the error on stderr. */
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
