import type { Metadata } from '@grpc/grpc-js';
import { baggageWithTrack, type CallScope, trackFromBaggage } from '@switchyard/core';
import {
  endRpcSpan,
  inheritedParent,
  injectSpanContext,
  injectTraceContext,
  instrumentationGrpcActive,
  type SpanContextSetter,
  startClientAttemptSpan,
  tracingActive,
} from '@switchyard/tracing';
import { setValidMetadata } from './grpc-internals.js';

/** The span of one attempt (or nothing when tracing is off). */
export interface AttemptSpan {
  end(grpcCode: number, error?: unknown): void;
}

/**
 * Prepares one physical attempt's metadata for tracing: with an active tracer, a CLIENT span per
 * attempt (so a retried call shows each try) and its context injected; without one, the incoming
 * call's propagation headers are forwarded as they are, so traces and baggage survive the hop.
 * `scope` is the call scope the call was made in (read once per call, not per attempt).
 */
export function traceAttempt(
  enabled: boolean,
  metadata: Metadata,
  scope: CallScope | undefined,
  info: { service: string; method: string; host: string; port: number; attempt: number },
  viaClientMethods = false,
): AttemptSpan | undefined {
  // @opentelemetry/instrumentation-grpc traces calls made through grpc-js's Client methods (this
  // client's streams), so those are left to it. Unary calls go below them (directUnaryCall): the
  // instrumentation never sees them, and deferring to it left them untraced, each hop starting a
  // new trace.
  if (enabled && tracingActive() && !(viaClientMethods && instrumentationGrpcActive())) {
    const parent = inheritedParent(scope?.propagation);
    const span = startClientAttemptSpan({
      system: 'grpc',
      service: info.service,
      method: info.method,
      serverAddress: info.host,
      serverPort: info.port,
      attempt: info.attempt,
      ...(parent === undefined ? {} : { parent }),
    });
    injectSpanContext(metadata, span, METADATA_SETTER, parent);
    carryTrack(metadata, scope?.track);
    return { end: (grpcCode, error) => endRpcSpan(span, { grpcStatusCode: grpcCode, error }) };
  }
  const propagation = scope?.propagation;
  if (propagation) for (const [key, value] of Object.entries(propagation)) metadata.set(key, value);
  // This client's spans are off but a tracer runs (a traced handler's server span is active): the
  // trace goes on through the next hop rather than ending here.
  else if (tracingActive()) injectTraceContext(metadata, undefined, METADATA_SETTER);
  carryTrack(metadata, scope?.track);
  return undefined;
}

/** Writes propagation fields straight into gRPC metadata; the traceparent built from a span unchecked. */
const METADATA_SETTER: SpanContextSetter<Metadata> = {
  set: (metadata, key, value) => metadata.set(key, value),
  setBuilt: setValidMetadata,
};

/** Makes sure the call scope's experiment track travels on, in the outgoing baggage. */
function carryTrack(metadata: Metadata, track: string | undefined): void {
  if (track === undefined) return;
  const baggage = metadata.get('baggage')[0] as string | undefined;
  if (trackFromBaggage(baggage) !== track) metadata.set('baggage', baggageWithTrack(baggage, track));
}
