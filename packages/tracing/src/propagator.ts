import { propagation, type TextMapPropagator } from '@opentelemetry/api';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';

// Marks the propagators made here (a global symbol, so ESM and CJS copies of this package agree).
const OWN_W3C = Symbol.for('switchyard.tracing.w3cPropagator');

/** W3C `traceparent`/`tracestate` plus `baggage`: what {@link initTracing} registers. */
export function createW3CPropagator(): TextMapPropagator {
  const propagator = new CompositePropagator({
    propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
  });
  Object.defineProperty(propagator, OWN_W3C, { value: true });
  return propagator;
}

/** Whether `propagator` is one {@link createW3CPropagator} made (internal). */
export function isOwnW3CPropagator(propagator: TextMapPropagator | undefined): boolean {
  return (propagator as { [OWN_W3C]?: boolean } | undefined)?.[OWN_W3C] === true;
}

/** The propagator registered with the OpenTelemetry API, when the API lets us see it (internal). */
export function registeredPropagator(): TextMapPropagator | undefined {
  // The API keeps it behind a method it does not type as public.
  const read = (propagation as unknown as { _getGlobalPropagator?: () => TextMapPropagator })._getGlobalPropagator;
  return typeof read === 'function' ? read.call(propagation) : undefined;
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
