import { describe, expect, it } from 'vitest';
import type { MachineInfo } from '../machine.js';
import { renderTransportReport, type TransportReport } from './transport-report.js';

function report(rejected: number): TransportReport {
  const machine: MachineInfo = {
    cpuModel: 'test CPU',
    cpuCount: 2,
    platform: 'linux',
    totalMemoryGiB: 1,
    loadAverage1m: 0.5,
    node: 'v20.0.0',
  };
  return {
    title: 'Test benchmark',
    command: 'pnpm bench:test',
    quick: false,
    startedAt: '2026-01-01T00:00:00.000Z',
    durationMs: 1_000,
    machine,
    loadAverageAtEnd: [0.5, 0.5, 0.5],
    versions: {},
    config: { rounds: 1, processes: 1, runMs: 600, warmupMs: 1_000, concurrencies: [1] },
    subjects: [{ id: 'traced', label: 'a traced subject' }],
    summaries: [],
    comparisons: [],
    sink: {
      endpoint: 'http://127.0.0.1:1',
      tallies: { 'bench-traced': { requests: 2, bytes: 10, spans: 5 } },
      rejected,
    },
    tracedServices: [{ subject: 'traced', serviceName: 'bench-traced', side: 'client' }],
    loadDuringRuns: { min: 0.5, max: 0.5 },
    profiles: [],
    results: [
      {
        id: 'traced',
        setupMs: 0,
        notes: [],
        runs: [],
        processes: 1,
        totals: { calls: 5, cpuMicros: 1, droppedSpans: 0, exportErrors: 0 },
      },
    ],
  };
}

describe('renderTransportReport', () => {
  it('says how many export requests the OTLP sink could not read, next to the spans it counted', () => {
    // The sink answers such a request 200 (so the exporter neither retries nor logs an error) and
    // counts it as rejected: its spans are missing from "spans received", and only this line says why.
    const markdown = renderTransportReport(report(3), 'Test workload.');
    expect(markdown).toContain('The OTLP sink could not decode 3 export requests');
  });

  it('says nothing of rejected requests when there were none', () => {
    expect(renderTransportReport(report(0), 'Test workload.')).not.toContain('could not decode');
  });
});
