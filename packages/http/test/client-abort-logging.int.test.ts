/**
 * A client that closes its connection while the handler reads the request body is not a server
 * failure: the body read breaks off (`aborted`, ECONNRESET), the handler rethrows, and httpHandler
 * logged that at `error` as "handler failed", though the SERVER span and the request metric already
 * read 499. It is logged at `debug` now, as the gRPC server logs a handler that failed after its
 * call was cancelled; a handler that fails while its client waits is still logged at `error`.
 */
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { SpanKind } from '@opentelemetry/api';
import type { Logger } from '@switchyard/core';
import { switchyardFastify } from '@switchyard/http';
import Fastify from 'fastify';
import type { IncomingMessage } from 'node:http';
import { request as plainRequest } from 'undici';
import { describe, expect, it } from 'vitest';
import { readBody } from './fixtures/loopback.js';
import { tracedLoopbacks } from './fixtures/telemetry.js';

const telemetry = tracedLoopbacks('http-client-abort');

interface Line {
  level: string;
  message: string;
  err: unknown;
}

function recordingLogger(): { logger: Logger; lines: Line[] } {
  const lines: Line[] = [];
  const push = (level: string) => (fields: { err?: unknown }, message: string) =>
    lines.push({ level, message, err: fields?.err });
  return {
    lines,
    logger: { debug: push('debug'), info: push('info'), warn: push('warn'), error: push('error') } as unknown as Logger,
  };
}

/** The one line a handler failure after its client left gets: at debug, saying so, with the `aborted` error. */
async function expectLoggedAtDebugOnly(lines: Line[]): Promise<void> {
  await expect.poll(() => lines.length).toBeGreaterThan(0);
  expect(lines).toEqual([
    {
      level: 'debug',
      message: 'switchyard http: handler failed after the client closed the connection',
      err: expect.objectContaining({ message: 'aborted' }),
    },
  ]);
}

/** The `http.response.status_code` labels of the `http.server.request.duration` series of POSTs. */
async function postStatuses(): Promise<string[]> {
  const text = await telemetry.metrics.scrape();
  return text
    .split('\n')
    .filter((line) => line.startsWith('http_server_request_duration_count{'))
    .filter((line) => line.includes('http_request_method="POST"'))
    .map((line) => /http_response_status_code="(\d+)"/.exec(line)?.[1] ?? '');
}

/**
 * Sends a POST announcing a 100-byte body, sends 3 bytes of it, waits until the handler is reading,
 * then closes the connection: the client going away mid-body.
 */
async function abortMidBody(port: number, handlerReading: Promise<void>): Promise<void> {
  const socket: Socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  socket.write('POST /upload HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: 100\r\n\r\nabc');
  await handlerReading;
  socket.destroy();
}

/** A promise and the function that resolves it. */
function signal(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

describe('a client that closes its connection while the handler reads the body', () => {
  it('is logged at debug as the client leaving, not at error as a handler failure; span and metric read 499 (httpHandler)', async () => {
    const { logger, lines } = recordingLogger();
    const reading = signal();
    const { port } = await telemetry.loopback.serve(
      'a',
      async (request, response) => {
        reading.resolve();
        const body = await readBody(request); // rejects with `aborted` when the client leaves
        response.end(body);
      },
      { server: { logger } },
    );
    await abortMidBody(port, reading.promise);
    // Before the fix: [{ level: 'error', message: 'switchyard http: handler failed', err: Error('aborted') }].
    await expectLoggedAtDebugOnly(lines);
    await expect
      .poll(() => telemetry.tracing.getFinishedSpans().filter((s) => s.kind === SpanKind.SERVER).length)
      .toBe(1);
    const span = telemetry.tracing.getFinishedSpans().find((s) => s.kind === SpanKind.SERVER)!;
    expect(span.attributes['http.response.status_code']).toBe(499);
    // 499 is the client's: no error.type on the metric, so no server failure counted.
    await expect.poll(() => postStatuses()).toContain('499');
    expect(await postStatuses()).not.toContain('500');
  });

  it('is logged at debug by the Fastify plugin too, for a route that reads the raw body itself', async () => {
    const { logger, lines } = recordingLogger();
    const reading = signal();
    const app = Fastify();
    await app.register(switchyardFastify, { logger });
    // The route reads the body stream itself: Fastify's parser leaves it unread.
    app.addContentTypeParser('*', (_request: unknown, _payload: unknown, done: (e: null) => void) => done(null));
    app.post('/upload', async (request) => {
      reading.resolve();
      return readBody(request.raw as IncomingMessage);
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    telemetry.loopback.onCleanup(() => app.close());
    const { port } = app.server.address() as { port: number };
    await abortMidBody(port, reading.promise);
    // Before the fix: at error, 'switchyard http: handler failed'.
    await expectLoggedAtDebugOnly(lines);
  });

  it('leaves a handler that fails while its client waits logged at error, as a 500', async () => {
    const { logger, lines } = recordingLogger();
    const { port } = await telemetry.loopback.serve(
      'b',
      async (request) => {
        await readBody(request);
        throw new Error('database down');
      },
      { server: { logger } },
    );
    const reply = await plainRequest(`http://127.0.0.1:${port}/upload`, { method: 'POST', body: 'abc' });
    expect(reply.statusCode).toBe(500);
    await reply.body.dump();
    expect(lines).toEqual([
      {
        level: 'error',
        message: 'switchyard http: handler failed',
        err: expect.objectContaining({ message: 'database down' }),
      },
    ]);
  });
});
