import { describe, expect, it } from 'vitest';
import { formatInterval, formatSpread } from './report-header.js';
import { verdicts } from './resilience/report.js';
import type { ResilienceBenchConfig } from './resilience/config.js';
import type { SubjectResult } from './resilience/report.js';
import { spread } from './stats.js';

describe('formatInterval', () => {
  it('writes low–high with the digits asked for, and a dash when there is no interval', () => {
    expect(formatInterval({ low: 0.7634, high: 0.8551 }, 2)).toBe('0.76–0.86');
    expect(formatInterval({ low: 1234.4, high: 98.6 })).toBe('1,234–99');
    expect(formatInterval(undefined)).toBe('–');
  });

  it('rounds the way formatSpread does, so a median and its interval read alike', () => {
    expect(formatSpread({ median: 92.5, min: 83.49, max: 138.5 })).toBe('93 (83–139)');
    expect(formatInterval({ low: 83.49, high: 138.5 })).toBe('83–139');
  });
});

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
    // Nearest rank: the 4th of the 8 sorted rounds.
    expect(sequential?.switchyardNs).toBe(201);
    // Eight rounds: the 95 % sign-test interval runs from the smallest to the largest.
    expect(sequential?.switchyardInterval).toMatchObject({ low: 190, high: 260 });
    expect(sequential?.met).toBe(true);
  });

  it('give no interval for fewer than six rounds', () => {
    const [sequential] = verdicts(config, [subject('switchyard', false, [200, 210, 220])]);
    expect(sequential?.switchyardInterval).toBeUndefined();
  });
});
