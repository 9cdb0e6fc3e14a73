import { metrics } from '@opentelemetry/api';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { endRpcSpan, initMetrics, initTracing, type Metrics, startClientAttemptSpan, type Tracing } from './index.js';
import { type LocalCollector, startLocalCollector } from './test-support/local-collector.js';
import { resetOpenTelemetryAfterEach } from './test-support/reset-open-telemetry.js';

let collector: LocalCollector;
beforeAll(async () => {
  collector = await startLocalCollector();
});
afterAll(() => collector.close());

let tracing: Tracing | undefined;
let running: Metrics | undefined;
beforeEach(() => {
  collector.received.length = 0;
  for (const name of ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'OTEL_EXPORTER_OTLP_PROTOCOL', 'OTEL_TRACES_EXPORTER']) {
    vi.stubEnv(name, '');
  }
  vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', collector.endpoint);
});
resetOpenTelemetryAfterEach(async () => {
  await tracing?.shutdown();
  tracing = undefined;
  await running?.shutdown();
  running = undefined;
  metrics.disable();
});

function endSpans(count: number): void {
  for (let attempt = 1; attempt <= count; attempt++) {
    const span = startClientAttemptSpan({ system: 'grpc', service: 'shop.v1.Catalog', method: 'Get', attempt });
    endRpcSpan(span, { grpcStatusCode: 0 });
  }
}

/** The value of the one series of `metric` whose labels include every `label="value"` given. */
function series(scrape: string, metric: string, ...labels: string[]): number | undefined {
  const line = scrape
    .split('\n')
    .find((candidate) => candidate.startsWith(`${metric}{`) && labels.every((label) => candidate.includes(label)));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe("tracing's own health in /metrics", () => {
  it.each(['http/protobuf', 'http/json'])('counts spans processed and exported (%s)', async (protocol) => {
    vi.stubEnv('OTEL_EXPORTER_OTLP_PROTOCOL', protocol);
    running = await initMetrics({ serviceName: 'self-obs-test', port: 0, host: '127.0.0.1' });
    tracing = initTracing({ serviceName: 'self-obs-test', exporter: 'otlp' });
    endSpans(3);
    await tracing.forceFlush();
    expect(collector.received).toHaveLength(1);
    const scrape = await running.scrape();
    expect(series(scrape, 'otel_sdk_processor_span_processed_total', 'batching_span_processor')).toBe(3);
    expect(series(scrape, 'otel_sdk_processor_span_queue_capacity', 'batching_span_processor')).toBe(2048);
    expect(series(scrape, 'otel_sdk_exporter_span_exported_total', 'otlp_http_span_exporter')).toBe(3);
    // A success carries no error.type.
    expect(series(scrape, 'otel_sdk_exporter_span_exported_total', 'error_type')).toBeUndefined();
  });

  it('counts the spans the batch processor drops because its queue is full', async () => {
    vi.stubEnv('OTEL_BSP_MAX_QUEUE_SIZE', '2');
    vi.stubEnv('OTEL_BSP_MAX_EXPORT_BATCH_SIZE', '2');
    running = await initMetrics({ serviceName: 'self-obs-test', port: 0, host: '127.0.0.1' });
    tracing = initTracing({ serviceName: 'self-obs-test', exporter: 'otlp' });
    // Ended in one go: the first two go out as a batch, the next two wait while it is out, and the
    // remaining six find the queue full.
    endSpans(10);
    await tracing.forceFlush();
    const scrape = await running.scrape();
    expect(series(scrape, 'otel_sdk_processor_span_processed_total', 'error_type="queue_full"')).toBe(6);
    expect(series(scrape, 'otel_sdk_exporter_span_exported_total', 'otlp_http_span_exporter')).toBe(4);
  });

  it('records into a MeterProvider registered after tracing started, carrying over what came before', async () => {
    tracing = initTracing({ serviceName: 'self-obs-test', exporter: 'otlp' });
    endSpans(2);
    await tracing.forceFlush();
    running = await initMetrics({ serviceName: 'self-obs-test', port: 0, host: '127.0.0.1' });
    // Observed at once (the queue's capacity was added when the processor was built, before).
    let scrape = await running.scrape();
    expect(series(scrape, 'otel_sdk_processor_span_queue_capacity', 'batching_span_processor')).toBe(2048);
    expect(series(scrape, 'otel_sdk_processor_span_queue_size', 'batching_span_processor')).toBe(0);
    expect(series(scrape, 'otel_sdk_exporter_span_exported_total', 'otlp_http_span_exporter')).toBe(2);
    endSpans(3);
    await tracing.forceFlush();
    scrape = await running.scrape();
    expect(series(scrape, 'otel_sdk_processor_span_processed_total', 'batching_span_processor')).toBe(5);
    expect(series(scrape, 'otel_sdk_exporter_span_exported_total', 'otlp_http_span_exporter')).toBe(5);
    expect(collector.received).toHaveLength(2);
  });
});
