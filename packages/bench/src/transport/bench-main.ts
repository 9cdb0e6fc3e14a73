import { type ProfileSummary, summarizeProfile } from '../profile.js';
import type { SubjectRuns } from './rounds.js';

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
