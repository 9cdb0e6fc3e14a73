import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { initTracing, type Tracing } from '@switchyard/tracing';

/**
 * The tracing every traced subject and server of the transport benchmarks uses: `initTracing` with the OTLP exporter
 * (http/protobuf, to the `OTEL_EXPORTER_OTLP_ENDPOINT` the parent sets: its local sink), 100 %
 * sampled unless `sampleRatio` says otherwise (parent-based, as initTracing's sampler always is), the
 * batch span processor with its defaults. A second call with the same name returns the same instance.
 */
export function benchTracing(serviceName: string, sampleRatio = 1): Tracing {
  if (!process.env.OTEL_EXPORTER_OTLP_ENDPOINT) throw new Error('OTEL_EXPORTER_OTLP_ENDPOINT is not set');
  return initTracing({ serviceName, exporter: 'otlp', sampleRatio, batch: true });
}

/** Spans a worker dropped at their end (see {@link discardEndedSpans}). */
export interface DiscardedSpans {
  readonly count: number;
}

/**
 * For attribution only: makes every batch span processor in this process drop, and count, the
 * spans handed to it at their end instead of queueing them for export. Everything in a span's life
 * before that (ids, sampling, attributes, the `traceparent` sent, `end()`) is unchanged, so a
 * subject that does this differs from the exporting one by the export pipeline alone: batching,
 * encoding and sending. Only the worker process that measures this calls it.
 */
export function discardEndedSpans(): DiscardedSpans {
  const discarded = { count: 0 };
  BatchSpanProcessor.prototype.onEnd = (): void => {
    discarded.count++;
  };
  return discarded;
}

/**
 * The close-time check of a subject that discards its spans: fails the benchmark if no span
 * reached the processor (tracing never reached the client, so the subject would silently have
 * measured an untraced one).
 */
export function checkSpansDiscarded(discarded: DiscardedSpans, subject: string): void {
  if (discarded.count === 0) {
    throw new Error(`${subject}: no span reached the batch processor, so the subject was not traced`);
  }
}
