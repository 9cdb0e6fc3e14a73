import { describe, expect, it, vi } from 'vitest';
import {
  endRpcSpan,
  extractTraceContext,
  initTracing,
  startClientAttemptSpan,
  startServerSpan,
  type Tracing,
  tracingActive,
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
    expect(String(tracing)).toContain('sampleRatio=OTEL_TRACES_SAMPLER(always_off)');
    endRpcSpan(startClientAttemptSpan(SPAN), { grpcStatusCode: 0 });
    expect(tracing.getFinishedSpans()).toEqual([]);
  });

  // Before: the SDK read the variable case-sensitively, and took any name it did not know for
  // parentbased_always_on (every trace sampled), with only a diag message nobody sees by default.
  it.each(['ALWAYS_OFF', 'Always_Off', 'ParentBased_Always_Off'])(
    'reads OTEL_TRACES_SAMPLER=%s in any case',
    (value) => {
      vi.stubEnv('OTEL_TRACES_SAMPLER', value);
      tracing = initTracing({ serviceName: 'orders', exporter: 'memory' });
      for (let index = 0; index < 20; index++) endRpcSpan(startClientAttemptSpan(SPAN), { grpcStatusCode: 0 });
      expect(tracing.getFinishedSpans().length).toBe(0);
    },
  );

  it('reads ParentBased_TraceIdRatio with its OTEL_TRACES_SAMPLER_ARG, still following a sampled parent', () => {
    vi.stubEnv('OTEL_TRACES_SAMPLER', 'ParentBased_TraceIdRatio');
    vi.stubEnv('OTEL_TRACES_SAMPLER_ARG', '0');
    tracing = initTracing({ serviceName: 'orders', exporter: 'memory' });
    expect(String(tracing)).toContain('sampleRatio=OTEL_TRACES_SAMPLER(parentbased_traceidratio 0)');
    for (let index = 0; index < 20; index++) endRpcSpan(startClientAttemptSpan(SPAN), { grpcStatusCode: 0 });
    expect(tracing.getFinishedSpans().length).toBe(0);
    const child = startServerSpan({ ...SPAN, parent: extractTraceContext({ traceparent: SAMPLED }) });
    expect(child.isRecording()).toBe(true);
    endRpcSpan(child, { grpcStatusCode: 0 });
  });

  it.each([
    ['OTEL_TRACES_SAMPLER', 'always_of', {}, 'must be one of always_on, always_off'],
    ['OTEL_TRACES_SAMPLER', 'ParentBased_Jaeger_Remote', {}, 'is not bundled'],
    ['OTEL_TRACES_SAMPLER_ARG', 'traceidratio', { OTEL_TRACES_SAMPLER_ARG: '10%' }, 'from 0 to 1'],
    ['OTEL_TRACES_SAMPLER_ARG', 'parentbased_traceidratio', { OTEL_TRACES_SAMPLER_ARG: '1.5' }, 'from 0 to 1'],
  ])('refuses %s for OTEL_TRACES_SAMPLER=%s %j (no silent 100 %% sampling)', (field, sampler, more, message) => {
    vi.stubEnv('OTEL_TRACES_SAMPLER', sampler);
    for (const [name, value] of Object.entries(more)) vi.stubEnv(name, value);
    let thrown: unknown;
    try {
      initTracing({ serviceName: 'orders', exporter: 'memory' });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ code: 'INVALID_ARGUMENT', field });
    expect(String((thrown as Error).message)).toContain(message);
    expect(tracingActive()).toBe(false);
    // With tracing off the variable is not read, as OTEL_PROPAGATORS is not.
    tracing = initTracing({ serviceName: 'orders', exporter: 'none' });
    expect(tracing.enabled).toBe(false);
  });
});
