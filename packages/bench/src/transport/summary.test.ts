import { describe, expect, it } from 'vitest';
import type { Run, SubjectRuns } from './rounds.js';
import { compare, comparisonsTable, resultsTable, summarize } from './summary.js';

function run(round: number, concurrency: number, callsPerSecond: number, clientCpu = 100): Run {
  return {
    round,
    concurrency,
    operations: callsPerSecond,
    elapsedMs: 1_000,
    callsPerSecond,
    p50Ms: 1,
    p99Ms: 2,
    clientCpuMicrosPerCall: clientCpu,
    clientMainThreadCpuMicrosPerCall: clientCpu * 0.75,
    clientGcMicrosPerCall: clientCpu / 5,
    clientLoopMicrosPerCall: clientCpu * 0.9,
    serverCpuMicrosPerCall: 50,
    droppedSpans: 0,
    exportErrors: 0,
    loadAverage1m: 1,
  };
}

function subject(id: string, runs: Run[]): SubjectRuns {
  return { id, setupMs: 0, notes: [], runs, processes: 1 };
}

describe('compare', () => {
  // The machine slows down by half in round 2: both subjects feel it, the paired ratio does not.
  const raw = subject('raw', [run(0, 64, 1_000), run(1, 64, 500), run(2, 64, 1_000)]);
  const sdk = subject('sdk', [run(0, 64, 950, 120), run(1, 64, 480, 120), run(2, 64, 960, 120)]);

  it('pairs the rounds, gives the median and range of the ratios and checks the target', () => {
    const [comparison] = compare(
      [raw, sdk],
      [{ label: 'sdk / raw', numerator: 'sdk', denominator: 'raw', concurrency: 64, target: 0.95 }],
    );
    expect(comparison?.paired.median).toBeCloseTo(0.96, 5);
    expect(comparison?.paired.min).toBeCloseTo(0.95, 5);
    expect(comparison?.paired.max).toBeCloseTo(0.96, 5);
    expect(comparison?.ofMedians).toBeCloseTo(0.95, 5);
    expect(comparison?.clientCpuRatio).toBeCloseTo(1.2, 5);
    expect(comparison?.met).toBe(true);
    // Three rounds are too few for a 95 % interval of their median.
    expect(comparison?.pairedInterval).toBeUndefined();
  });

  it('gives the 95 % interval of the paired median once there are enough rounds, and shows it', () => {
    const rounds = [1_000, 990, 1_010, 1_020, 980, 1_000, 1_005, 995];
    const ratios = [0.8, 0.9, 0.85, 0.7, 0.95, 0.88, 0.82, 0.86];
    const base = subject(
      'raw',
      rounds.map((calls, round) => run(round, 64, calls)),
    );
    const traced = subject(
      'sdk',
      rounds.map((calls, round) => run(round, 64, calls * (ratios[round] as number))),
    );
    const [comparison] = compare(
      [base, traced],
      [{ label: 'sdk / raw', numerator: 'sdk', denominator: 'raw', concurrency: 64, target: 0.85 }],
    );
    // Eight rounds: the 95 % sign-test interval is the whole range (1st to 8th).
    expect(comparison?.pairedInterval?.low).toBeCloseTo(0.7, 9);
    expect(comparison?.pairedInterval?.high).toBeCloseTo(0.95, 9);
    expect(comparisonsTable(comparison ? [comparison] : [])).toMatch(/\| 0\.70–0\.95 +\|/);
  });

  it('reads an even number of rounds at the textbook median, not at the worse of the two middle rounds', () => {
    // Two rounds (BENCH_QUICK): ratios 0.80 and 0.92. Their median is 0.86, which meets a 0.85 target (the worse round, 0.80, did not).
    const base = subject('raw', [run(0, 64, 1_000), run(1, 64, 1_000)]);
    const sdk = subject('sdk', [run(0, 64, 800), run(1, 64, 920)]);
    const [comparison] = compare(
      [base, sdk],
      [{ label: 'sdk / raw', numerator: 'sdk', denominator: 'raw', concurrency: 64, target: 0.85 }],
    );
    expect(comparison?.paired.median).toBeCloseTo(0.86, 9);
    expect(comparison?.ofMedians).toBeCloseTo(0.86, 9);
    expect(comparison?.met).toBe(true);
  });

  it('has no verdict without a target, and skips subjects or concurrencies not measured', () => {
    const results = compare(
      [raw, sdk],
      [
        { label: 'info', numerator: 'sdk', denominator: 'raw', concurrency: 64 },
        { label: 'absent', numerator: 'other', denominator: 'raw', concurrency: 64 },
        { label: 'c=1', numerator: 'sdk', denominator: 'raw', concurrency: 1 },
      ],
    );
    expect(results.map((result) => [result.label, result.met])).toEqual([['info', undefined]]);
  });
});

describe('summarize', () => {
  it('summarises each concurrency of each subject over its rounds', () => {
    const summaries = summarize(
      [subject('raw', [run(0, 1, 10), run(1, 1, 30), run(2, 1, 20), run(0, 64, 100)])],
      new Map([['raw', 'raw grpc-js']]),
    );
    expect(summaries.map((summary) => [summary.concurrency, summary.rounds, summary.callsPerSecond])).toEqual([
      [1, 3, { median: 20, min: 10, max: 30 }],
      [64, 1, { median: 100, min: 100, max: 100 }],
    ]);
    expect(summaries[0]?.label).toBe('raw grpc-js');
  });

  it('puts the client GC per call beside the client CPU in the results table', () => {
    const summaries = summarize(
      [subject('raw', [run(0, 64, 100, 40), run(1, 64, 100, 60), run(2, 64, 100, 50)])],
      new Map(),
    );
    expect(summaries[0]?.clientGcMicrosPerCall).toEqual({ median: 10, min: 8, max: 12 });
    const row = resultsTable(summaries, 64)
      .split('\n')
      .find((line) => line.startsWith('| raw'));
    expect(row?.split('|').map((cell) => cell.trim())).toContain('10.0');
  });

  it("splits the client CPU: its main thread's part in a column of its own, a dash when any run lacks it", () => {
    const runs = [run(0, 64, 100, 40), run(1, 64, 100, 60), run(2, 64, 100, 50)];
    /** The results table's header and `raw` row, as cells. */
    const table = (summaries: ReturnType<typeof summarize>): { header: string[]; row: string[] } => {
      const lines = resultsTable(summaries, 64).split('\n');
      const cellsOf = (line: string | undefined): string[] => (line ?? '').split('|').map((cell) => cell.trim());
      return { header: cellsOf(lines[0]), row: cellsOf(lines.find((line) => line.startsWith('| raw'))) };
    };

    const measured = summarize([subject('raw', runs)], new Map());
    const { header, row } = table(measured);
    const column = header.indexOf('of which main thread');
    expect(column).toBe(header.indexOf('client CPU µs/call') + 1);
    expect(measured[0]?.clientMainThreadCpuMicrosPerCall).toEqual({ median: 37.5, min: 30, max: 45 });
    expect(row[column]).toBe('37.5');

    // Off Linux the worker sends null: no figure made of the runs that had one.
    const partial = summarize(
      [subject('raw', [...runs, { ...run(3, 64, 100, 50), clientMainThreadCpuMicrosPerCall: null }])],
      new Map(),
    );
    expect(partial[0]?.clientMainThreadCpuMicrosPerCall).toBeUndefined();
    expect(table(partial).row[column]).toBe('–');
  });
});
