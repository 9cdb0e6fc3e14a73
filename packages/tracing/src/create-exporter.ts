import { InvalidArgumentError } from '@switchyard/core';
import {
  BatchSpanProcessor,
  ConsoleSpanExporter,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { batchSettingsFromEnv } from './batch-settings.js';
import { readEnv } from './env.js';
import type { ExportScopedContextManager } from './export-scoped-context-manager.js';
import { LazyExporter } from './lazy-exporter.js';
import type { EncodedSpans } from './otlp/encoded-span-batch.js';
import { EncodingBatchSpanProcessor } from './otlp/encoding-batch-span-processor.js';
import type { ResolvedTracingOptions, TracingExporter } from './tracing-options.js';

/** The OTLP wire formats this package can send. */
export type OtlpProtocol = 'http/protobuf' | 'http/json';

/**
 * The OTLP protocol from `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL`, else `OTEL_EXPORTER_OTLP_PROTOCOL`,
 * else `http/protobuf` (the specification's default). `grpc` is rejected: its exporter is not
 * bundled, and silently sending HTTP to a gRPC port would lose every span.
 */
export function resolveOtlpProtocol(): OtlpProtocol {
  const tracesProtocol = readEnv('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL');
  const variable = tracesProtocol === undefined ? 'OTEL_EXPORTER_OTLP_PROTOCOL' : 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL';
  const protocol = tracesProtocol ?? readEnv('OTEL_EXPORTER_OTLP_PROTOCOL') ?? 'http/protobuf';
  if (protocol !== 'http/protobuf' && protocol !== 'http/json') {
    throw new InvalidArgumentError(
      variable,
      `must be http/protobuf or http/json (the grpc exporter is not bundled), got ${JSON.stringify(protocol)}`,
    );
  }
  return protocol;
}

/**
 * Creates the span exporter for a resolved exporter choice (`undefined` for `none`). The OTLP
 * exporters read their endpoint, headers, timeout and compression from the standard
 * `OTEL_EXPORTER_OTLP_*` variables themselves.
 */
export function createExporter(exporter: TracingExporter): SpanExporter | undefined {
  switch (exporter) {
    case 'none':
      return undefined;
    case 'memory':
      return new InMemorySpanExporter();
    case 'console':
      return new ConsoleSpanExporter();
    case 'otlp': {
      const protocol = resolveOtlpProtocol();
      return protocol === 'http/json'
        ? new LazyExporter<ReadableSpan[]>(async () => {
            const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
            return new OTLPTraceExporter();
          }, 'otlp http/json')
        : new LazyExporter<ReadableSpan[]>(async () => {
            const { createOtlpProtobufSpanExporter } = await import('./otlp/otlp-protobuf-exporter.js');
            return createOtlpProtobufSpanExporter();
          }, 'otlp http/protobuf');
    }
  }
}

/** Where finished spans go: the provider's processor, and the memory exporter when that is the choice. */
export interface SpanPipeline {
  readonly processor: SpanProcessor;
  readonly memoryExporter: InMemorySpanExporter | undefined;
}

/**
 * The span processor for resolved options (with an exporter other than `none`), its exporter
 * wrapped by `exports.trackExports` so that exporting does not keep AsyncLocalStorage on.
 *
 * OTLP http/protobuf in batches (the usual production choice) gets an
 * {@link EncodingBatchSpanProcessor}, which encodes each span as it ends; everything else the
 * SDK's BatchSpanProcessor or SimpleSpanProcessor. Both batch processors read the `OTEL_BSP_*`
 * variables; for the encoding one a bad value is INVALID_ARGUMENT naming it.
 */
export function createSpanPipeline(
  options: ResolvedTracingOptions,
  exports: Pick<ExportScopedContextManager, 'trackExports'>,
): SpanPipeline {
  if (options.exporter === 'otlp' && options.batch && resolveOtlpProtocol() === 'http/protobuf') {
    const settings = batchSettingsFromEnv();
    const exporter = new LazyExporter<EncodedSpans>(async () => {
      const { createOtlpEncodedSpansExporter } = await import('./otlp/otlp-protobuf-exporter.js');
      return createOtlpEncodedSpansExporter();
    }, 'otlp http/protobuf, encoded as spans end');
    return {
      processor: new EncodingBatchSpanProcessor(exports.trackExports(exporter), settings),
      memoryExporter: undefined,
    };
  }
  const exporter = createExporter(options.exporter);
  if (exporter === undefined) throw new InvalidArgumentError('tracing.exporter', "'none' has no span pipeline");
  const tracked: SpanExporter = exports.trackExports<ReadableSpan[]>(exporter);
  return {
    processor: options.batch ? new BatchSpanProcessor(tracked) : new SimpleSpanProcessor(tracked),
    memoryExporter: exporter instanceof InMemorySpanExporter ? exporter : undefined,
  };
}
