import type { MeterProvider } from '@opentelemetry/api';
import { InvalidArgumentError } from '@switchyard/core';
import { ConsoleSpanExporter, InMemorySpanExporter, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { readEnv } from './env.js';
import { LazySpanExporter } from './lazy-exporter.js';
import { takeOtlpEnvironment, withOtlpEnvironment } from './otlp/otlp-environment.js';
import type { TracingExporter } from './tracing-options.js';

/** The OTLP wire formats this package can send. */
export type OtlpProtocol = 'http/protobuf' | 'http/json';

/**
 * The OTLP protocol from `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL`, else `OTEL_EXPORTER_OTLP_PROTOCOL`,
 * else `http/protobuf` (the specification's default), in any case (the specification reads enum
 * values case-insensitively: `HTTP/PROTOBUF` is http/protobuf). `grpc` is rejected: its exporter is
 * not bundled, and silently sending HTTP to a gRPC port would lose every span.
 */
export function resolveOtlpProtocol(): OtlpProtocol {
  const tracesProtocol = readEnv('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL');
  const variable = tracesProtocol === undefined ? 'OTEL_EXPORTER_OTLP_PROTOCOL' : 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL';
  const raw = tracesProtocol ?? readEnv('OTEL_EXPORTER_OTLP_PROTOCOL') ?? 'http/protobuf';
  const protocol = raw.toLowerCase();
  if (protocol !== 'http/protobuf' && protocol !== 'http/json') {
    throw new InvalidArgumentError(
      variable,
      `must be http/protobuf or http/json (the grpc exporter is not bundled), got ${JSON.stringify(raw)}`,
    );
  }
  return protocol;
}

/**
 * Creates the span exporter for a resolved exporter choice (`undefined` for `none`). The OTLP
 * exporters take their endpoint, headers, timeout and compression from the standard
 * `OTEL_EXPORTER_OTLP_*` variables as they are now, trimmed (see OtlpEnvironment).
 */
export function createExporter(
  exporter: TracingExporter,
  /** Where the OTLP exporters record their `otel.sdk.exporter.span.*` metrics; nowhere if undefined. */
  selfObsMeterProvider?: MeterProvider,
): SpanExporter | undefined {
  switch (exporter) {
    case 'none':
      return undefined;
    case 'memory':
      return new InMemorySpanExporter();
    case 'console':
      return new ConsoleSpanExporter();
    case 'otlp': {
      const protocol = resolveOtlpProtocol();
      // Taken now, inside initTracing(): the exporter itself is made after its import() settles.
      const otlp = takeOtlpEnvironment();
      // Checked here, at set-up: any value but false used to mean a thread (0 and off included).
      const thread = otlp.SWITCHYARD_OTLP_EXPORT_THREAD;
      if (thread !== undefined && !/^(true|false)$/i.test(thread)) {
        throw new InvalidArgumentError('SWITCHYARD_OTLP_EXPORT_THREAD', `must be true or false, got "${thread}"`);
      }
      return protocol === 'http/json'
        ? new LazySpanExporter(async () => {
            const [{ OTLPTraceExporter }, { boundedMainThreadExporter }] = await Promise.all([
              import('@opentelemetry/exporter-trace-otlp-http'),
              import('./otlp/export-deadlines.js'),
            ]);
            // The official exporter with the agents it would make from the environment (TLS files
            // included), their requests bounded by the export timeout, connecting included and
            // however slowly the collector answers (see boundedMainThreadExporter).
            return boundedMainThreadExporter(otlp, {}, ({ agentFactory }) =>
              withOtlpEnvironment(
                otlp,
                () =>
                  new OTLPTraceExporter({
                    httpAgentOptions: agentFactory,
                    ...(selfObsMeterProvider === undefined ? {} : { selfObsMeterProvider }),
                  }),
              ),
            );
          }, 'otlp http/json')
        : new LazySpanExporter(async () => {
            const { createOtlpProtobufSpanExporter } = await import('./otlp/otlp-protobuf-exporter.js');
            return createOtlpProtobufSpanExporter(selfObsMeterProvider, otlp);
          }, 'otlp http/protobuf');
    }
  }
}
