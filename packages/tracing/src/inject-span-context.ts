import {
  type Context,
  context as contextApi,
  defaultTextMapSetter,
  isSpanContextValid,
  propagation,
  type Span,
  type TextMapSetter,
  trace,
} from '@opentelemetry/api';
import { isTracingSuppressed } from '@opentelemetry/core';
import { injectTraceContext } from './inject-trace-context.js';
import { isOwnW3CPropagator, registeredPropagator } from './propagator.js';

/** `traceparent` exactly as W3CTraceContextPropagator writes it. */
function traceparentOf(span: Span): string | undefined {
  const spanContext = span.spanContext();
  if (!isSpanContextValid(spanContext)) return undefined;
  return `00-${spanContext.traceId}-${spanContext.spanId}-0${Number(spanContext.traceFlags || 0).toString(16)}`;
}

/**
 * Writes the propagation headers of a call made from `span` (a client attempt span) in the active
 * context: the same as `injectTraceContext(carrier, trace.setSpan(context.active(), span), setter)`.
 * Under the W3C propagator {@link initTracing} registers, with no baggage in the active context, it
 * writes `traceparent` (and `tracestate`) straight from the span, without building that context
 * and running two propagators over it (internal to Switchyard's transports).
 */
export function injectSpanContext<Carrier>(
  carrier: Carrier,
  span: Span,
  setter: TextMapSetter<Carrier> = defaultTextMapSetter as TextMapSetter<Carrier>,
): void {
  const active: Context = contextApi.active();
  if (!isOwnW3CPropagator(registeredPropagator()) || propagation.getBaggage(active) !== undefined) {
    injectTraceContext(carrier, trace.setSpan(active, span), setter);
    return;
  }
  if (isTracingSuppressed(active)) return;
  const traceparent = traceparentOf(span);
  if (traceparent === undefined) return;
  setter.set(carrier, 'traceparent', traceparent);
  const traceState = span.spanContext().traceState;
  if (traceState) setter.set(carrier, 'tracestate', traceState.serialize());
}
