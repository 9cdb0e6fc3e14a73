import type { ComparisonSpec } from './summary.js';

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
