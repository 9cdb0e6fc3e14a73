import { type Attributes, context, INVALID_SPAN_CONTEXT, type Span, SpanKind, trace } from '@opentelemetry/api';
import { InvalidArgumentError } from '@switchyard/core';
import { ATTR_SWITCHYARD_ATTEMPT } from './attribute-names.js';
import { grpcSpanName, grpcStartAttributes } from './grpc-attributes.js';
import { httpSpanName, httpStartAttributes } from './http-attributes.js';
import type { RpcSpanOptions } from './rpc-span-options.js';
import { startSpanFromParts } from './start-span-from-parts.js';
import { type SemconvMode, semconvStability } from './semconv-stability.js';
import { setSpanInfo, spanInfo } from './span-info.js';
import { activeTracer } from './tracing-active.js';

/** The span handed out when no provider is registered: non-recording, shared, free. */
export const NOOP_SPAN: Span = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

/** Starts a client or server RPC span with the conventions in force (internal; see the two public helpers). */
export function startRpcSpan(options: RpcSpanOptions, kind: 'client' | 'server'): Span {
  const { tracer, attributesAfterSampling, parts } = activeTracer();
  if (tracer === undefined) return NOOP_SPAN;
  const { system } = options;
  if (system !== 'grpc' && system !== 'http') {
    throw new InvalidArgumentError('rpcSpan.system', `must be one of grpc, http, got ${JSON.stringify(system)}`);
  }
  const stability = semconvStability();
  const mode = system === 'grpc' ? stability.rpc : stability.http;
  const name = system === 'grpc' ? grpcSpanName(options) : httpSpanName(options, kind);
  const spanKind = kind === 'client' ? SpanKind.CLIENT : SpanKind.SERVER;
  const parent = options.parent ?? context.active();
  if (parts !== undefined) {
    // initTracing's provider: the SDK's decisions from its own parts, a lighter span (rpc-span.ts).
    return startSpanFromParts(
      parts,
      name,
      spanKind,
      parent,
      () => startAttributes(options, kind, mode),
      spanInfo(system, kind, mode),
    );
  }
  // initTracing's samplers never read attributes, so they are set once sampled: an unsampled span
  // builds none, and a sampled one skips the SDK's two sanitizing copies of what startSpan is
  // given (~0.5 µs a span). Any other provider's sampler gets them at start.
  const span = tracer.startSpan(
    name,
    attributesAfterSampling ? { kind: spanKind } : { kind: spanKind, attributes: startAttributes(options, kind, mode) },
    parent,
  );
  if (!span.isRecording()) return span;
  if (attributesAfterSampling) span.setAttributes(startAttributes(options, kind, mode));
  setSpanInfo(span, system, kind, mode);
  return span;
}

/** The attributes known when an RPC span starts, per the conventions in force. */
function startAttributes(options: RpcSpanOptions, kind: 'client' | 'server', mode: SemconvMode): Attributes {
  const attributes =
    options.system === 'grpc' ? grpcStartAttributes(options, mode) : httpStartAttributes(options, kind, mode);
  if (kind === 'client') attributes[ATTR_SWITCHYARD_ATTEMPT] = options.attempt ?? 1;
  if (options.attributes !== undefined) Object.assign(attributes, options.attributes);
  return attributes;
}
