/**
 * @switchyard/tracing: OpenTelemetry tracing for Switchyard services, set up in one call.
 *
 * Stance: every physical attempt of a call is its own CLIENT span, so a retry is visible as one;
 * context crosses every hop as W3C `traceparent` and `baggage`; attribute names follow the
 * OpenTelemetry semantic conventions and move between their generations only when
 * `OTEL_SEMCONV_STABILITY_OPT_IN` says so; and tracing that is off costs nothing: no provider, no
 * spans, no attribute objects, one cached check per call.
 *
 * @packageDocumentation
 */

// Setup
export { currentTracing, initTracing } from './init-tracing.js';
export type { Tracing } from './tracing.js';
export { DEFAULT_TRACING_OPTIONS } from './tracing-options.js';
/** The OTLP protobuf span encoder behind the `otlp` exporter, for custom exporters and benchmarks. */
export { SpanEncoder } from './otlp/encode-spans.js';
export type { TracingOptions, TracingExporter } from './tracing-options.js';

// RPC span helpers for the transports
export { tracingActive } from './tracing-active.js';
export { startClientAttemptSpan } from './start-client-attempt-span.js';
export { startServerSpan } from './start-server-span.js';
export { endRpcSpan } from './end-rpc-span.js';
export type { RpcSpanOptions, RpcOutcome } from './rpc-span-options.js';
export { ATTR_SWITCHYARD_ATTEMPT } from './attribute-names.js';
export { instrumentationGrpcActive } from './instrumentation-grpc-active.js';
export type { GrpcClientClass, InstrumentationGrpcSetting } from './instrumentation-grpc-active.js';

// Metrics
export { currentMetrics, initMetrics } from './metrics/init-metrics.js';
export type { Metrics, MetricsOptions } from './metrics/init-metrics.js';
export { switchyardInstruments, metricsActive } from './metrics/instruments.js';
export { countEjections } from './metrics/ejection-count.js';
export type { EjectionSource } from './metrics/ejection-count.js';
export { observeCallPolicy, observeClientMetrics } from './metrics/policy-metrics.js';
export type { ObservedBreaker, ObservedRetry } from './metrics/policy-metrics.js';
export type { HttpClientSample } from './http-attributes.js';
export type { SwitchyardInstruments } from './metrics/instruments.js';

// Propagation
export { injectTraceContext } from './inject-trace-context.js';
export { inheritedParent, injectSpanContext, type SpanContextSetter } from './inject-span-context.js';
export { extractTraceContext } from './extract-trace-context.js';
export { getBaggageEntry, withBaggageEntry } from './baggage-entry.js';

// Semantic-convention choice
export { semconvStability } from './semconv-stability.js';
export type { SemconvStability, SemconvMode } from './semconv-stability.js';
