import { performance } from 'node:perf_hooks';
import { type Summary, summarize } from './stats.js';

/** What a load run observed. Latencies are per operation, in milliseconds. */
export interface LoadResult {
  operations: number;
  elapsedMs: number;
  opsPerSecond: number;
  latency: Summary;
}

/** Options of {@link closedLoop}. */
export interface ClosedLoopOptions {
  /** Operations in flight at any moment. */
  concurrency: number;
  /** Workers stop starting new operations after this long. */
  durationMs: number;
  /** One operation; `sequence` counts up from 0 across all workers. */
  operation: (sequence: number) => Promise<unknown>;
}

/**
 * Runs `operation` from `concurrency` workers, each starting its next operation as soon as its previous one
 * settles (a closed loop), for `durationMs`. A closed loop measures capacity at a fixed queue depth: throughput
 * is what the client and server can sustain with that many requests outstanding, and it cannot overload Redis.
 * The elapsed time includes the operations still in flight at the deadline, so ops/s is not inflated by them.
 */
export async function closedLoop(options: ClosedLoopOptions): Promise<LoadResult> {
  const latencies: number[] = [];
  let sequence = 0;
  const start = performance.now();
  const stopAt = start + options.durationMs;
  const worker = async (): Promise<void> => {
    while (performance.now() < stopAt) {
      const began = performance.now();
      await options.operation(sequence++);
      latencies.push(performance.now() - began);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return result(latencies, performance.now() - start);
}

/**
 * Runs `operation(0..count-1)`, each index exactly once, with at most `concurrency` in flight. Used where the
 * work is a fixed set (register these 5,000 instances), not a duration.
 */
export async function forEachConcurrent(
  count: number,
  concurrency: number,
  operation: (index: number) => Promise<unknown>,
): Promise<LoadResult> {
  const latencies: number[] = [];
  let next = 0;
  const start = performance.now();
  const worker = async (): Promise<void> => {
    while (next < count) {
      const index = next++;
      const began = performance.now();
      await operation(index);
      latencies.push(performance.now() - began);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return result(latencies, performance.now() - start);
}

/** Runs `operation` `count` times one after another (latency without queueing). */
export async function sequential(count: number, operation: (index: number) => Promise<unknown>): Promise<LoadResult> {
  return forEachConcurrent(count, 1, operation);
}

function result(latencies: number[], elapsedMs: number): LoadResult {
  if (latencies.length === 0) throw new Error('load run completed no operations');
  return {
    operations: latencies.length,
    elapsedMs,
    opsPerSecond: latencies.length / (elapsedMs / 1_000),
    latency: summarize(latencies),
  };
}

/** Options of {@link paced}. */
export interface PacedOptions {
  ratePerSecond: number;
  durationMs: number;
  /** Operations start in batches every `tickMs`, the way timers of many registrations fire together. */
  tickMs: number;
  operation: (sequence: number) => Promise<unknown>;
}

/**
 * Starts operations at a fixed rate (an open loop) for `durationMs`, then waits for the last ones. Unlike
 * {@link closedLoop} the rate does not depend on how fast operations complete: this is how a fleet's timers
 * load Redis, and it is what a "CPU at N ops/s" comparison needs.
 */
export async function paced(options: PacedOptions): Promise<number> {
  const started = performance.now();
  const inFlight = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  let sequence = 0;
  while (performance.now() - started < options.durationMs && !failure) {
    // Catch up to the schedule rather than counting ticks, so a late timer does not lower the rate.
    const due = Math.floor(((performance.now() - started) / 1_000) * options.ratePerSecond);
    while (sequence < due) {
      // Errors are kept, not left unhandled, and the first one is thrown once everything has settled.
      const operation: Promise<void> = options.operation(sequence++).then(
        () => undefined,
        (error: unknown) => {
          failure ??= { error };
        },
      );
      inFlight.add(operation);
      void operation.then(() => inFlight.delete(operation));
    }
    await new Promise((resolve) => setTimeout(resolve, options.tickMs));
  }
  await Promise.all(inFlight);
  if (failure) throw failure.error;
  return sequence;
}
