import { describe, expect, it } from 'vitest';
import { spread } from '../stats.js';
import type { ResilienceBenchConfig } from './config.js';
import { type SubjectResult, verdicts } from './report.js';

describe('resilience verdicts', () => {
  const subject = (id: string, competitor: boolean, sequential: number[]): SubjectResult => ({
    id,
    library: competitor ? 'cockatiel' : 'switchyard',
    label: id,
    competitor,
    ns: { sequential: spread(sequential), concurrent: spread(sequential) },
    rounds: { sequential, concurrent: sequential },
  });
  const config = { targetNs: 300 } as ResilienceBenchConfig;

  it("give Switchyard's median with the 95 % interval of its rounds", () => {
    const rounds = [210, 190, 205, 260, 200, 199, 230, 201];
    const [sequential] = verdicts(config, [subject('switchyard', false, rounds), subject('cockatiel', true, [400])]);
    // Eight rounds: the mean of the 4th and 5th sorted rounds (201, 205). The nearest rank (the 4th, 201)
    // was the lower of the two, which flattered an ns/call verdict.
    expect(sequential?.switchyardNs).toBe(203);
    // Eight rounds: the 95 % sign-test interval runs from the smallest to the largest.
    expect(sequential?.switchyardInterval).toMatchObject({ low: 190, high: 260 });
    expect(sequential?.met).toBe(true);
  });

  it('give no interval for fewer than six rounds', () => {
    const [sequential] = verdicts(config, [subject('switchyard', false, [200, 210, 220])]);
    expect(sequential?.switchyardInterval).toBeUndefined();
  });
});
