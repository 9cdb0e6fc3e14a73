import { bulkhead, circuitBreaker, compose, retry, timeout } from '@switchyard/resilience';
import {
  bulkhead as cockatielBulkhead,
  circuitBreaker as cockatielCircuitBreaker,
  handleAll,
  retry as cockatielRetry,
  SamplingBreaker,
  TimeoutStrategy,
  timeout as cockatielTimeout,
  wrap,
} from 'cockatiel';
import CircuitBreaker from 'opossum';

/** One thing whose per-call overhead is measured: `call()` runs the operation through it once. */
export interface Subject {
  id: string;
  library: 'baseline' | 'switchyard' | 'cockatiel' | 'opossum';
  /** What it is, for the report. */
  label: string;
  /** One of the configurations Switchyard's target is set against (cockatiel and opossum as specified). */
  competitor?: boolean;
  call: () => Promise<unknown>;
  close?: () => void;
}

/** The operation every subject runs: already resolved, so what is measured is the policies' overhead. */
const operation = (): Promise<number> => Promise.resolve(1);

/**
 * The same protection in each library, as close as their models allow: a 2 s overall timeout, up to 3
 * attempts (cockatiel counts retries, so `maxAttempts: 2`), a breaker opening at a 50 % failure rate
 * over 10 s with at least 20 calls (cockatiel's SamplingBreaker `minimumRps: 2` × 10 s), and 100
 * concurrent calls at most. opossum bundles a timeout and a breaker only: no retry, no bulkhead.
 */
export function createSubjects(): Subject[] {
  const switchyard = compose(
    timeout({ ms: 2_000 }),
    retry({ maxAttempts: 3 }),
    circuitBreaker(),
    bulkhead({ maxConcurrent: 100 }),
  );
  const cockatielWith = (timeoutPolicy: ReturnType<typeof cockatielTimeout>) =>
    wrap(
      timeoutPolicy,
      cockatielRetry(handleAll, { maxAttempts: 2 }),
      cockatielCircuitBreaker(handleAll, {
        halfOpenAfter: 5_000,
        breaker: new SamplingBreaker({ threshold: 0.5, duration: 10_000, minimumRps: 2 }),
      }),
      cockatielBulkhead(100),
    );
  const cockatiel = cockatielWith(cockatielTimeout(2_000, TimeoutStrategy.Cooperative));
  // By default cockatiel's timeout aborts its AbortController when the call returns (`abortOnReturn`),
  // which builds a DOMException per call. Shown for information; the target is set against the default.
  const cockatielNoAbort = cockatielWith(
    cockatielTimeout(2_000, { strategy: TimeoutStrategy.Cooperative, abortOnReturn: false }),
  );
  const opossum = new CircuitBreaker(operation, { timeout: 2_000, errorThresholdPercentage: 50, resetTimeout: 5_000 });
  const alone = {
    timeout: timeout({ ms: 2_000 }),
    retry: retry({ maxAttempts: 3 }),
    circuitBreaker: circuitBreaker(),
    bulkhead: bulkhead({ maxConcurrent: 100 }),
  };
  return [
    { id: 'bare', library: 'baseline', label: 'await fn()', call: operation },
    {
      id: 'switchyard',
      library: 'switchyard',
      label: 'compose(timeout, retry, circuitBreaker, bulkhead)',
      call: () => switchyard.execute(operation),
    },
    {
      id: 'switchyard-timeout',
      library: 'switchyard',
      label: 'timeout({ ms: 2_000 }) alone',
      call: () => alone.timeout.execute(operation),
    },
    {
      id: 'switchyard-retry',
      library: 'switchyard',
      label: 'retry({ maxAttempts: 3 }) alone',
      call: () => alone.retry.execute(operation),
    },
    {
      id: 'switchyard-circuit-breaker',
      library: 'switchyard',
      label: 'circuitBreaker() alone',
      call: () => alone.circuitBreaker.execute(operation),
    },
    {
      id: 'switchyard-bulkhead',
      library: 'switchyard',
      label: 'bulkhead({ maxConcurrent: 100 }) alone',
      call: () => alone.bulkhead.execute(operation),
    },
    {
      id: 'cockatiel',
      library: 'cockatiel',
      label: 'wrap(timeout, retry, circuitBreaker, bulkhead)',
      competitor: true,
      call: () => cockatiel.execute(operation),
    },
    {
      id: 'cockatiel-no-abort-on-return',
      library: 'cockatiel',
      label: 'the same, timeout with abortOnReturn: false',
      call: () => cockatielNoAbort.execute(operation),
    },
    {
      id: 'opossum',
      library: 'opossum',
      competitor: true,
      label: 'new CircuitBreaker(fn, { timeout, … }).fire()',
      call: () => opossum.fire(),
      close: () => opossum.shutdown(),
    },
  ];
}

/**
 * The subjects `BENCH_ONLY` names, all of them when it is empty. A name that is no subject's id is an
 * error that lists the known ones, as in the other benchmarks: skipping it ran the benchmark without
 * that subject and said nothing (a mistyped competitor left the verdict with the 1 µs bound alone).
 */
export function selectSubjects(all: readonly Subject[], only: readonly string[]): Subject[] {
  const unknown = only.filter((id) => !all.some((subject) => subject.id === id));
  if (unknown.length > 0) {
    throw new Error(
      `BENCH_ONLY: unknown subject(s) ${unknown.join(', ')}; known: ${all.map((subject) => subject.id).join(', ')}`,
    );
  }
  return only.length === 0 ? [...all] : all.filter((subject) => only.includes(subject.id));
}
