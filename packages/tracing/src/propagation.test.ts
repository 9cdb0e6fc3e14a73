import { context, propagation, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import {
  extractTraceContext,
  getBaggageEntry,
  initTracing,
  injectTraceContext,
  type Tracing,
  withBaggageEntry,
} from './index.js';
import { resetOpenTelemetryAfterEach } from './test-support/reset-open-telemetry.js';

let tracing: Tracing | undefined;
resetOpenTelemetryAfterEach(async () => {
  await tracing?.shutdown();
  tracing = undefined;
});

describe('propagation', () => {
  it('round-trips traceparent, tracestate and baggage through a carrier', () => {
    tracing = initTracing({ serviceName: 'gateway', exporter: 'memory' });
    const incoming = extractTraceContext({
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      tracestate: 'vendor=opaque',
    });
    const span = trace.getTracer('test').startSpan('call', {}, incoming);
    const outgoing = withBaggageEntry(trace.setSpan(incoming, span), 'switchyard.track', 'canary');

    const carrier: Record<string, string> = {};
    injectTraceContext(carrier, outgoing);
    expect(carrier).toEqual({
      traceparent: `00-0af7651916cd43dd8448eb211c80319c-${span.spanContext().spanId}-01`,
      tracestate: 'vendor=opaque',
      baggage: 'switchyard.track=canary',
    });

    const received = extractTraceContext(carrier);
    const remote = trace.getSpanContext(received);
    expect(remote).toMatchObject({ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: span.spanContext().spanId });
    expect(remote?.isRemote).toBe(true);
    expect(remote?.traceState?.get('vendor')).toBe('opaque');
    expect(getBaggageEntry('switchyard.track', received)).toBe('canary');
    span.end();
  });

  it('reads and injects the active context by default, and takes header arrays', () => {
    tracing = initTracing({ serviceName: 'gateway', exporter: 'memory' });
    const received = extractTraceContext({ baggage: ['switchyard.track=blue, tenant=acme'], other: undefined });
    context.with(received, () => {
      expect(getBaggageEntry('switchyard.track')).toBe('blue');
      expect(getBaggageEntry('tenant')).toBe('acme');
      const carrier: Record<string, string> = {};
      injectTraceContext(carrier);
      expect(carrier.baggage).toContain('switchyard.track=blue');
    });
    expect(getBaggageEntry('switchyard.track')).toBeUndefined();
  });

  it('still propagates explicit contexts (W3C) when tracing was never initialised', () => {
    expect(propagation.fields()).toEqual([]);
    const received = extractTraceContext({
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      baggage: 'switchyard.track=canary',
    });
    expect(getBaggageEntry('switchyard.track', received)).toBe('canary');
    const carrier: Record<string, string> = {};
    injectTraceContext(carrier, withBaggageEntry(received, 'tenant', 'acme'));
    expect(carrier.traceparent).toBe('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
    expect(carrier.baggage).toBe('switchyard.track=canary,tenant=acme');
  });

  it('ignores malformed headers and validates baggage keys', () => {
    const received = extractTraceContext({ traceparent: 'garbage', baggage: '=' });
    expect(trace.getSpanContext(received)).toBeUndefined();
    expect(() => withBaggageEntry(ROOT_CONTEXT, '', 'x')).toThrowError(/baggage.key/);
  });
});
