import { propagation, type TextMapPropagator } from '@opentelemetry/api';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';

/** W3C `traceparent`/`tracestate` plus `baggage`: what {@link initTracing} registers. */
export function createW3CPropagator(): TextMapPropagator {
  return new CompositePropagator({
    propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
  });
}

let fallback: TextMapPropagator | undefined;

/**
 * The global propagator when one is registered (by {@link initTracing} or anyone else); otherwise
 * a private W3C one, so trace context and baggage carried in explicit contexts still cross a hop
 * whose process did not turn tracing on (internal).
 */
export function currentPropagator(): TextMapPropagator {
  if (propagation.fields().length > 0) return propagation;
  fallback ??= createW3CPropagator();
  return fallback;
}
