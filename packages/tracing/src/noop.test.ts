import { context, propagation, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import { endRpcSpan, initTracing, startClientAttemptSpan, startServerSpan, tracingActive } from './index.js';

afterEach(() => {
  trace.disable();
  context.disable();
  propagation.disable();
});

const SPAN = { system: 'grpc', service: 'shop.catalog.v1.CatalogService', method: 'GetProduct', attempt: 1 } as const;

describe('with no tracer provider', () => {
  it('is inactive, before initTracing and after shutdown', async () => {
    expect(tracingActive()).toBe(false);
    const tracing = initTracing({ serviceName: 'catalog', exporter: 'memory' });
    expect(tracingActive()).toBe(true);
    await tracing.shutdown();
    expect(tracingActive()).toBe(false);
  });

  it('hands out one shared non-recording span with an invalid context', () => {
    const client = startClientAttemptSpan(SPAN);
    const server = startServerSpan({ ...SPAN, parent: ROOT_CONTEXT });
    expect(client.isRecording()).toBe(false);
    expect(trace.isSpanContextValid(client.spanContext())).toBe(false);
    expect(server).toBe(client);
    expect(() => endRpcSpan(client, { grpcStatusCode: 14, error: new Error('down') })).not.toThrow();
  });

  it('costs next to nothing per call (micro-check, loose bound)', () => {
    const iterations = 100_000;
    for (let index = 0; index < 1_000; index++) endRpcSpan(startClientAttemptSpan(SPAN), { grpcStatusCode: 0 });
    const started = performance.now();
    for (let index = 0; index < iterations; index++) {
      if (tracingActive()) throw new Error('unexpected provider');
      endRpcSpan(startClientAttemptSpan(SPAN), { grpcStatusCode: 0 });
    }
    const perCallNs = ((performance.now() - started) * 1e6) / iterations;
    // Typically well under 100 ns; the bound only catches accidental real work (allocation, SDK calls).
    expect(perCallNs).toBeLessThan(2_000);
  });
});
