import type { RegistryBenchConfig } from './config.js';

/** One reported number: a row of the markdown table and an entry of registry.json. */
export interface Figure {
  metric: string;
  value: number;
  unit: 'ops/s' | 'ms' | '%' | 'bytes' | 'ratio' | 'count' | 'µs';
  notes?: string;
}

/** What one benchmark reports: its figures plus raw details (kept in the JSON only). */
export interface BenchmarkResult {
  id: string;
  title: string;
  figures: Figure[];
  details: Record<string, unknown>;
}

/** What every benchmark gets from the runner. */
export interface BenchContext {
  url: string;
  /** Unique to this run; each benchmark appends its own suffix so none sees another's keys. */
  namespace: string;
  config: RegistryBenchConfig;
  /** Progress on stderr, so stdout carries only the report. */
  log(message: string): void;
}

/** A benchmark: one file under src/registry/, run in order by run.ts. */
export type Benchmark = (context: BenchContext) => Promise<BenchmarkResult>;
