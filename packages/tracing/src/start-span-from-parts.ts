import {
  type Attributes,
  type Context,
  diag,
  INVALID_SPAN_CONTEXT,
  type Link,
  SamplingDecision,
  type Span,
  type SpanContext,
  type SpanKind,
  TraceFlags,
  trace,
} from '@opentelemetry/api';
import { isTracingSuppressed } from '@opentelemetry/core';
import { RpcSpan } from './rpc-span.js';
import { UnsampledSpan } from './unsampled-span.js';
import type { SpanInfo } from './span-info.js';
import type { TracerParts } from './tracer-parts.js';

// What the sampler is shown: initTracing's samplers read neither (see SAMPLER_IGNORES_ATTRIBUTES).
const NO_ATTRIBUTES: Attributes = Object.freeze({});
const NO_LINKS: Link[] = Object.freeze([]) as unknown as Link[];

/**
 * The SDK tracer's `startSpan` for the RPC helpers (internal): the same suppression check, parent
 * and id choice and sampling decision, made from the tracer's own parts, but a recording span is an
 * {@link RpcSpan}, given `startAttributes()` (built only once the span is sampled) and then the
 * sampler's own attributes, which win as in the SDK, before the processors' `onStart` sees it. A
 * span that is not recorded comes back as the SDK returns it, a non-recording span that still
 * carries the context onward (an {@link UnsampledSpan}, which also knows its ids valid).
 */
export function startSpanFromParts(
  parts: TracerParts,
  name: string,
  kind: SpanKind,
  context: Context,
  startAttributes: () => Attributes,
  info: SpanInfo,
): Span | RpcSpan {
  if (isTracingSuppressed(context)) {
    diag.debug('Instrumentation suppressed, returning Noop Span');
    return trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
  }
  const parent = trace.getSpan(context)?.spanContext();
  const spanId = parts.idGenerator.generateSpanId();
  let traceId: string;
  let traceState: SpanContext['traceState'];
  let validParent: SpanContext | undefined;
  if (parent === undefined || !trace.isSpanContextValid(parent)) {
    traceId = parts.idGenerator.generateTraceId();
  } else {
    traceId = parent.traceId;
    traceState = parent.traceState;
    validParent = parent;
  }
  const sampling = parts.sampler.shouldSample(context, traceId, name, kind, NO_ATTRIBUTES, NO_LINKS);
  const traceFlags = sampling.decision === SamplingDecision.RECORD_AND_SAMPLED ? TraceFlags.SAMPLED : TraceFlags.NONE;
  const spanContext: SpanContext = { traceId, spanId, traceFlags, traceState: sampling.traceState ?? traceState };
  if (sampling.decision === SamplingDecision.NOT_RECORD) {
    // No diag.debug here, unlike the SDK's tracer: below 100 % sampling this is most calls, and
    // the API's diag proxy looks its logger up globally and gathers its arguments on every call,
    // listened to or not.
    // Its ids are valid when the generator's are: the trace id is new, or a parent's checked above.
    return new UnsampledSpan(spanContext, parts.idsAlwaysValid);
  }
  const span = new RpcSpan(parts, spanContext, name, kind, validParent, info);
  span.adoptAttributes(startAttributes());
  if (sampling.attributes !== undefined) span.mergeSamplerAttributes(sampling.attributes);
  parts.processor.onStart(span, context);
  return span;
}
