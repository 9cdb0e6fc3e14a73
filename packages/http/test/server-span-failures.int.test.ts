/**
 * SERVER spans and the request metric of requests whose handling failed: a failure after the
 * headers went out is the server's (500, ERROR), not a client that left (499); and the span
 * records the handler's exception, as the gRPC server's does.
 */
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { switchyardFastify } from '@switchyard/http';
import Fastify from 'fastify';
import { request as plainRequest } from 'undici';
import { describe, expect, it } from 'vitest';
import { tracedLoopbacks } from './fixtures/telemetry.js';

const telemetry = tracedLoopbacks('http-span-failures');

async function oneServerSpan() {
  await expect
    .poll(() => telemetry.tracing.getFinishedSpans().filter((s) => s.kind === SpanKind.SERVER).length)
    .toBe(1);
  return telemetry.tracing.getFinishedSpans().find((s) => s.kind === SpanKind.SERVER)!;
}

/** The `http.response.status_code` labels of the `http.server.request.duration` series of `method`. */
async function serverStatuses(method: string): Promise<string[]> {
  const text = await telemetry.metrics.scrape();
  return text
    .split('\n')
    .filter((line) => line.startsWith('http_server_request_duration_count{'))
    .filter((line) => line.includes(`http_request_method="${method}"`))
    .map((line) => /http_response_status_code="(\d+)"/.exec(line)?.[1] ?? '');
}

/** Reads a response the server may cut: its text, or the error it broke off with. */
function readCut(url: string, method: 'GET' | 'POST' = 'GET'): Promise<unknown> {
  return plainRequest(url, { method })
    .then((reply) => reply.body.text())
    .catch((error: unknown) => error);
}

describe('SERVER spans and the request metric of failed requests', () => {
  it('records a handler that fails after writing headers as a 500 with its exception, not as a 499 client cancel (httpHandler)', async () => {
    const { port } = await telemetry.loopback.serve('a', async (_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.write('first rows…');
      await new Promise((resolve) => setTimeout(resolve, 10));
      throw new Error('database cursor lost');
    });
    // The client sees a broken response (the connection is destroyed), as documented.
    expect(await readCut(`http://127.0.0.1:${port}/report`)).toBeInstanceOf(Error);
    const span = await oneServerSpan();
    // Before the fix: http.response.status_code 499, status UNSET, no exception: the client leaving.
    expect(span.attributes['http.response.status_code']).toBe(500);
    expect(span.status).toMatchObject({ code: SpanStatusCode.ERROR, message: 'database cursor lost' });
    expect(span.events.map((event) => event.name)).toContain('exception');
    await expect.poll(() => serverStatuses('GET')).toContain('500');
    expect(await serverStatuses('GET')).not.toContain('499');
  });

  it('records a response stream that fails mid-body as a 500 with its error, not as a 499 client cancel (Fastify)', async () => {
    const app = Fastify();
    await app.register(switchyardFastify);
    app.post('/export', async (_request, reply) => {
      const body = new Readable({ read() {} });
      body.push('first rows…');
      setTimeout(() => body.destroy(new Error('database cursor lost')), 10);
      return reply.type('text/plain').send(body);
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    telemetry.loopback.onCleanup(() => app.close());
    const port = (app.server.address() as AddressInfo).port;
    expect(await readCut(`http://127.0.0.1:${port}/export`, 'POST')).toBeInstanceOf(Error);
    const span = await oneServerSpan();
    // Before the fix: 499 and UNSET.
    expect(span.attributes['http.response.status_code']).toBe(500);
    expect(span.status).toMatchObject({ code: SpanStatusCode.ERROR, message: 'database cursor lost' });
    await expect.poll(() => serverStatuses('POST')).toContain('500');
    expect(await serverStatuses('POST')).not.toContain('499');
  });

  it("records the handler's exception on the SERVER span of a 500, as the gRPC server does (httpHandler)", async () => {
    const { port } = await telemetry.loopback.serve('a', async () => {
      throw new TypeError("Cannot read properties of undefined (reading 'sku')");
    });
    const reply = await plainRequest(`http://127.0.0.1:${port}/products/1`);
    expect(reply.statusCode).toBe(500);
    await reply.body.text();
    const span = await oneServerSpan();
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    // Before the fix: no event at all; the span said 500 and nothing about what failed.
    const exception = span.events.find((event) => event.name === 'exception');
    expect(exception?.attributes).toMatchObject({ 'exception.type': 'TypeError' });
  });

  it('records no exception on the SERVER span of a 4xx: the client is at fault, and the span stays UNSET', async () => {
    const { port } = await telemetry.loopback.serve('a', async () => {
      throw Object.assign(new Error('no such order'), { status: 404, expose: true });
    });
    const reply = await plainRequest(`http://127.0.0.1:${port}/orders/9`);
    await reply.body.text();
    const span = await oneServerSpan();
    // Before the fix: a 500 with status ERROR (an error that is not a Switchyard one was always a 500).
    expect(span.attributes['http.response.status_code']).toBe(404);
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(span.events).toEqual([]);
  });
});
