import { once } from 'node:events';
import { type AddressInfo, connect } from 'node:net';
import { SpanKind, trace } from '@opentelemetry/api';
import { createGrpcClient, createGrpcServer } from '@switchyard/grpc';
import { switchyardFastify } from '@switchyard/http';
import { initTracing, type Tracing } from '@switchyard/tracing';
import Fastify from 'fastify';
import { request as plainRequest } from 'undici';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { json, Loopback } from './fixtures/loopback.js';
import { EchoService } from './fixtures/echo-service.js';

type FinishedSpan = ReturnType<Tracing['getFinishedSpans']>[number];

let tracing: Tracing;
let loopback: Loopback;
beforeAll(() => {
  tracing = initTracing({ serviceName: 'http-test', exporter: 'memory' });
});
afterAll(() => tracing.shutdown());
beforeEach(() => {
  loopback = new Loopback();
  tracing.memoryExporter?.reset();
});
afterEach(() => loopback.cleanup());

const activeTraceId = () => trace.getActiveSpan()?.spanContext().traceId ?? '';

/** Waits until `count` spans have ended (server spans end when the response closes, just after the client returns). */
async function finishedSpans(count: number): Promise<FinishedSpan[]> {
  await expect.poll(() => tracing.getFinishedSpans().length).toBeGreaterThanOrEqual(count);
  return tracing.getFinishedSpans();
}

/** An HTTP/1.0 request with no Host header (undici always sends one), read to its end. */
async function http10WithoutHost(port: number, path: string): Promise<void> {
  const socket = connect(port, '127.0.0.1');
  socket.end(`GET ${path} HTTP/1.0\r\n\r\n`);
  socket.resume();
  await once(socket, 'close');
}

