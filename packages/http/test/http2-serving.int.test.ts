/**
 * httpHandler on HTTP/2: context.signal first read after the client went away is aborted at once (a
 * reset stream, as a closed connection on HTTP/1.1), and a draining server sends a GOAWAY.
 */
import { once } from 'node:events';
import { connect as http2Connect, createServer as createHttp2Server } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { createHealthState, httpHandler, requestContext } from '@switchyard/http';
import { request as plainRequest } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Loopback } from './fixtures/loopback.js';

let loopback: Loopback;
beforeEach(() => {
  loopback = new Loopback();
});
afterEach(() => loopback.cleanup());

describe('context.signal first read after the client left', () => {
  it('is aborted on HTTP/2 when the client reset the stream', async () => {
    let aborted: boolean | undefined;
    const listener = httpHandler(async (request, response) => {
      // The handler does some work (reads a body, checks auth) before it looks at the signal.
      await new Promise((resolve) => setTimeout(resolve, 150));
      const { signal } = requestContext(request)!;
      await new Promise((resolve) => setTimeout(resolve, 20));
      aborted = signal.aborted;
      response.end();
    });
    const server = createHttp2Server(listener as never);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    loopback.onCleanup(() => new Promise((resolve) => server.close(resolve)));
    const session = http2Connect(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    loopback.onCleanup(() => session.destroy());
    const stream = session.request({ ':path': '/slow' });
    stream.on('error', () => {});
    await new Promise((resolve) => setTimeout(resolve, 30));
    stream.close(8 /* NGHTTP2_CANCEL */);
    await expect.poll(() => aborted, { timeout: 2_000 }).not.toBeUndefined();
    // Before the fix: false: Http2ServerResponse has no `closed`, its 'close' had passed, and it
    // reports writableFinished after a reset.
    expect(aborted).toBe(true);
  });

  it('is aborted on HTTP/1.1 when the client closed the connection', async () => {
    // Before the fix: passed too (the control: the behaviour HTTP/2 now matches).
    let aborted: boolean | undefined;
    const { port } = await loopback.serve('a', async (request, response) => {
      await new Promise((resolve) => setTimeout(resolve, 150));
      aborted = requestContext(request)!.signal.aborted;
      response.end();
    });
    const controller = new AbortController();
    const pending = plainRequest(`http://127.0.0.1:${port}/slow`, { signal: controller.signal }).catch(() => undefined);
    setTimeout(() => controller.abort(), 30);
    await pending;
    await expect.poll(() => aborted, { timeout: 2_000 }).not.toBeUndefined();
    expect(aborted).toBe(true);
  });
});

describe('draining on HTTP/2', () => {
  // Before: the Connection: close meant for HTTP/1.1 was set on HTTP/2 responses too, where Node
  // drops it with an UnsupportedWarning, and the client kept its connection to the draining instance.
  it('answers the request and sends a GOAWAY, so the client takes its next requests elsewhere', async () => {
    const health = createHealthState();
    const listener = httpHandler((_request, response) => response.end('served'), { health });
    const server = createHttp2Server(listener as never);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    loopback.onCleanup(() => new Promise((resolve) => server.close(resolve)));
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.message);
    process.on('warning', onWarning);
    loopback.onCleanup(async () => {
      process.off('warning', onWarning);
    });
    health.drain();
    const session = http2Connect(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    loopback.onCleanup(() => session.destroy());
    const goaway = once(session, 'goaway');
    const stream = session.request({ ':path': '/orders' });
    let body = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      body += chunk;
    });
    const [headers] = (await once(stream, 'response')) as [Record<string, unknown>];
    await once(stream, 'end');
    expect({ status: headers[':status'], connection: headers.connection, body }).toEqual({
      status: 200,
      connection: undefined,
      body: 'served',
    });
    const noGoaway = new Promise((_, reject) =>
      setTimeout(() => reject(new Error('no GOAWAY within 2 s')), 2_000).unref(),
    );
    await Promise.race([goaway, noGoaway]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(warnings.filter((message) => /connection/i.test(message))).toEqual([]);
  });
});
