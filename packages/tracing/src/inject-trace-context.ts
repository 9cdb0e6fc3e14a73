import { type Context, context as api, defaultTextMapSetter, type TextMapSetter } from '@opentelemetry/api';
import { currentPropagator } from './propagator.js';

/**
 * Writes `traceparent`, `tracestate` and `baggage` for `context` (default: the active one) into
 * `carrier`, e.g. outgoing HTTP headers or gRPC metadata, with the global propagator (W3C when
 * none is registered). Writes nothing for a context with no span and no baggage.
 *
 * @example
 * ```ts
 * const headers: Record<string, string> = {};
 * injectTraceContext(headers, trace.setSpan(context.active(), attemptSpan));
 * ```
 */
export function injectTraceContext(carrier: Record<string, string>, context?: Context): void;
/**
 * The same into any carrier, through `setter` (e.g. straight into gRPC `Metadata`, without an
 * intermediate object to copy from). `context` defaults to the active context.
 */
export function injectTraceContext<Carrier>(
  carrier: Carrier,
  context: Context | undefined,
  setter: TextMapSetter<Carrier>,
): void;
export function injectTraceContext<Carrier>(
  carrier: Carrier,
  context?: Context,
  setter: TextMapSetter<Carrier> = defaultTextMapSetter as TextMapSetter<Carrier>,
): void {
  currentPropagator().inject(context ?? api.active(), carrier, setter);
}
