import { type Context, context, propagation, ROOT_CONTEXT, type Span, trace } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import { describe, expect, it } from 'vitest';
import {
  extractTraceContext,
  initTracing,
  injectTraceContext,
  startClientAttemptSpan,
  type Tracing,
  withBaggageEntry,
} from './index.js';
import { injectSpanContext } from './inject-span-context.js';
import { NOOP_SPAN } from './start-rpc-span.js';
import { resetOpenTelemetryAfterEach } from './test-support/reset-open-telemetry.js';
import { UnsampledSpan } from './unsampled-span.js';

let tracing: Tracing | undefined;
resetOpenTelemetryAfterEach(async () => {
  await tracing?.shutdown();
  tracing = undefined;
});

const INCOMING = {
  traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
  tracestate: 'vendor=opaque,other=x',
};

/** What the full propagator writes for `span` in `active`, and what injectSpanContext writes. */
function both(active: Context, span: Span) {
  const full: Record<string, string> = {};
  const direct: Record<string, string> = {};
  context.with(active, () => {
    injectTraceContext(full, trace.setSpan(context.active(), span));
    injectSpanContext(direct, span);
  });
  return { full, direct };
}

describe('injectSpanContext writes what the registered propagator writes', () => {
  const cases: [string, (span: () => Span) => { active: Context; span: Span }][] = [
    ['a new trace', (start) => ({ active: ROOT_CONTEXT, span: start() })],
    [
      'a child of an incoming call, with its tracestate',
      () => {
        const active = extractTraceContext(INCOMING);
        return { active, span: trace.getTracer('t').startSpan('call', {}, active) };
      },
    ],
    [
      'a context with baggage (the full propagator runs)',
      (start) => ({ active: withBaggageEntry(ROOT_CONTEXT, 'switchyard.track', 'canary'), span: start() }),
    ],
    ['a suppressed context: nothing', (start) => ({ active: suppressTracing(ROOT_CONTEXT), span: start() })],
    ['a non-recording, invalid span: nothing', () => ({ active: ROOT_CONTEXT, span: NOOP_SPAN })],
  ];
  for (const [title, make] of cases) {
    it(title, () => {
      tracing = initTracing({ serviceName: 'inject', exporter: 'memory' });
      const { active, span } = make(() => trace.getTracer('t').startSpan('call'));
      const { full, direct } = both(active, span);
      expect(direct).toEqual(full);
    });
  }

  it('a span of flags beyond sampled: two digits, reserved bits zeroed, like the propagator', () => {
    tracing = initTracing({ serviceName: 'inject', exporter: 'memory' });
    const [traceId, spanId] = ['0af7651916cd43dd8448eb211c80319c', 'b7ad6b7169203331'];
    for (const [traceFlags, sent] of [
      [0xff, '03'],
      [0x10, '00'],
      [0x02, '02'],
    ] as const) {
      const { full, direct } = both(ROOT_CONTEXT, trace.wrapSpanContext({ traceId, spanId, traceFlags }));
      expect(direct.traceparent).toBe(`00-${traceId}-${spanId}-${sent}`);
      expect(direct).toEqual(full);
    }
  });

  it('a child of a call whose tracestate held no valid member: no empty tracestate, like the propagator', () => {
    tracing = initTracing({ serviceName: 'inject', exporter: 'memory' });
    const active = extractTraceContext({ ...INCOMING, tracestate: 'Not Valid' });
    const { full, direct } = both(active, trace.getTracer('t').startSpan('call', {}, active));
    expect(direct.tracestate).toBeUndefined();
    expect(direct).toEqual(full);
  });

  it('an unsampled span: flags 00, like the propagator', () => {
    tracing = initTracing({ serviceName: 'inject', exporter: 'memory', sampleRatio: 0 });
    const { full, direct } = both(ROOT_CONTEXT, trace.getTracer('t').startSpan('call'));
    expect(direct.traceparent).toMatch(/-00$/);
    expect(direct).toEqual(full);
  });

  it("an RPC helper's unsampled span: flags 00, its ids known valid, like the propagator", () => {
    tracing = initTracing({ serviceName: 'inject', exporter: 'memory', sampleRatio: 0 });
    const span = startClientAttemptSpan({ system: 'http', service: 'catalog', method: 'GET' });
    expect(span).toBeInstanceOf(UnsampledSpan);
    expect((span as UnsampledSpan).contextValid).toBe(true);
    const { full, direct } = both(ROOT_CONTEXT, span);
    expect(direct.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
    expect(direct).toEqual(full);
  });

  it('under another propagator, that propagator decides', () => {
    tracing = initTracing({ serviceName: 'inject', exporter: 'memory' });
    propagation.disable();
    propagation.setGlobalPropagator({
      inject: (_context, carrier: Record<string, string>) => {
        carrier['x-custom-trace'] = 'yes';
      },
      extract: (active) => active,
      fields: () => ['x-custom-trace'],
    });
    const { full, direct } = both(ROOT_CONTEXT, trace.getTracer('t').startSpan('call'));
    expect(direct).toEqual({ 'x-custom-trace': 'yes' });
    expect(direct).toEqual(full);
  });

  it('hands only the traceparent it built to setBuilt; everything else, and every fallback, to set', () => {
    tracing = initTracing({ serviceName: 'inject', exporter: 'memory' });
    const calls: string[] = [];
    const setter = {
      set: (carrier: Record<string, string>, key: string, value: string) => {
        calls.push(`set ${key}`);
        carrier[key] = value;
      },
      setBuilt: (carrier: Record<string, string>, key: string, value: string) => {
        calls.push(`setBuilt ${key}`);
        carrier[key] = value;
      },
    };
    const incoming = extractTraceContext(INCOMING);
    context.with(incoming, () => injectSpanContext({}, trace.getTracer('t').startSpan('call', {}, incoming), setter));
    expect(calls).toEqual(['setBuilt traceparent', 'set tracestate']);

    calls.length = 0;
    const withBaggage = withBaggageEntry(ROOT_CONTEXT, 'switchyard.track', 'canary');
    context.with(withBaggage, () => injectSpanContext({}, trace.getTracer('t').startSpan('call'), setter));
    expect(calls).toEqual(['set traceparent', 'set baggage']);
  });
});
