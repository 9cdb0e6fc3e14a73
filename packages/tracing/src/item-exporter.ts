import type { ExportResult } from '@opentelemetry/core';

/**
 * What a span processor hands its batches to: the SDK's `SpanExporter` for `ReadableSpan[]`, and
 * the OTLP protobuf exporter for spans already encoded ({@link EncodedSpans}).
 */
export interface ItemExporter<Items> {
  export(items: Items, resultCallback: (result: ExportResult) => void): void;
  forceFlush?(): Promise<void>;
  shutdown(): Promise<void>;
}
