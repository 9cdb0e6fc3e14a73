import { afterAll, describe, expect, it } from 'vitest';
import { createSubjects, selectSubjects } from './subjects.js';

describe('resilience subjects, as BENCH_ONLY selects them', () => {
  const all = createSubjects();
  const ids = (subjects: readonly { id: string }[]) => subjects.map((subject) => subject.id);
  afterAll(() => {
    for (const subject of all) subject.close?.();
  });

  it('runs every subject when BENCH_ONLY is empty, and exactly those named otherwise', () => {
    expect(ids(selectSubjects(all, []))).toEqual(ids(all));
    expect(ids(selectSubjects(all, ['opossum', 'switchyard']))).toEqual(['switchyard', 'opossum']);
  });

  it('refuses a name it does not know, and lists the known ones, rather than run without it', () => {
    // `BENCH_ONLY=switchyard,cockatel` (a typo) ran Switchyard alone and said nothing; its verdict then
    // compared it with "cockatiel/opossum (not run)", so only the 1 µs bound was checked.
    expect(() => selectSubjects(all, ['switchyard', 'cockatel'])).toThrow(
      /unknown subject\(s\) cockatel; known: bare, switchyard, .*opossum/,
    );
  });
});
