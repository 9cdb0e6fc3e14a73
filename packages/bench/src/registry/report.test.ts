import { describe, expect, it } from 'vitest';
import { type RegistryReport, renderReport } from './report.js';

describe('registry report', () => {
  it('names the registry version and the source revision measured, as every other report does', () => {
    const report: RegistryReport = {
      command: 'pnpm bench:registry',
      quick: false,
      startedAt: '2026-01-01T00:00:00.000Z',
      durationMs: 1_000,
      machine: {
        cpuModel: 'test CPU',
        cpuCount: 2,
        platform: 'linux',
        totalMemoryGiB: 1,
        loadAverage1m: 0.5,
        node: 'v20.0.0',
      },
      redis: { version: '7.0.15', via: 'binary', url: 'redis://127.0.0.1:1' },
      versions: { '@switchyard/registry': '0.1.0', ioredis: '5.9.2', source: 'abc1234+uncommitted' },
      benchmarks: [],
    };
    // The header gave Node and Redis only: nothing said which registry code made the figures.
    expect(renderReport(report)).toContain(
      '- Node v20.0.0; Redis 7.0.15 via binary (redis://127.0.0.1:1); @switchyard/registry 0.1.0, ioredis 5.9.2, source abc1234+uncommitted;',
    );
  });
});