describe('HTTP tracing', () => {
  it('continues the trace of a plain client that sends its own traceparent (node:http and Fastify)', async () => {
    const { port } = await loopback.serve('a', (_request, response) =>
      json(response, 200, { traceId: activeTraceId() }),
    );
    const app = Fastify();
    await app.register(switchyardFastify);
    app.get('/products/:id', async () => ({ traceId: activeTraceId() }));
    await app.listen({ port: 0, host: '127.0.0.1' });
    loopback.onCleanup(() => app.close());
    const fastifyPort = (app.server.address() as AddressInfo).port;

    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const parentSpanId = '00f067aa0ba902b7';
    for (const url of [`http://127.0.0.1:${port}/plain`, `http://127.0.0.1:${fastifyPort}/products/sku-1`]) {
      const reply = await plainRequest(url, { headers: { traceparent: `00-${traceId}-${parentSpanId}-01` } });
      expect(await reply.body.json()).toEqual({ traceId });
    }
    const servers = (await finishedSpans(2)).filter((span) => span.kind === SpanKind.SERVER);
    expect(servers).toHaveLength(2);
    for (const span of servers) {
      expect(span.spanContext().traceId).toBe(traceId);
      expect(span.parentSpanContext?.spanId).toBe(parentSpanId);
    }
    expect(servers.map((span) => span.name).sort()).toEqual(['GET', 'GET /products/:id']);
  });

  it('sets server.address and server.port of SERVER spans from the Host header, neither without one (node:http and Fastify)', async () => {
    const { port } = await loopback.serve('a', (_request, response) => json(response, 200, {}));
    const app = Fastify();
    await app.register(switchyardFastify);
    app.get('/products/:id', async () => ({}));
    await app.listen({ port: 0, host: '127.0.0.1' });
    loopback.onCleanup(() => app.close());
    const fastifyPort = (app.server.address() as AddressInfo).port;

    const cases: [string | undefined, string | undefined, number | undefined][] = [
      [undefined, '127.0.0.1', 0], // undici's own Host: 127.0.0.1:<listening port>
      ['catalog.shop.example:8443', 'catalog.shop.example', 8443],
      ['catalog.shop.example', 'catalog.shop.example', 80],
      ['[::1]:9000', '::1', 9000],
      ['(none: HTTP/1.0)', undefined, undefined],
    ];
    const expected: Record<string, [string | undefined, number | undefined]> = {};
    for (const [listening, path] of [
      [port, '/plain'],
      [fastifyPort, '/products/sku-1'],
    ] as const) {
      for (const [index, [host, address, hostPort]] of cases.entries()) {
        const target = `${path}?case=${index}`;
        if (host?.startsWith('(none')) await http10WithoutHost(listening, target);
        else {
          const headers = host === undefined ? {} : { host };
          await (await plainRequest(`http://127.0.0.1:${listening}${target}`, { headers })).body.dump();
        }
        expected[`${listening} ${index}`] = [address, hostPort === 0 ? listening : hostPort];
      }
    }
    const servers = (await finishedSpans(10)).filter((span) => span.kind === SpanKind.SERVER);
    const seen: Record<string, [unknown, unknown]> = {};
    for (const span of servers) {
      const listening = span.name === 'GET' ? port : fastifyPort;
      seen[`${listening} ${String(span.attributes['url.query']).replace('case=', '')}`] = [
        span.attributes['server.address'],
        span.attributes['server.port'],
      ];
    }
    // Before: every span had server.port (the listening port) and no server.address.
    expect(seen).toEqual(expected);
  });

  it('makes one CLIENT span per attempt, so a retry is visible', async () => {
    let hits = 0;
    await loopback.serve('a', (_request, response) => json(response, ++hits === 1 ? 503 : 200, {}));
    const web = await loopback.client();
    await web.getJson('/x');
    const clients = (await finishedSpans(4)).filter((span) => span.kind === SpanKind.CLIENT);
    expect(clients).toHaveLength(2);
    expect(clients.map((span) => span.status.code).sort()).toEqual([0, 2]); // UNSET, ERROR
    expect(clients.map((span) => span.attributes['http.response.status_code']).sort()).toEqual([200, 503]);
    expect(clients.map((span) => span.attributes['switchyard.attempt']).sort()).toEqual([1, 2]);
    expect(new Set(clients.map((span) => span.spanContext().traceId)).size).toBe(2); // two root attempts
  });

  it('keeps the status on the CLIENT span of a 2xx whose JSON body does not parse, and marks it ERROR', async () => {
    await loopback.serve('a', (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"truncated":');
    });
    const web = await loopback.client('web', { policy: false });
    await expect(web.getJson('/x')).rejects.toMatchObject({ code: 'INTERNAL' });
    const [client] = (await finishedSpans(2)).filter((span) => span.kind === SpanKind.CLIENT);
    // Before: the status was dropped on the way to endRpcSpan, as if no response had come.
    expect(client?.attributes['http.response.status_code']).toBe(200);
    expect(client?.attributes['error.type']).toBe('INTERNAL');
    expect(client?.status.code).toBe(2); // ERROR
    expect(client?.events.map((event) => event.name)).toEqual(['exception']);
  });

  it('gives every CLIENT span the full URL of the instance and path it called (url.full), across instances and paths', async () => {
    const a = await loopback.serve('a', (_request, response) => json(response, 200, {}));
    const b = await loopback.serve('b', (_request, response) => json(response, 200, {}));
    const web = await loopback.client(); // round-robin over a and b
    const paths = ['/x', '/x', '/y?q=1', '/x', '/y?q=1', '/z', '/x', '/y?q=1'];
    for (const path of paths) await web.getJson(path);
    const clients = (await finishedSpans(paths.length * 2)).filter((span) => span.kind === SpanKind.CLIENT);
    expect(clients).toHaveLength(paths.length);
    const ports = new Set<unknown>();
    for (const [index, span] of clients.entries()) {
      const port = span.attributes['server.port'];
      ports.add(port);
      expect(span.attributes['url.full'], `call ${index}`).toBe(`http://127.0.0.1:${port}${paths[index]}`);
    }
    expect(ports).toEqual(new Set([a.port, b.port]));
  });

  it('keeps one trace across gateway (HTTP) → service (gRPC) → service (HTTP), with correct parent links', async () => {
    // C: an HTTP service.
    await loopback.serve(
      'c1',
      (_request, response) => json(response, 200, { servedBy: 'c', traceId: activeTraceId() }),
      {
        service: 'c',
      },
    );
    const toC = await loopback.client('c');
    // B: a gRPC service that calls C.
    const grpcServer = createGrpcServer({
      services: [
        {
          definition: EchoService,
          implementation: {
            say: async () => ({
              message: JSON.stringify(await toC.getJson('/')),
              servedBy: 'b',
              traceId: activeTraceId(),
            }),
          },
        },
      ],
    });
    const grpcPort = await grpcServer.listen(0, '127.0.0.1');
    loopback.onCleanup(() => grpcServer.shutdown(100));
    await loopback.registry.register({ id: 'b1', service: 'b', host: '127.0.0.1', ports: { grpc: grpcPort } });
    const toB = createGrpcClient({ definition: EchoService, discovery: await loopback.discover('b') }) as unknown as {
      say(request: object): Promise<{ message: string; traceId: string }>;
      close(): Promise<void>;
    };
    loopback.onCleanup(() => toB.close());
    // A: the HTTP gateway (Fastify) that calls B.
    const app = Fastify();
    await app.register(switchyardFastify);
    app.get('/chain', async () => {
      const fromB = await toB.say({ message: 'hi' });
      return { traceId: activeTraceId(), fromB: { traceId: fromB.traceId, fromC: JSON.parse(fromB.message) } };
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    loopback.onCleanup(() => app.close());
    await loopback.registry.register({
      id: 'a1',
      service: 'gateway',
      host: '127.0.0.1',
      ports: { http: (app.server.address() as AddressInfo).port },
    });
    const gateway = await loopback.client('gateway');

    const reply = await gateway.getJson<{ traceId: string; fromB: { traceId: string; fromC: { traceId: string } } }>(
      '/chain',
    );
    expect(reply.fromB.traceId).toBe(reply.traceId);
    expect(reply.fromB.fromC.traceId).toBe(reply.traceId);

    const spans = await finishedSpans(6);
    expect(spans).toHaveLength(6);
    expect(new Set(spans.map((span) => span.spanContext().traceId))).toEqual(new Set([reply.traceId]));
    const byId = new Map(spans.map((span) => [span.spanContext().spanId, span]));
    const parentOf = (span: FinishedSpan | undefined) => byId.get(span?.parentSpanContext?.spanId ?? '');
    const describe = (span: FinishedSpan | undefined) =>
      span ? `${span.kind === SpanKind.CLIENT ? 'client' : 'server'} ${span.name}` : 'none';
    // Walk up from C's server span to the root: server ← client ← server ← client ← server ← client (root).
    const chain: string[] = [];
    let current: FinishedSpan | undefined = spans.find(
      (span) => span.kind === SpanKind.SERVER && span.name === 'GET' && parentOf(parentOf(span))?.name.includes('Echo'),
    );
    while (current) {
      chain.push(describe(current));
      current = parentOf(current);
    }
    expect(chain).toEqual([
      'server GET',
      'client GET',
      'server switchyard.echo.v1.Echo/Say',
      'client switchyard.echo.v1.Echo/Say',
      'server GET /chain',
      'client GET',
    ]);
  });
});
