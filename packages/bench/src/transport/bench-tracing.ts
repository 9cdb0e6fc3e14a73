import { initTracing, type Tracing } from '@switchyard/tracing';

/**
 * The tracing every traced subject and server of the transport benchmarks uses: `initTracing` with the OTLP exporter
 * (http/protobuf, to the `OTEL_EXPORTER_OTLP_ENDPOINT` the parent sets: its local sink), 100 %
 * sampled, the batch span processor with its defaults. A second call with the same name returns
 * the same instance.
 */
export function benchTracing(serviceName: string): Tracing {
  if (!process.env.OTEL_EXPORTER_OTLP_ENDPOINT) throw new Error('OTEL_EXPORTER_OTLP_ENDPOINT is not set');
  return initTracing({ serviceName, exporter: 'otlp', sampleRatio: 1, batch: true });
}
