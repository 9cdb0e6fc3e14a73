import { describe, expect, it, vi } from 'vitest';
import {
  endRpcSpan,
  extractTraceContext,
  initTracing,
  startClientAttemptSpan,
  startServerSpan,
  type Tracing,
} from './index.js';
import { resetOpenTelemetryAfterEach } from './test-support/reset-open-telemetry.js';

let tracing: Tracing | undefined;
resetOpenTelemetryAfterEach(async () => {
  await tracing?.shutdown();
  tracing = undefined;
});

const SAMPLED = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
const NOT_SAMPLED = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00';
const SPAN = { system: 'grpc', service: 'shop.orders.v1.OrderService', method: 'PlaceOrder' } as const;

describe('sampling', () => {
  it('ratio 0 records nothing for new traces', () => {
    tracing = initTracing({ serviceName: 'orders', exporter: 'memory', sampleRatio: 0 });
    for (let index = 0; index < 100; index++) {
      const span = startClientAttemptSpan(SPAN);
      expect(span.isRecording()).toBe(false);
      endRpcSpan(span, { grpcStatusCode: 0 });
    }
    expect(tracing.getFinishedSpans()).toEqual([]);
  });

  it('is parent-based: a sampled parent is followed even at ratio 0, an unsampled one even at ratio 1', async () => {
    tracing = initTracing({ serviceName: 'orders', exporter: 'memory', sampleRatio: 0 });
    const span = startServerSpan({ ...SPAN, parent: extractTraceContext({ traceparent: SAMPLED }) });
    expect(span.isRecording()).toBe(true);
    endRpcSpan(span, { grpcStatusCode: 0 });
    expect(tracing.getFinishedSpans()[0]?.spanContext().traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    await tracing.shutdown();

    tracing = initTracing({ serviceName: 'orders', exporter: 'memory', sampleRatio: 1 });
    const unsampled = startServerSpan({ ...SPAN, parent: extractTraceContext({ traceparent: NOT_SAMPLED }) });
    expect(unsampled.isRecording()).toBe(false);
    expect(unsampled.spanContext().traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    endRpcSpan(unsampled, { grpcStatusCode: 0 });
    expect(tracing.getFinishedSpans()).toEqual([]);
  });

  it('keeps roughly the ratio of new traces', () => {
    tracing = initTracing({ serviceName: 'orders', exporter: 'memory', sampleRatio: 0.25 });
    for (let index = 0; index < 2_000; index++) endRpcSpan(startClientAttemptSpan(SPAN), { grpcStatusCode: 0 });
    const kept = tracing.getFinishedSpans().length;
    expect(kept).toBeGreaterThan(350);
    expect(kept).toBeLessThan(650);
  });

  it('takes the sampler from OTEL_TRACES_SAMPLER when sampleRatio is not given', () => {
    vi.stubEnv('OTEL_TRACES_SAMPLER', 'always_off');
    tracing = initTracing({ serviceName: 'orders', exporter: 'memory' });
    expect(String(tracing)).toContain('sampleRatio=OTEL_TRACES_SAMPLER');
    endRpcSpan(startClientAttemptSpan(SPAN), { grpcStatusCode: 0 });
    expect(tracing.getFinishedSpans()).toEqual([]);
  });
});
