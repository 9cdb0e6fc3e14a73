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
import { extractTraceContext } from './extract-trace-context.js';
import { injectTraceContext } from './inject-trace-context.js';
import { isOwnW3CPropagator, KNOWN_TRACE_FLAGS, registeredPropagator, TRACE_FLAGS_TEXT } from './propagator.js';
import { RpcSpan } from './rpc-span.js';
import { UnsampledSpan } from './unsampled-span.js';

/** `traceparent` exactly as the propagator of createW3CPropagator writes it. */
function traceparentOf(span: Span): string | undefined {
  const spanContext = span.spanContext();
  // A span of the RPC helpers whose ids are known valid skips the API's regular expressions.
  const knownValid = (span instanceof RpcSpan || span instanceof UnsampledSpan) && span.contextValid;
  if (!knownValid && !isSpanContextValid(spanContext)) return undefined;
  // Sampled and random only, always two digits (see W3CTraceContext in propagator.ts).
  return `00-${spanContext.traceId}-${spanContext.spanId}-${TRACE_FLAGS_TEXT[spanContext.traceFlags & KNOWN_TRACE_FLAGS]}`;
}

/**
 * A setter that may also take values known to be well-formed: `setBuilt` receives the
 * `traceparent` that {@link injectSpanContext} builds itself from a valid span context (hex digits
 * and dashes only), so a carrier that validates what it is given can skip that for it. Without
 * `setBuilt`, `set` receives everything.
 */
export interface SpanContextSetter<Carrier> extends TextMapSetter<Carrier> {
  /** Sets `key` to `value`, a `traceparent` known to be well-formed: no need to check it. */
  setBuilt?(carrier: Carrier, key: string, value: string): void;
}

/**
 * Writes the propagation headers of a call made from `span` (a client attempt span) in the active
 * context: the same as `injectTraceContext(carrier, trace.setSpan(context.active(), span), setter)`.
 * Under the W3C propagator {@link initTracing} registers, with no baggage in the active context, it
 * writes `traceparent` (and `tracestate`) straight from the span, without building that context
 * and running two propagators over it (internal to Switchyard's transports). `setter` defaults to
 * OpenTelemetry's `defaultTextMapSetter` (a plain object's properties).
 */
export function injectSpanContext<Carrier>(
  carrier: Carrier,
  span: Span,
  setter: SpanContextSetter<Carrier> = defaultTextMapSetter as TextMapSetter<Carrier>,
  /** The context the span was started in, when not the active one (see inheritedParent). */
  parent?: Context,
): void {
  if (parent !== undefined) {
    injectTraceContext(carrier, trace.setSpan(parent, span), setter);
    return;
  }
  const active: Context = contextApi.active();
  if (!isOwnW3CPropagator(registeredPropagator()) || propagation.getBaggage(active) !== undefined) {
    injectTraceContext(carrier, trace.setSpan(active, span), setter);
    return;
  }
  if (isTracingSuppressed(active)) return;
  const traceparent = traceparentOf(span);
  if (traceparent === undefined) return;
  if (setter.setBuilt) setter.setBuilt(carrier, 'traceparent', traceparent);
  else setter.set(carrier, 'traceparent', traceparent);
  // Not an empty one (every incoming member invalid), as the propagator.
  const traceState = span.spanContext().traceState?.serialize();
  if (traceState) setter.set(carrier, 'tracestate', traceState);
}

/**
 * The parent of a client span started in a handler whose server did not trace it (its tracing off
 * while a tracer is registered): the trace context of the incoming headers it kept (`propagation`
 * of its call scope), when no span is active. Without it, such a client started a new trace at
 * every hop, and dropped the caller's baggage. Undefined otherwise (the active context applies).
 */
export function inheritedParent(propagation: Readonly<Record<string, string>> | undefined): Context | undefined {
  if (propagation === undefined || trace.getSpan(contextApi.active()) !== undefined) return undefined;
  return extractTraceContext(propagation);
}
