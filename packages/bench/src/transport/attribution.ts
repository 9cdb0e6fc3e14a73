import type { ComparisonSpec } from './summary.js';

/** What an attribution subject is, whatever the transport (each catalog adds its own fields). */
interface AttributionSubject {
  id: string;
  label: string;
  kind: 'switchyard';
  traced?: boolean;
  discardSpans?: boolean;
  sampleRatio?: number;
  optional: true;
}

/**
 * The optional subjects both transport benchmarks run for attribution, the same in each: the A/A
 * control, the traced client whose spans are dropped as they end, and the traced client at 10 %
 * sampling. The catalogs add their transport's fields (a gRPC subject's server and channels).
 */
export const ATTRIBUTION_SUBJECTS = {
  again: {
    id: 'switchyard-again',
    label:
      'a second `switchyard` worker, the same in every respect: an A/A control, whose ratio to `switchyard` shows how far two identical subjects read apart in one run',
    kind: 'switchyard',
    optional: true,
  },
  unexported: {
    id: 'switchyard-traced-unexported',
    label:
      'the same as `switchyard-traced`, but every span is dropped as it ends (spans started, propagated and ended; never batched, encoded or sent), for attribution',
    kind: 'switchyard',
    traced: true,
    discardSpans: true,
    optional: true,
  },
  sampled: {
    id: 'switchyard-traced-sampled',
    label:
      'the same as `switchyard-traced` with `sampleRatio: 0.1`: 1 call in 10 recorded and exported, the others propagate a `traceparent` with the sampled flag off',
    kind: 'switchyard',
    traced: true,
    sampleRatio: 0.1,
    optional: true,
  },
} as const satisfies Record<string, AttributionSubject>;

/**
 * The optional attribution rows, shown when their subjects ran: the A/A control, and tracing's cost
 * split into the span's own life (unexported / untraced) and the export pipeline (traced / unexported).
 */
export function tracingAttribution(concurrency: number): ComparisonSpec[] {
  return [
    { label: 'switchyard-again / switchyard', numerator: 'switchyard-again', denominator: 'switchyard', concurrency },
    {
      label: 'switchyard-traced-unexported / switchyard',
      numerator: 'switchyard-traced-unexported',
      denominator: 'switchyard',
      concurrency,
    },
    {
      label: 'switchyard-traced / switchyard-traced-unexported',
      numerator: 'switchyard-traced',
      denominator: 'switchyard-traced-unexported',
      concurrency,
    },
  ];
}
