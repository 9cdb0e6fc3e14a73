import {
  context,
  createNoopMeter,
  createTraceState,
  diag,
  type HrTime,
  propagation,
  type Span,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  trace,
} from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import { type ReadableSpan, SamplingDecision } from '@opentelemetry/sdk-trace-base';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { endRpcSpan, injectSpanContext, initTracing, startClientAttemptSpan, type Tracing } from './index.js';
import { RpcSpan } from './rpc-span.js';
import { spanInfo } from './span-info.js';
import { startSpanFromParts } from './start-span-from-parts.js';
import { type TracerParts, tracerPartsOf } from './tracer-parts.js';

const noopMeter = createNoopMeter();
const CLIENT_INFO = spanInfo('grpc', 'client', 'old');

let tracing: Tracing | undefined;
beforeEach(() => {
  vi.stubEnv('OTEL_SEMCONV_STABILITY_OPT_IN', '');
  vi.stubEnv('OTEL_TRACES_SAMPLER', '');
});
afterEach(async () => {
  await tracing?.shutdown();
  tracing = undefined;
  trace.disable();
  context.disable();
  propagation.disable();
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

const CATALOG = {
  system: 'grpc',
  service: 'shop.catalog.v1.CatalogService',
  method: 'GetProduct',
  serverAddress: '10.0.0.7',
  serverPort: 50051,
} as const;
// What the helper sets at start for CATALOG, in the order it sets them (old conventions).
const CATALOG_START = {
  'rpc.system': 'grpc',
  'rpc.service': 'shop.catalog.v1.CatalogService',
  'rpc.method': 'GetProduct',
  'server.address': '10.0.0.7',
  'server.port': 50051,
  'switchyard.attempt': 1,
};
const ERROR = new Error('boom');
const LINKED = { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: TraceFlags.SAMPLED };

/** Everything a caller can do to a span, including what must be refused. */
function exercise(span: Span): void {
  span.setAttribute('peer.note', 'a long note');
  span.setAttribute('', 'empty key');
  span.setAttribute('bad', {} as never);
  span.setAttribute('nothing', undefined as never);
  const tags = ['alpha', 'beta'];
  span.setAttributes({ count: 3, tags, ok: true });
  tags.push('changed later'); // the span keeps its own copy
  span.addEvent('plain');
  span.addEvent('with attributes', { reason: 'retry budget', tries: 2, dropped: 'x' });
  span.addEvent('at an HrTime', [1_700_000_000, 5]);
  span.addEvent('at epoch ms', { where: 'here' }, 1_700_000_000_123);
  span.recordException(ERROR, [1_700_000_000, 9]);
  span.recordException('plain text', [1_700_000_000, 10]);
  span.addLink({ context: LINKED, attributes: { relation: 'follows', extra: 1 } });
  span.addLinks([{ context: LINKED }]);
  span.setStatus({ code: SpanStatusCode.ERROR, message: 'failed' });
  span.setStatus({ code: SpanStatusCode.UNSET });
  span.updateName('renamed');
  span.end([2_000_000_000, 500]);
  span.setAttribute('after end', 1);
  span.addEvent('after end');
  span.end();
}

const UNTIMED_EVENTS = new Set(['plain', 'with attributes']);

/** The fields of a finished span that do not depend on ids or the clock. */
function comparable(span: ReadableSpan) {
  return {
    name: span.name,
    kind: span.kind,
    attributes: span.attributes,
    // Events added without a time get the clock's: only theirs may differ.
    events: span.events.map((event) => (UNTIMED_EVENTS.has(event.name) ? { ...event, time: 'now' } : event)),
    links: span.links,
    status: span.status,
    traceFlags: span.spanContext().traceFlags,
    traceState: span.spanContext().traceState,
    parentSpanContext: span.parentSpanContext,
    endTime: span.endTime,
    ended: span.ended,
    droppedAttributesCount: span.droppedAttributesCount,
    droppedEventsCount: span.droppedEventsCount,
    droppedLinksCount: span.droppedLinksCount,
    resource: span.resource,
    instrumentationScope: span.instrumentationScope.name,
  };
}

interface Finished {
  span: ReadableSpan;
  /** What diag was told while the span was exercised, ids masked. */
  warnings: string[];
  errors: string[];
}

function exerciseLogged(span: Span): { warnings: string[]; errors: string[] } {
  const warn = vi.spyOn(diag, 'warn').mockImplementation(() => undefined);
  const error = vi.spyOn(diag, 'error').mockImplementation(() => undefined);
  exercise(span);
  const text = (calls: unknown[][]) => calls.map((call) => String(call[0]).replace(/[0-9a-f]{16,32}/g, 'id'));
  const logged = { warnings: text(warn.mock.calls), errors: text(error.mock.calls) };
  warn.mockRestore();
  error.mockRestore();
  return logged;
}

/** The same operations on the helper's RpcSpan and on the SDK's own span of the same provider. */
function finishBoth(): { rpc: Finished; sdk: Finished } {
  const rpc = startClientAttemptSpan(CATALOG);
  expect(rpc).toBeInstanceOf(RpcSpan);
  // The SDK's own tracer of the same provider, with the helpers' instrumentation scope.
  const sdkTracer = trace.getTracerProvider().getTracer('@switchyard/tracing');
  const sdk = sdkTracer.startSpan('shop.catalog.v1.CatalogService/GetProduct', {
    kind: SpanKind.CLIENT,
    attributes: CATALOG_START,
  });
  expect(sdk).not.toBeInstanceOf(RpcSpan);
  const rpcLogged = exerciseLogged(rpc);
  const sdkLogged = exerciseLogged(sdk);
  const finished = (tracing as Tracing).getFinishedSpans();
  return {
    rpc: { span: finished[0] as ReadableSpan, ...rpcLogged },
    sdk: { span: finished[1] as ReadableSpan, ...sdkLogged },
  };
}

describe('RpcSpan, the RPC helpers’ span on initTracing’s provider', () => {
  it('is what the helpers start there, so an SDK upgrade that moves the tracer’s parts fails here', () => {
    tracing = initTracing({ serviceName: 'gateway', exporter: 'memory' });
    const span = startClientAttemptSpan(CATALOG);
    expect(span).toBeInstanceOf(RpcSpan);
    expect(span.isRecording()).toBe(true);
    endRpcSpan(span, { grpcStatusCode: 0 });
    expect(tracing.getFinishedSpans()).toEqual([span]);
  });

  it('ends up exactly as the SDK’s span does after the same calls, refusals and warnings included', () => {
    tracing = initTracing({ serviceName: 'gateway', exporter: 'memory' });
    const { rpc, sdk } = finishBoth();
    expect(comparable(rpc.span)).toEqual(comparable(sdk.span));
    expect(rpc.span.attributes['peer.note']).toBe('a long note');
    expect(rpc.span.events.map((event) => event.name)).toContain('exception');
    expect(rpc.warnings).toEqual(sdk.warnings);
    expect(rpc.warnings.length).toBeGreaterThanOrEqual(4); // bad key, bad value, two after end
    expect(rpc.errors).toEqual(sdk.errors);
    expect(rpc.errors).toHaveLength(1); // the second end()
  });

  it('applies the provider’s span limits as the SDK does: counts, value lengths, events, links', () => {
    vi.stubEnv('OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT', '8');
    vi.stubEnv('OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT', '5');
    vi.stubEnv('OTEL_SPAN_EVENT_COUNT_LIMIT', '3');
    vi.stubEnv('OTEL_SPAN_LINK_COUNT_LIMIT', '1');
    vi.stubEnv('OTEL_SPAN_ATTRIBUTE_PER_EVENT_COUNT_LIMIT', '1');
    vi.stubEnv('OTEL_SPAN_ATTRIBUTE_PER_LINK_COUNT_LIMIT', '1');
    tracing = initTracing({ serviceName: 'gateway', exporter: 'memory' });
    const { rpc, sdk } = finishBoth();
    expect(comparable(rpc.span)).toEqual(comparable(sdk.span));
    expect(rpc.warnings).toEqual(sdk.warnings);
    // The limits really bit (so the comparison above covers them).
    expect(Object.keys(rpc.span.attributes)).toHaveLength(8);
    expect(rpc.span.attributes['rpc.service']).toBe('shop.');
    expect(rpc.span.droppedAttributesCount).toBeGreaterThan(0);
    expect(rpc.span.events).toHaveLength(3);
    expect(rpc.span.droppedEventsCount).toBeGreaterThan(0);
    expect(rpc.span.links).toHaveLength(1);
    expect(rpc.span.droppedLinksCount).toBe(1);
  });

  it('a count limit alone is applied as the SDK does', () => {
    vi.stubEnv('OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT', '4');
    tracing = initTracing({ serviceName: 'gateway', exporter: 'memory' });
    const { rpc, sdk } = finishBoth();
    expect(comparable(rpc.span)).toEqual(comparable(sdk.span));
    expect(Object.keys(rpc.span.attributes)).toHaveLength(4);
    expect(rpc.span.attributes['rpc.service']).toBe('shop.catalog.v1.CatalogService');
  });

  it('adopts valid start attributes and validates the caller’s extras', () => {
    tracing = initTracing({ serviceName: 'gateway', exporter: 'memory' });
    vi.spyOn(diag, 'warn').mockImplementation(() => undefined);
    const span = startClientAttemptSpan({
      ...CATALOG,
      attributes: { 'network.peer.address': '10.0.0.7', nothing: null as never, bad: { deep: 1 } as never },
    });
    endRpcSpan(span, {});
    const [finished] = tracing.getFinishedSpans();
    expect(finished?.attributes['network.peer.address']).toBe('10.0.0.7');
    expect(finished?.attributes).not.toHaveProperty('nothing');
    expect(finished?.attributes).not.toHaveProperty('bad');
    expect(finished?.attributes['rpc.method']).toBe('GetProduct');
  });

  it('with the same clock readings, starts, ends and lasts exactly as the SDK’s span', () => {
    tracing = initTracing({ serviceName: 'gateway', exporter: 'memory' });
    vi.spyOn(Date, 'now').mockReturnValue(1_795_316_371_123);
    const monotonic = vi.spyOn(performance, 'now').mockReturnValue(1000.25);
    const rpc = startClientAttemptSpan(CATALOG);
    const sdk = trace.getTracerProvider().getTracer('@switchyard/tracing').startSpan('sdk');
    monotonic.mockReturnValue(1003.123456789);
    // An event time given as a performance.now() reading goes through the wall-clock offset.
    rpc.addEvent('at a monotonic time', 1001.5);
    sdk.addEvent('at a monotonic time', 1001.5);
    rpc.end();
    sdk.end();
    const [rpcDone, sdkDone] = tracing.getFinishedSpans() as [ReadableSpan, ReadableSpan];
    expect(rpcDone.startTime).toEqual(sdkDone.startTime);
    expect(rpcDone.endTime).toEqual(sdkDone.endTime);
    expect(rpcDone.duration).toEqual(sdkDone.duration);
    expect(rpcDone.events[0]?.time).toEqual(sdkDone.events[0]?.time);
    expect(rpcDone.duration).toEqual([0, 2_873_457]);
  });

  it('keeps a parent’s trace state, and merges a sampler’s attributes as the SDK does', () => {
    tracing = initTracing({ serviceName: 'gateway', exporter: 'memory' });
    const traceState = createTraceState('vendor=1');
    const parent = trace.setSpanContext(context.active(), { ...LINKED, traceState, isRemote: true });
    const child = startClientAttemptSpan({ ...CATALOG, parent });
    expect(child.spanContext().traceState).toBe(traceState);
    endRpcSpan(child, {});

    // A sampler that adds one attribute, overrides one and removes one (undefined), as the SDK merges.
    const tracer = trace.getTracerProvider().getTracer('@switchyard/tracing');
    const parts = tracerPartsOf(tracer) as TracerParts;
    const sampler = {
      shouldSample: () => ({
        decision: SamplingDecision.RECORD_AND_SAMPLED,
        attributes: { added: 'yes', 'rpc.method': 'Overridden', 'server.port': undefined },
      }),
      toString: () => 'test',
    };
    const span = startSpanFromParts(
      { ...parts, sampler },
      'x',
      SpanKind.CLIENT,
      context.active(),
      () => ({ ...CATALOG_START }),
      CLIENT_INFO,
    ) as RpcSpan;
    const sdk = new (tracer.constructor as new (...args: unknown[]) => typeof tracer)(
      { name: 'sdk' },
      {
        ...(tracer as unknown as Record<string, unknown>),
        sampler,
        spanLimits: parts.limits,
        resource: parts.resource,
        idGenerator: parts.idGenerator,
        spanProcessor: parts.processor,
        meterProvider: { getMeter: () => noopMeter },
      },
    ).startSpan('x', { attributes: CATALOG_START }) as unknown as ReadableSpan;
    expect(span.attributes).toEqual(sdk.attributes);
    expect(Object.keys(span.attributes)).toEqual(Object.keys(sdk.attributes));
    expect(span.attributes).not.toHaveProperty('server.port');
  });

  it('times: wall-clock start, monotonic end, duration = end − start; [-1, -1] until ended', () => {
    tracing = initTracing({ serviceName: 'gateway', exporter: 'memory' });
    const before = Date.now();
    const span = startClientAttemptSpan(CATALOG) as RpcSpan;
    expect(span.duration).toEqual([-1, -1]);
    const spin = performance.now() + 3;
    while (performance.now() < spin) {
      // a few milliseconds pass
    }
    span.end();
    const after = Date.now();
    const ms = (time: HrTime) => time[0] * 1000 + time[1] / 1e6;
    expect(ms(span.startTime)).toBeGreaterThanOrEqual(before);
    expect(ms(span.endTime)).toBeLessThanOrEqual(after + 1);
    expect(ms(span.duration)).toBeGreaterThanOrEqual(3);
    expect(ms(span.duration)).toBeCloseTo(ms(span.endTime) - ms(span.startTime), 3);
    expect(span.endTime[1]).toBeLessThan(1e9);
  });

  it('an end time before the start is clamped to it, with the SDK’s warning', () => {
    tracing = initTracing({ serviceName: 'gateway', exporter: 'memory' });
    const warn = vi.spyOn(diag, 'warn').mockImplementation(() => undefined);
    const span = startClientAttemptSpan(CATALOG) as RpcSpan;
    span.end([1, 0]);
    expect(span.endTime).toEqual(span.startTime);
    expect(span.duration).toEqual([0, 0]);
    expect(warn.mock.calls[0]?.[0]).toMatch(/Inconsistent start and end time/);
  });

  it('samples as the provider’s sampler decides: unsampled parents and a zero ratio record nothing', () => {
    tracing = initTracing({ serviceName: 'gateway', exporter: 'memory', sampleRatio: 0 });
    const root = startClientAttemptSpan(CATALOG);
    expect(root.isRecording()).toBe(false);
    expect(trace.isSpanContextValid(root.spanContext())).toBe(true);
    expect(root.spanContext().traceFlags).toBe(TraceFlags.NONE);

    const unsampledParent = trace.setSpanContext(context.active(), { ...LINKED, traceFlags: TraceFlags.NONE });
    const child = startClientAttemptSpan({ ...CATALOG, parent: unsampledParent });
    expect(child.isRecording()).toBe(false);
    expect(child.spanContext().traceId).toBe(LINKED.traceId);
    endRpcSpan(child, { grpcStatusCode: 0 });
    endRpcSpan(root, { grpcStatusCode: 0 });
    expect(tracing.getFinishedSpans()).toEqual([]);
  });

  it('a sampled parent is followed whatever the ratio; a suppressed context gets the invalid span', () => {
    tracing = initTracing({ serviceName: 'gateway', exporter: 'memory', sampleRatio: 0 });
    const sampledParent = trace.setSpanContext(context.active(), { ...LINKED, isRemote: true });
    const child = startClientAttemptSpan({ ...CATALOG, parent: sampledParent }) as RpcSpan;
    expect(child).toBeInstanceOf(RpcSpan);
    expect(child.spanContext().traceId).toBe(LINKED.traceId);
    expect(child.parentSpanContext?.spanId).toBe(LINKED.spanId);
    endRpcSpan(child, { grpcStatusCode: 0 });

    const suppressed = startClientAttemptSpan({ ...CATALOG, parent: suppressTracing(sampledParent) });
    expect(trace.isSpanContextValid(suppressed.spanContext())).toBe(false);
    expect(tracing.getFinishedSpans()).toHaveLength(1);
  });

  it('tells the processors as the SDK does: onStart with the start attributes, onEnding still open, onEnd once', () => {
    tracing = initTracing({ serviceName: 'gateway', exporter: 'memory' });
    const seen: string[] = [];
    const watcher = {
      onStart: (span: Span) => seen.push(`start ${(span as RpcSpan).attributes['rpc.method']}`),
      onEnding: (span: Span) => {
        span.setAttribute('late', 'kept');
        const duration = (span as RpcSpan).duration;
        seen.push(`ending recording=${span.isRecording()} duration=${duration[0] >= 0 && duration[1] >= 0}`);
      },
      onEnd: (span: ReadableSpan) => seen.push(`end ended=${span.ended} late=${span.attributes.late}`),
      forceFlush: async () => undefined,
      shutdown: async () => undefined,
    };
    // initTracing takes no processors: the provider's parts with this one in their place.
    const parts = tracerPartsOf(trace.getTracerProvider().getTracer('@switchyard/tracing')) as TracerParts;
    const span = startSpanFromParts(
      { ...parts, processor: watcher },
      'shop.catalog.v1.CatalogService/GetProduct',
      SpanKind.CLIENT,
      context.active(),
      () => ({ ...CATALOG_START }),
      CLIENT_INFO,
    );
    endRpcSpan(span, { grpcStatusCode: 0 });
    span.end();
    expect(seen).toEqual(['start GetProduct', 'ending recording=true duration=true', 'end ended=true late=kept']);
  });

  it('its traceparent is the W3C propagator’s, without re-validating ids it made itself', () => {
    tracing = initTracing({ serviceName: 'gateway', exporter: 'memory' });
    const span = startClientAttemptSpan(CATALOG);
    const fast: Record<string, string> = {};
    injectSpanContext(fast, span);
    const slow: Record<string, string> = {};
    propagation.inject(trace.setSpan(context.active(), span), slow);
    expect(fast.traceparent).toBe(slow.traceparent);
    expect(fast.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    endRpcSpan(span, {});
  });
});
