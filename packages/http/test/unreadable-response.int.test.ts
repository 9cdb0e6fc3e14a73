/**
 * A response that is not HTTP/1.1 at all: the instance's `http` port answered by a server that
 * speaks only HTTP/2 (a gRPC server's port registered as `http`, an h2c-only server), or a body
 * whose chunked framing is broken. undici's parser refuses it with an HTTPParserError (`HPE_…`).
 * That came out as UNKNOWN with undici's words alone ("Response does not match the HTTP/1.1
 * protocol"), naming no instance, so among many instances nobody could tell which one answered so;
 * from a streamed body, undici's raw error. The README's error table promises INTERNAL for a
 * response the client cannot read, as for an unsolicited 100 Continue (unsolicited-continue.int).
 */
import { createServer as createH2cServer } from 'node:http2';
import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { failure } from './fixtures/failure.js';
import { Loopback } from './fixtures/loopback.js';

let loopback: Loopback;
beforeEach(() => {
  loopback = new Loopback();
});
afterEach(() => loopback.cleanup());

async function listening<S extends Server | ReturnType<typeof createH2cServer>>(server: S): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  loopback.onCleanup(() => new Promise((resolve) => server.close(() => resolve(undefined))));
  return (server.address() as AddressInfo).port;
}

describe('a response that is not HTTP/1.1', () => {
  it('fails with INTERNAL naming the instance when the port speaks only HTTP/2, once, for GET and POST', async () => {
    let hits = 0;
    const h2c = createH2cServer();
    h2c.on('session', () => hits++);
    h2c.on('stream', (stream) => stream.respond({ ':status': 200 }, { endStream: true }));
    const port = await listening(h2c);
    await loopback.registry.register({ id: 'grpc-port', service: 'web', host: '127.0.0.1', ports: { http: port } });
    const web = await loopback.client('web');
    const calls: [string, () => Promise<unknown>][] = [
      ['getJson', () => web.getJson('/x')],
      ['postJson', () => web.postJson('/x', { a: 1 })],
      ['request GET', () => web.request({ path: '/x' })],
    ];
    for (const [name, call] of calls) {
      hits = 0;
      const error = await failure(call);
      // Before: UNKNOWN "web GET /x: Response does not match the HTTP/1.1 protocol (Expected HTTP/)".
      expect(error.code, `${name}: ${error.message}`).toBe('INTERNAL');
      expect(error.message, name).toContain(`http://127.0.0.1:${port}`);
      expect(error.message, name).toMatch(/sent a response the client cannot read \(HPE_INVALID_CONSTANT/);
      expect(error.retryable, name).toBe(false);
      expect(hits, name).toBe(1);
    }
  });

  it('fails a body whose chunked framing breaks with INTERNAL naming the instance and the status', async () => {
    // Headers are fine; the second chunk's size line is not hex.
    const broken = createTcpServer((socket: Socket) => {
      socket.on('error', () => undefined);
      socket.once('data', () => {
        socket.write('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n');
        socket.write('2\r\n{"\r\n');
        setTimeout(() => socket.write('zz\r\nok":1}\r\n0\r\n\r\n'), 20);
      });
    });
    const port = await listening(broken);
    await loopback.registry.register({ id: 'broken', service: 'web', host: '127.0.0.1', ports: { http: port } });
    const web = await loopback.client('web', { policy: false });

    // Before: UNKNOWN naming no instance.
    const buffered = await failure(() => web.getJson('/x'));
    expect(buffered.code, buffered.message).toBe('INTERNAL');
    expect(buffered.message).toContain(`http://127.0.0.1:${port}`);
    expect(buffered.message).toMatch(/HPE_INVALID_CHUNK_SIZE/);

    // Before: undici's own HTTPParserError from the body, not a Switchyard error.
    const response = await web.request({ path: '/x' });
    expect(response.status).toBe(200);
    const streamed = await failure(() => response.body.text());
    expect(streamed.code, streamed.message).toBe('INTERNAL');
    expect(streamed.message).toContain(`http://127.0.0.1:${port}`);
    expect(streamed.message).toMatch(/HTTP 200 response body.*HPE_INVALID_CHUNK_SIZE/);
  });
});
