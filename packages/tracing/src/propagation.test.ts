import { context, propagation, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { baggageWithTrack } from '@switchyard/core';
import { describe, expect, it, vi } from 'vitest';
import {
  extractTraceContext,
  getBaggageEntry,
  initTracing,
  injectSpanContext,
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

  describe('what goes on from an extracted context, without a span of its own (W3C Trace Context)', () => {
    const IDS = '0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331';
    const forward = (headers: Record<string, string>): Record<string, string> => {
      const carrier: Record<string, string> = {};
      injectTraceContext(carrier, extractTraceContext(headers));
      return carrier;
    };

    it.each([
      ['01', '01'],
      ['02', '02'], // random (Level 2)
      ['03', '03'],
      ['ff', '03'], // any two hex digits are valid input; reserved bits go on as zero
      ['10', '00'],
      ['09', '01'],
    ])('flags %s go on as %s: two digits, sampled and random kept, reserved bits zeroed', (flags, sent) => {
      // OpenTelemetry's propagator wrote `0` + hex: `…-0ff`, a traceparent every receiver rejects.
      for (const init of [false, true]) {
        if (init) tracing = initTracing({ serviceName: 'gateway', exporter: 'memory' });
        expect(forward({ traceparent: `00-${IDS}-${flags}` }).traceparent, init ? 'initTracing' : 'fallback').toBe(
          `00-${IDS}-${sent}`,
        );
      }
    });

    it('a future version is read by the 00 rules (extra fields allowed) and goes on as 00', () => {
      expect(forward({ traceparent: `cc-${IDS}-09-what-the-future-holds` }).traceparent).toBe(`00-${IDS}-01`);
      expect(forward({ traceparent: `00-${IDS}-01-extra` })).toEqual({});
      expect(forward({ traceparent: `ff-${IDS}-01` })).toEqual({});
      expect(forward({ traceparent: `00-${IDS.toUpperCase()}-01` })).toEqual({});
    });

    it('sends no empty tracestate when no incoming member was valid', () => {
      for (const init of [false, true]) {
        if (init) tracing = initTracing({ serviceName: 'gateway', exporter: 'memory' });
        expect(forward({ traceparent: `00-${IDS}-01`, tracestate: 'Invalid Key=1, ,' })).toEqual({
          traceparent: `00-${IDS}-01`,
        });
        expect(forward({ traceparent: `00-${IDS}-01`, tracestate: 'a=1,,b=2' }).tracestate).toBe('a=1,b=2');
      }
    });
  });

  it("the track core's baggageWithTrack adds to a large baggage survives OpenTelemetry's 8192-byte limit", () => {
    const large = Array.from({ length: 39 }, (_, i) => `k${String(i).padStart(2, '0')}=${'v'.repeat(205)}`).join(',');
    expect(large.length).toBe(8189); // within the limit, but not with the track after it
    const received = extractTraceContext({ baggage: baggageWithTrack(large, 'canary') });
    expect(getBaggageEntry('switchyard.track', received)).toBe('canary');
  });

  it('ignores malformed headers and validates baggage keys', () => {
    const received = extractTraceContext({ traceparent: 'garbage', baggage: '=' });
    expect(trace.getSpanContext(received)).toBeUndefined();
    expect(() => withBaggageEntry(ROOT_CONTEXT, '', 'x')).toThrowError(/baggage.key/);
    // An empty value went out as `switchyard.track=` and never arrived: the extractor drops it.
    expect(() => withBaggageEntry(ROOT_CONTEXT, 'switchyard.track', '')).toThrowError(/baggage.switchyard.track/);
    // Accepted before, and sent as is (encodeURIComponent keeps them): an invalid header a strict receiver drops.
    expect(() => withBaggageEntry(ROOT_CONTEXT, 'team(a)', 'x')).toThrowError(/baggage.key: must not contain \( or \)/);
  });

  describe('OTEL_PROPAGATORS', () => {
    const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

    /** What a client attempt under `incoming` (with a baggage entry added) sends on. */
    function outgoingHeaders(): Record<string, string> {
      const incoming = extractTraceContext({ traceparent: TRACEPARENT, baggage: 'tenant=acme' });
      const span = trace.getTracer('test').startSpan('call', {}, incoming);
      const carrier: Record<string, string> = {};
      context.with(withBaggageEntry(trace.setSpan(incoming, span), 'switchyard.track', 'canary'), () => {
        injectSpanContext(carrier, span);
      });
      span.end();
      return carrier;
    }

    it('tracecontext alone: traceparent crosses the hop, baggage neither in nor out', () => {
      vi.stubEnv('OTEL_PROPAGATORS', 'tracecontext');
      tracing = initTracing({ serviceName: 'gateway', exporter: 'memory' });
      const received = extractTraceContext({ traceparent: TRACEPARENT, baggage: 'tenant=acme' });
      expect(trace.getSpanContext(received)?.traceId).toBe('0af7651916cd43dd8448eb211c80319c');
      expect(getBaggageEntry('tenant', received)).toBeUndefined();
      const headers = outgoingHeaders();
      expect(headers.traceparent).toMatch(/^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-01$/);
      expect(headers.baggage).toBeUndefined();
    });

    it('none: nothing is read or written', () => {
      vi.stubEnv('OTEL_PROPAGATORS', ' None ');
      tracing = initTracing({ serviceName: 'gateway', exporter: 'memory' });
      expect(trace.getSpanContext(extractTraceContext({ traceparent: TRACEPARENT }))).toBeUndefined();
      expect(outgoingHeaders()).toEqual({});
    });

    it('tracecontext,baggage (the default, spelled out) carries both', () => {
      vi.stubEnv('OTEL_PROPAGATORS', 'tracecontext, baggage');
      tracing = initTracing({ serviceName: 'gateway', exporter: 'memory' });
      const headers = outgoingHeaders();
      expect(headers.traceparent).toBeDefined();
      expect(headers.baggage).toBe('tenant=acme,switchyard.track=canary');
    });

    it.each([
      ['b3', 'b3 is not bundled with @switchyard/tracing'],
      ['tracecontext,jaeger', 'jaeger is not bundled with @switchyard/tracing'],
      ['w3c', 'unknown propagator "w3c"'],
      // Quoted as set (the names are read in any case): it said "w3c" for W3C.
      ['tracecontext, W3C', 'unknown propagator "W3C"'],
      ['none,baggage', "'none' cannot be combined with others"],
    ])('refuses %s, naming the variable', (value, message) => {
      vi.stubEnv('OTEL_PROPAGATORS', value);
      expect(() => initTracing({ serviceName: 'gateway', exporter: 'memory' })).toThrow(`OTEL_PROPAGATORS: ${message}`);
    });

    it.each([
      ['none', {}],
      ['baggage', {}],
    ])('%s: a span with no baggage around it sends no traceparent either', (value, expected) => {
      vi.stubEnv('OTEL_PROPAGATORS', value);
      tracing = initTracing({ serviceName: 'gateway', exporter: 'memory' });
      const span = trace.getTracer('test').startSpan('call');
      const carrier: Record<string, string> = {};
      injectSpanContext(carrier, span);
      span.end();
      expect(carrier).toEqual(expected);
    });

    it('is part of the options a second initTracing call must repeat', () => {
      vi.stubEnv('OTEL_PROPAGATORS', 'tracecontext');
      tracing = initTracing({ serviceName: 'gateway', exporter: 'memory' });
      expect(initTracing({ serviceName: 'gateway', exporter: 'memory' })).toBe(tracing);
      vi.stubEnv('OTEL_PROPAGATORS', 'tracecontext,baggage');
      expect(() => initTracing({ serviceName: 'gateway', exporter: 'memory' })).toThrow(
        'propagators: ["tracecontext"] → ["tracecontext","baggage"]',
      );
    });

    it('leaves a propagator registered before initTracing in charge, even one without fields', () => {
      const calls: string[] = [];
      propagation.setGlobalPropagator({
        inject: () => {
          calls.push('inject');
        },
        extract: (context) => context,
        fields: () => [],
      });
      vi.stubEnv('OTEL_PROPAGATORS', 'b3');
      tracing = initTracing({ serviceName: 'gateway', exporter: 'memory' });
      const carrier: Record<string, string> = {};
      injectTraceContext(carrier);
      expect(carrier).toEqual({});
      expect(calls).toEqual(['inject']);
    });

    it('leaves a propagator registered before initTracing in charge, whatever OTEL_PROPAGATORS says', () => {
      const custom = {
        inject: (_context: unknown, carrier: Record<string, string>) => {
          carrier['x-custom'] = '1';
        },
        extract: (context: ReturnType<typeof extractTraceContext>) => context,
        fields: () => ['x-custom'],
      };
      propagation.setGlobalPropagator(custom);
      vi.stubEnv('OTEL_PROPAGATORS', 'b3');
      tracing = initTracing({ serviceName: 'gateway', exporter: 'memory' });
      const carrier: Record<string, string> = {};
      injectTraceContext(carrier);
      expect(carrier).toEqual({ 'x-custom': '1' });
    });
  });
});
