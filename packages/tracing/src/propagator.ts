import {
  type Context,
  isSpanContextValid,
  propagation,
  type TextMapPropagator,
  type TextMapSetter,
  trace,
} from '@opentelemetry/api';
import {
  CompositePropagator,
  isTracingSuppressed,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
} from '@opentelemetry/core';
import { InvalidArgumentError } from '@switchyard/core';
import { rawEnvListEntry, readEnvList } from './env.js';

// Marks the propagators made here, with what they carry (a global symbol, so ESM and CJS copies of
// this package agree).
const OWN_W3C = Symbol.for('switchyard.tracing.w3cPropagator');

/** The propagators this package bundles, as `OTEL_PROPAGATORS` names them. */
export type BundledPropagator = 'tracecontext' | 'baggage';

/** Propagators the specification names that this package does not bundle. */
const KNOWN_UNBUNDLED = ['b3', 'b3multi', 'jaeger', 'xray', 'ottrace'];

/**
 * The propagators `OTEL_PROPAGATORS` asks for: `tracecontext` and `baggage` when unset, none for
 * `none`. A propagator this package does not bundle (`b3`, `jaeger`, …) or an unknown name is
 * INVALID_ARGUMENT naming the variable: silently sending W3C headers to a B3 fleet would break
 * every trace at the first hop.
 */
export function propagatorsFromEnv(): readonly BundledPropagator[] {
  const names = readEnvList('OTEL_PROPAGATORS');
  if (names === undefined) return ['tracecontext', 'baggage'];
  if (names[0] === 'none') return [];
  for (const name of names) {
    if (name === 'tracecontext' || name === 'baggage') continue;
    const hint = KNOWN_UNBUNDLED.includes(name)
      ? `${name} is not bundled with @switchyard/tracing: register its propagator with propagation.setGlobalPropagator() before initTracing(), which then leaves it (and this variable) alone, and Switchyard's transports use it`
      : `unknown propagator ${JSON.stringify(rawEnvListEntry('OTEL_PROPAGATORS', name))}`;
    throw new InvalidArgumentError('OTEL_PROPAGATORS', `${hint}; supported: tracecontext, baggage, none`);
  }
  return names as BundledPropagator[];
}

/**
 * The `trace-flags` field of a traceparent for `flags`: sampled (01) and random (02, Trace Context
 * Level 2) kept, every other bit zeroed, always two lower-case hex digits (internal).
 */
export const TRACE_FLAGS_TEXT: readonly string[] = ['00', '01', '02', '03'];
/** The trace flags W3C Trace Context defines; the others are reserved and "MUST" be sent as zero. */
export const KNOWN_TRACE_FLAGS = 0x03;

/**
 * OpenTelemetry's W3C trace-context propagator with two repairs to what it writes (internal):
 *
 * - flags: it writes `0` + the flags in hex, so a context extracted from `…-ff` or `…-10` (valid
 *   input: any two hex digits) went on as `…-0ff` / `…-010`, a traceparent every receiver rejects,
 *   and the trace broke at the next hop. Here the flags are the two digits of sampled and random,
 *   the reserved bits zeroed as the specification requires of a sender;
 * - an empty `tracestate` (every incoming member invalid) is not sent: receivers must accept one,
 *   but senders should avoid it.
 */
class W3CTraceContext extends W3CTraceContextPropagator {
  override inject(context: Context, carrier: unknown, setter: TextMapSetter): void {
    const spanContext = trace.getSpanContext(context);
    if (!spanContext || isTracingSuppressed(context) || !isSpanContextValid(spanContext)) return;
    const flags = TRACE_FLAGS_TEXT[spanContext.traceFlags & KNOWN_TRACE_FLAGS];
    setter.set(carrier, 'traceparent', `00-${spanContext.traceId}-${spanContext.spanId}-${flags}`);
    const traceState = spanContext.traceState?.serialize();
    if (traceState) setter.set(carrier, 'tracestate', traceState);
  }
}

/**
 * W3C `traceparent`/`tracestate` and `baggage`, or the ones of them asked for (none: a propagator
 * that carries nothing): what {@link initTracing} registers.
 */
export function createW3CPropagator(
  carries: readonly BundledPropagator[] = ['tracecontext', 'baggage'],
): TextMapPropagator {
  const traceContext = carries.includes('tracecontext');
  const baggage = carries.includes('baggage');
  const propagator = new CompositePropagator({
    propagators: [...(traceContext ? [new W3CTraceContext()] : []), ...(baggage ? [new W3CBaggagePropagator()] : [])],
  });
  Object.defineProperty(propagator, OWN_W3C, { value: { traceContext, baggage } });
  return propagator;
}

function ownCarries(
  propagator: TextMapPropagator | undefined,
): { traceContext: boolean; baggage: boolean } | undefined {
  return (propagator as { [OWN_W3C]?: { traceContext: boolean; baggage: boolean } } | undefined)?.[OWN_W3C];
}

/**
 * Whether `propagator` is one {@link createW3CPropagator} made that carries both trace context and
 * baggage (the default), so the transports may write `traceparent` straight from a span (internal).
 */
export function isOwnW3CPropagator(propagator: TextMapPropagator | undefined): boolean {
  const carries = ownCarries(propagator);
  return carries?.traceContext === true && carries.baggage;
}

/**
 * Whether a propagator is registered with the OpenTelemetry API, by anyone (one that carries no
 * fields counts too). When the API hides it, a registered one is recognised by its fields alone.
 */
function propagatorRegistered(registered = registeredPropagator()): boolean {
  if (registered === undefined) return propagation.fields().length > 0;
  return registered.constructor?.name !== 'NoopTextMapPropagator';
}

/** Whether someone other than this package registered a propagator (internal). */
export function foreignPropagatorRegistered(): boolean {
  const registered = registeredPropagator();
  return propagatorRegistered(registered) && ownCarries(registered) === undefined;
}

/** The propagator registered with the OpenTelemetry API, when the API lets us see it (internal). */
export function registeredPropagator(): TextMapPropagator | undefined {
  // The API keeps it behind a method it does not type as public.
  const read = (propagation as unknown as { _getGlobalPropagator?: () => TextMapPropagator })._getGlobalPropagator;
  return typeof read === 'function' ? read.call(propagation) : undefined;
}

let fallback: TextMapPropagator | undefined;

/**
 * The global propagator when one is registered (by {@link initTracing}, even one that carries
 * nothing for `OTEL_PROPAGATORS=none`, or by anyone else); otherwise a private W3C one, so trace
 * context and baggage carried in explicit contexts still cross a hop whose process did not turn
 * tracing on (internal).
 */
export function currentPropagator(): TextMapPropagator {
  if (propagatorRegistered()) return propagation;
  fallback ??= createW3CPropagator();
  return fallback;
}
