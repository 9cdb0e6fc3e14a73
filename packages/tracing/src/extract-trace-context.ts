import { type Context, defaultTextMapGetter, ROOT_CONTEXT } from '@opentelemetry/api';
import { currentPropagator } from './propagator.js';

/**
 * Reads `traceparent`, `tracestate` and `baggage` from an incoming carrier (Node's
 * `IncomingHttpHeaders`, a gRPC metadata map: lower-case keys) into a new context based on the
 * root context, ready to be the parent of {@link startServerSpan}. With the global propagator, or
 * W3C when none is registered. Malformed headers are ignored.
 *
 * @example
 * ```ts
 * const parent = extractTraceContext(request.headers);
 * const track = getBaggageEntry('switchyard.track', parent);
 * ```
 */
export function extractTraceContext(carrier: Record<string, string | string[] | undefined>): Context {
  return currentPropagator().extract(ROOT_CONTEXT, carrier, defaultTextMapGetter);
}
