import { diag, type MeterProvider } from '@opentelemetry/api';
import { OTLPExporterBase } from '@opentelemetry/otlp-exporter-base';
import { createOtlpHttpExportDelegate } from '@opentelemetry/otlp-exporter-base/node-http';
import {
  type IExportTraceServiceResponse,
  type ISerializer,
  ProtobufTraceSerializer,
  TraceExporterMetricsHelper,
} from '@opentelemetry/otlp-transformer';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { SpanEncoder } from './encode-spans.js';
import { boundedMainThreadExporter } from './export-deadlines.js';
import { OffThreadSpanExporter, OTLP_HTTP_SPAN_COMPONENT } from './off-thread-span-exporter.js';
import { type OtlpEnvironment, takeOtlpEnvironment } from './otlp-environment.js';

/** The official protobuf serializer with the request side replaced by {@link SpanEncoder}. */
export function fastProtobufTraceSerializer(): ISerializer<ReadableSpan[], IExportTraceServiceResponse> {
  const encoder = new SpanEncoder();
  return {
    serializeRequest: (spans) => encoder.encode(spans),
    deserializeResponse: (response) => ProtobufTraceSerializer.deserializeResponse(response),
  };
}

/**
 * The OTLP http/protobuf span exporter: {@link OffThreadSpanExporter}, which sends from a thread of
 * its own, unless `SWITCHYARD_OTLP_EXPORT_THREAD=false` or no thread can be started; then the same
 * exporter on the main thread. Both are assembled exactly as `@opentelemetry/exporter-trace-otlp-proto`
 * assembles its `OTLPTraceExporter` (the same transport, retries, concurrency limit, and
 * `OTEL_EXPORTER_OTLP_*` configuration), but encoding requests with {@link SpanEncoder}: the same
 * bytes, about a third of the CPU.
 */
export function createOtlpProtobufSpanExporter(
  selfObsMeterProvider?: MeterProvider,
  /** The OTLP configuration, as initTracing() took it. */
  otlp: OtlpEnvironment = takeOtlpEnvironment(),
): SpanExporter {
  if (otlp.SWITCHYARD_OTLP_EXPORT_THREAD?.toLowerCase() === 'false') {
    return createInThreadExporter(selfObsMeterProvider, otlp);
  }
  try {
    // Its fallback records its metrics only where the off-thread exporter reads their error.type:
    // that exporter records every export itself, including those it hands to the fallback (a
    // batch sent again would otherwise count twice).
    return new OffThreadSpanExporter(
      (errorTypes) => createInThreadExporter(errorTypes, otlp),
      undefined,
      selfObsMeterProvider,
      otlp,
    );
  } catch (error) {
    // A thread could not be started (resource limits): export on the main thread, as before.
    diag.warn('cannot start the OTLP exporting thread; exporting on the main thread', error);
    return createInThreadExporter(selfObsMeterProvider, otlp);
  }
}

/**
 * {@link createOtlpProtobufSpanExporter} on the main thread (network I/O included), recording its
 * `otel.sdk.exporter.span.*` metrics to `selfObsMeterProvider` (nowhere when undefined, as the
 * official exporter without its `selfObsMeterProvider` option). Each export ends within the export
 * timeout, whatever the collector does (see boundedMainThreadExporter).
 */
export function createInThreadExporter(
  selfObsMeterProvider: MeterProvider | undefined,
  otlp: OtlpEnvironment = takeOtlpEnvironment(),
): SpanExporter {
  return boundedMainThreadExporter(
    otlp,
    { 'Content-Type': 'application/x-protobuf' },
    (options) =>
      new OTLPExporterBase(
        createOtlpHttpExportDelegate(
          options,
          fastProtobufTraceSerializer(),
          OTLP_HTTP_SPAN_COMPONENT,
          TraceExporterMetricsHelper,
          selfObsMeterProvider,
        ),
      ),
  );
}
