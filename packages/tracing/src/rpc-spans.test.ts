import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { NoInstancesError } from '@switchyard/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  endRpcSpan,
  extractTraceContext,
  initTracing,
  injectTraceContext,
  startClientAttemptSpan,
  startServerSpan,
  type Tracing,
} from './index.js';

let tracing: Tracing;
beforeEach(() => {
  vi.stubEnv('OTEL_SEMCONV_STABILITY_OPT_IN', '');
  vi.stubEnv('OTEL_TRACES_SAMPLER', '');
  tracing = initTracing({ serviceName: 'gateway', exporter: 'memory' });
});
afterEach(async () => {
  await tracing.shutdown();
  trace.disable();
  context.disable();
  propagation.disable();
  vi.unstubAllEnvs();
});

const byName = (name: string): ReadableSpan[] => tracing.getFinishedSpans().filter((span) => span.name === name);
const CATALOG = { system: 'grpc', service: 'shop.catalog.v1.CatalogService', method: 'GetProduct' } as const;

describe('gRPC spans', () => {
  it('names the status in the span status when the error has no message of its own', () => {
    const span = startClientAttemptSpan({ ...CATALOG, serverAddress: '10.0.0.7', serverPort: 50051, attempt: 1 });
    endRpcSpan(span, { grpcStatusCode: 14, error: new Error('') });
    const [ended] = tracing.getFinishedSpans();
    // Was '' (the empty message won over the status name).
    expect(ended?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'UNAVAILABLE' });
  });

  it('ends the span for an error that cannot be turned into a string (a null-prototype object, a throwing toString)', () => {
    // toException read such an error with String(), which threw a TypeError out of endRpcSpan: the
    // span never ended (never exported) and the transport got that TypeError instead of its error.
    const thrown = [
      Object.assign(Object.create(null) as object, { reason: 'quota' }),
      {
        toString() {
          throw new Error('no string for you');
        },
      },
    ];
    for (const [index, error] of thrown.entries()) {
      const span = startServerSpan({ ...CATALOG, method: `Thrown${index}`, parent: context.active() });
      expect(() => endRpcSpan(span, { grpcStatusCode: 13, error })).not.toThrow();
      const [ended] = byName(`shop.catalog.v1.CatalogService/Thrown${index}`);
      expect(ended?.status.code).toBe(SpanStatusCode.ERROR);
      expect(ended?.events.map((event) => event.name)).toEqual(['exception']);
    }
  });

  it('makes one CLIENT span per attempt under the caller, and a SERVER span under the propagated context', () => {
    const root = trace.getTracer('test').startSpan('checkout');
    context.with(trace.setSpan(context.active(), root), () => {
      for (const attempt of [1, 2]) {
        const span = startClientAttemptSpan({ ...CATALOG, serverAddress: '10.0.0.7', serverPort: 50051, attempt });
        const headers: Record<string, string> = {};
        injectTraceContext(headers, trace.setSpan(context.active(), span));

        const server = startServerSpan({ ...CATALOG, parent: extractTraceContext(headers) });
        endRpcSpan(server, { grpcStatusCode: attempt === 1 ? 14 : 0 });
        endRpcSpan(span, { grpcStatusCode: attempt === 1 ? 14 : 0 });
      }
    });
    root.end();

    const clients = tracing.getFinishedSpans().filter((span) => span.kind === SpanKind.CLIENT);
    const servers = tracing.getFinishedSpans().filter((span) => span.kind === SpanKind.SERVER);
    expect(clients.map((span) => span.attributes['switchyard.attempt'])).toEqual([1, 2]);
    for (const [index, client] of clients.entries()) {
      expect(client.name).toBe('shop.catalog.v1.CatalogService/GetProduct');
      expect(client.parentSpanContext?.spanId).toBe(root.spanContext().spanId);
      expect(client.spanContext().traceId).toBe(root.spanContext().traceId);
      expect(servers[index]?.parentSpanContext?.spanId).toBe(client.spanContext().spanId);
      expect(servers[index]?.parentSpanContext?.isRemote).toBe(true);
    }
    expect(clients[0]?.attributes).toEqual({
      'rpc.system': 'grpc',
      'rpc.service': 'shop.catalog.v1.CatalogService',
      'rpc.method': 'GetProduct',
      'server.address': '10.0.0.7',
      'server.port': 50051,
      'switchyard.attempt': 1,
      'rpc.grpc.status_code': 14,
    });
    expect(clients[0]?.status.code).toBe(SpanStatusCode.ERROR);
    expect(clients[1]?.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('counts a client-side NOT_FOUND as an error but not a server-side one', () => {
    endRpcSpan(startClientAttemptSpan(CATALOG), { grpcStatusCode: 5 });
    endRpcSpan(startServerSpan({ ...CATALOG, parent: context.active() }), { grpcStatusCode: 5 });
    endRpcSpan(startServerSpan({ ...CATALOG, parent: context.active() }), {
      grpcStatusCode: 13,
      error: new Error('database down'),
    });
    const [client, notFound, internal] = tracing.getFinishedSpans();
    expect(client?.status.code).toBe(SpanStatusCode.ERROR);
    expect(notFound?.status.code).toBe(SpanStatusCode.UNSET);
    expect(notFound?.events).toEqual([]);
    expect(internal?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'database down' });
    expect(internal?.events[0]?.name).toBe('exception');
    expect(internal?.events[0]?.attributes?.['exception.message']).toBe('database down');
  });

  it('records a failure before any status (no instance, connection refused) with the exception', () => {
    endRpcSpan(startClientAttemptSpan(CATALOG), { error: new NoInstancesError('catalog') });
    const [span] = tracing.getFinishedSpans();
    expect(span?.status.code).toBe(SpanStatusCode.ERROR);
    expect(span?.events[0]?.attributes?.['exception.type']).toBe('NO_INSTANCES');
    expect(span?.attributes['rpc.grpc.status_code']).toBeUndefined();
  });
});

describe('HTTP spans', () => {
  it('follows the stable HTTP conventions: names, attributes, resend count, status', () => {
    const url = 'http://10.0.0.9:8080/products/42?currency=EUR';
    const first = startClientAttemptSpan({
      system: 'http',
      service: 'catalog',
      method: 'get',
      url,
      serverAddress: '10.0.0.9',
      serverPort: 8080,
    });
    endRpcSpan(first, { httpStatusCode: 503 });
    const second = startClientAttemptSpan({
      system: 'http',
      service: 'catalog',
      method: 'GET',
      url,
      serverAddress: '10.0.0.9',
      serverPort: 8080,
      attempt: 2,
    });
    endRpcSpan(second, { httpStatusCode: 200 });
    const server = startServerSpan({
      system: 'http',
      service: 'catalog',
      method: 'GET',
      route: '/products/:id',
      url: '/products/42?currency=EUR',
      parent: context.active(),
    });
    endRpcSpan(server, { httpStatusCode: 404 });

    const [client1, client2] = byName('GET');
    expect(client1?.kind).toBe(SpanKind.CLIENT);
    expect(client1?.attributes).toEqual({
      'http.request.method': 'GET',
      'http.request.method_original': 'get',
      'server.address': '10.0.0.9',
      'server.port': 8080,
      'url.full': url,
      'service.peer.name': 'catalog',
      'switchyard.attempt': 1,
      'http.response.status_code': 503,
      'error.type': '503',
    });
    expect(client1?.status.code).toBe(SpanStatusCode.ERROR);
    expect(client2?.attributes['http.request.resend_count']).toBe(1);
    expect(client2?.status.code).toBe(SpanStatusCode.UNSET);

    const [serverSpan] = byName('GET /products/:id');
    expect(serverSpan?.kind).toBe(SpanKind.SERVER);
    expect(serverSpan?.attributes).toEqual({
      'http.request.method': 'GET',
      'url.path': '/products/42',
      'url.query': 'currency=EUR',
      'url.scheme': 'http',
      'http.route': '/products/:id',
      'http.response.status_code': 404,
    });
    expect(serverSpan?.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('fails a call that errs after a non-error status (an unreadable body), as the HTTP conventions require', () => {
    const call = { system: 'http', service: 'catalog', method: 'GET', url: 'http://10.0.0.9/p' } as const;
    const unparsable = Object.assign(new Error('body is not JSON'), { code: 'INTERNAL' });
    // A 301 the caller asked to receive whose body did not parse: the call threw, the span said OK.
    endRpcSpan(startClientAttemptSpan(call), { httpStatusCode: 301, error: unparsable });
    // A response stream that broke after its 200 headers.
    endRpcSpan(startServerSpan({ ...call, url: '/p', parent: context.active() }), {
      httpStatusCode: 200,
      error: new TypeError('terminated'),
    });
    // A server's 4xx stays unset even with an error: that is the caller's problem.
    endRpcSpan(startServerSpan({ ...call, url: '/q', route: '/q', parent: context.active() }), {
      httpStatusCode: 400,
      error: new TypeError('bad input'),
    });
    const [client, server, badInput] = tracing.getFinishedSpans();
    expect(client?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'body is not JSON' });
    expect(client?.attributes).toMatchObject({ 'http.response.status_code': 301, 'error.type': 'INTERNAL' });
    expect(client?.events.map((event) => event.name)).toEqual(['exception']);
    expect(server?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'terminated' });
    expect(server?.attributes).toMatchObject({ 'http.response.status_code': 200, 'error.type': 'TypeError' });
    expect(badInput?.status.code).toBe(SpanStatusCode.UNSET);
    expect(badInput?.attributes['error.type']).toBeUndefined();
  });

  it('names an error of a class of its own in error.type, not _OTHER', () => {
    // Subclasses rarely set `name` (it stays 'Error'): the class name is what the conventions ask for.
    class CatalogOffline extends Error {}
    endRpcSpan(startClientAttemptSpan({ system: 'http', service: 'catalog', method: 'GET' }), {
      error: new CatalogOffline('down'),
    });
    endRpcSpan(startClientAttemptSpan({ system: 'http', service: 'catalog', method: 'GET' }), {
      error: new Error('plain'),
    });
    const [own, plain] = tracing.getFinishedSpans();
    expect(own?.attributes['error.type']).toBe('CatalogOffline');
    expect(plain?.attributes['error.type']).toBe('_OTHER');
  });

  it('names unknown methods HTTP and keeps the original', () => {
    endRpcSpan(startClientAttemptSpan({ system: 'http', service: 'catalog', method: 'PURGE' }), {
      httpStatusCode: 204,
    });
    const [span] = byName('HTTP');
    expect(span?.attributes['http.request.method']).toBe('_OTHER');
    expect(span?.attributes['http.request.method_original']).toBe('PURGE');
  });

  it('keeps the original method when it records a canonical one in its place (get → GET)', () => {
    endRpcSpan(startClientAttemptSpan({ system: 'http', service: 'catalog', method: 'get' }), { httpStatusCode: 200 });
    const [span] = byName('GET');
    expect(span?.attributes['http.request.method']).toBe('GET');
    // Conditionally required by the HTTP conventions whenever it differs from http.request.method.
    expect(span?.attributes['http.request.method_original']).toBe('get');
  });

  it('redacts credentials and signed-URL query values in url.full, url.query and the old names', () => {
    vi.stubEnv('OTEL_SEMCONV_STABILITY_OPT_IN', 'http/dup');
    const client = startClientAttemptSpan({
      system: 'http',
      service: 'files',
      method: 'GET',
      url: 'https://alice:s3cret@files.example:8443/report.pdf?X-Goog-Signature=abc123&page=2',
    });
    endRpcSpan(client, { httpStatusCode: 200 });
    const server = startServerSpan({
      system: 'http',
      service: 'files',
      method: 'GET',
      url: '/report.pdf?sig=abc123&page=2',
      parent: context.active(),
    });
    endRpcSpan(server, { httpStatusCode: 200 });

    const [clientSpan, serverSpan] = tracing.getFinishedSpans();
    const redactedUrl = 'https://REDACTED:REDACTED@files.example:8443/report.pdf?X-Goog-Signature=REDACTED&page=2';
    expect(clientSpan?.attributes['url.full']).toBe(redactedUrl);
    expect(clientSpan?.attributes['http.url']).toBe(redactedUrl);
    expect(serverSpan?.attributes['url.query']).toBe('sig=REDACTED&page=2');
    expect(serverSpan?.attributes['http.target']).toBe('/report.pdf?sig=REDACTED&page=2');
    expect(JSON.stringify(tracing.getFinishedSpans().map((span) => span.attributes))).not.toMatch(/s3cret|abc123/);
  });

  it('reads a server target whose query holds a URL as a path and a query', () => {
    const server = startServerSpan({
      system: 'http',
      service: 'auth',
      method: 'GET',
      url: '/login?next=https://shop.example/home',
      parent: context.active(),
    });
    endRpcSpan(server, { httpStatusCode: 302 });
    expect(tracing.getFinishedSpans()[0]?.attributes).toMatchObject({
      'url.path': '/login',
      'url.query': 'next=https://shop.example/home',
      'url.scheme': 'http',
    });
  });
});
