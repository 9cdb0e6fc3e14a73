import { OTLPExporterBase } from '@opentelemetry/otlp-exporter-base';
import { convertLegacyHttpOptions, createOtlpHttpExportDelegate } from '@opentelemetry/otlp-exporter-base/node-http';
import {
  type IExportTraceServiceResponse,
  type ISerializer,
  ProtobufTraceSerializer,
  TraceExporterMetricsHelper,
} from '@opentelemetry/otlp-transformer';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { SpanEncoder } from './encode-spans.js';

/** The component type the official OTLP/HTTP span exporter reports in its self-observability metrics. */
const COMPONENT_TYPE = 'otlp_http_span_exporter';

/** The official protobuf serializer with the request side replaced by {@link SpanEncoder}. */
export function fastProtobufTraceSerializer(): ISerializer<ReadableSpan[], IExportTraceServiceResponse> {
  const encoder = new SpanEncoder();
  return {
    serializeRequest: (spans) => encoder.encode(spans),
    deserializeResponse: (response) => ProtobufTraceSerializer.deserializeResponse(response),
  };
}

/**
 * The OTLP http/protobuf span exporter, assembled exactly as `@opentelemetry/exporter-trace-otlp-proto`
 * assembles its `OTLPTraceExporter` (the same transport, retries, concurrency limit, and
 * `OTEL_EXPORTER_OTLP_*` configuration), but encoding requests with {@link SpanEncoder}: the same
 * bytes, about a third of the CPU.
 */
export function createOtlpProtobufSpanExporter(): SpanExporter {
  return new OTLPExporterBase(
    createOtlpHttpExportDelegate(
      convertLegacyHttpOptions({}, 'TRACES', 'v1/traces', { 'Content-Type': 'application/x-protobuf' }),
      fastProtobufTraceSerializer(),
      COMPONENT_TYPE,
      TraceExporterMetricsHelper,
      undefined, // self-observability metrics: the global MeterProvider, as the official exporter does by default
    ),
  );
}
