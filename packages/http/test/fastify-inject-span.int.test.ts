/**
 * Fastify's `inject()` (light-my-request: no socket) ends a response its own way: it emits 'finish'
 * and 'close' before its stand-in socket has "flushed", so `writableFinished` is still false when
 * the response closes. The plugin read that as a client that left: every injected request's SERVER
 * span said 499 and its signal was aborted. A real client that leaves still reads 499.
 */
import { once } from 'node:events';
import { connect } from 'node:net';
import { SpanKind } from '@opentelemetry/api';
import { requestContext, switchyardFastify } from '@switchyard/http';
import { initTracing, type Tracing } from '@switchyard/tracing';
import Fastify from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

let tracing: Tracing;
beforeAll(() => {
  tracing = initTracing({ serviceName: 'http-fastify-inject', exporter: 'memory' });
});
afterAll(() => tracing.shutdown());
beforeEach(() => tracing.memoryExporter?.reset());

async function oneServerSpan() {
  await expect.poll(() => tracing.getFinishedSpans().filter((s) => s.kind === SpanKind.SERVER).length).toBe(1);
  return tracing.getFinishedSpans().find((s) => s.kind === SpanKind.SERVER)!;
}

describe('SERVER spans of Fastify requests', () => {
  it('records an injected request that completes with its own status (200), and leaves its signal unaborted', async () => {
    const app = Fastify();
    await app.register(switchyardFastify);
    let signal: AbortSignal | undefined;
    app.get('/products/:id', async (request) => {
      signal = requestContext(request)?.signal;
      return { id: (request.params as { id: string }).id };
    });
    try {
      const reply = await app.inject({ method: 'GET', url: '/products/sku-1' });
      expect(reply.statusCode).toBe(200);
      const span = await oneServerSpan();
      // Before the fix: 499, the client "closed the connection".
      expect(span.attributes['http.response.status_code']).toBe(200);
      expect(span.name).toBe('GET /products/:id');
      // Before the fix: aborted with CANCELLED "the client closed the connection".
      expect(signal?.aborted).toBe(false);
    } finally {
      await app.close();
    }
  });

  it('still records a real client that leaves before the reply as 499', async () => {
    const app = Fastify();
    await app.register(switchyardFastify);
    let reached!: () => void;
    const inRoute = new Promise<void>((resolve) => {
      reached = resolve;
    });
    app.get('/slow', async (request) => {
      const { signal } = requestContext(request)!;
      reached();
      // Answers once the client has gone (its signal aborts when the connection closes).
      if (!signal.aborted) await once(signal, 'abort');
      return { late: true };
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const { port } = app.server.address() as { port: number };
      const socket = connect(port, '127.0.0.1');
      socket.write('GET /slow HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n');
      await inRoute;
      socket.destroy();
      const span = await oneServerSpan();
      expect(span.attributes['http.response.status_code']).toBe(499);
    } finally {
      await app.close();
    }
  });
});
