import { SwitchyardError } from '@switchyard/core';
import type { HttpResponse } from '@switchyard/http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Loopback } from './fixtures/loopback.js';

// A connection that breaks after the response headers, in the middle of the body: every way of
// reading that body must fail with a Switchyard error (UNAVAILABLE, naming the instance and the
// status, undici's error as cause), as every other failure of the client does.
let loopback: Loopback;
beforeEach(() => {
  loopback = new Loopback();
});
afterEach(() => loopback.cleanup());

/**
 * An instance that sends headers promising 1,000 bytes, 5 of them, then closes the connection
 * (on `/hold`, keeps it open instead).
 */
async function serveHalfBodies(): Promise<number> {
  const { port } = await loopback.serve('a', (request, response) => {
    const status = request.url === '/error' ? 500 : 200;
    response.writeHead(status, { 'content-type': 'application/json', 'content-length': '1000' });
    response.write('{"a":', () => {
      if (request.url !== '/hold') request.socket.destroy();
    });
  });
  return port;
}

function expectUnavailable(error: unknown, port: number, status: number): void {
  expect(SwitchyardError.hasCode(error, 'UNAVAILABLE'), String(error)).toBe(true);
  const message = (error as Error).message;
  expect(message).toContain(`127.0.0.1:${port}`);
  expect(message).toContain(`HTTP ${status}`);
  expect((error as { cause?: { code?: string } }).cause?.code).toBe('UND_ERR_SOCKET');
}

describe('a connection reset in the middle of a response body', () => {
  it('fails the JSON helpers with UNAVAILABLE naming the instance', async () => {
    const port = await serveHalfBodies();
    const web = await loopback.client('web', { policy: false });
    for (const call of [() => web.getJson('/ok'), () => web.postJson('/ok', { a: 1 }), () => web.getJson('/error')]) {
      const error = await call().catch((caught: unknown) => caught);
      expect(SwitchyardError.hasCode(error, 'UNAVAILABLE'), String(error)).toBe(true);
      expect((error as Error).message).toContain(`127.0.0.1:${port}`);
    }
  });

  it('fails every reader of a streamed body with UNAVAILABLE naming the instance and the status', async () => {
    const port = await serveHalfBodies();
    const web = await loopback.client('web', { policy: false });
    const readers: [string, number, (response: HttpResponse) => Promise<unknown>][] = [
      ['/ok', 200, (response) => response.body.json()],
      ['/ok', 200, (response) => response.body.text()],
      ['/ok', 200, (response) => response.body.arrayBuffer()],
      [
        '/ok',
        200,
        async (response) => {
          for await (const _chunk of response.body) {
            // read to the end
          }
        },
      ],
      // An error status handed back as a response (throwOnStatus: false) reads the same way.
      ['/error', 500, (response) => response.body.text()],
    ];
    for (const [path, status, read] of readers) {
      const response = await web.request({ path, throwOnStatus: false });
      expect(response.status).toBe(status);
      const error = await read(response).catch((caught: unknown) => caught);
      expectUnavailable(error, port, status);
    }
  });

  it('keeps the error of a body nobody was reading on the body, for a later read, instead of ending the process', async () => {
    // Raw undici emits the reset to no 'error' listener here, which throws out of the event loop
    // (vitest reports it as an unhandled error and fails the run).
    const port = await serveHalfBodies();
    const web = await loopback.client('web', { policy: false });
    const response = await web.request({ path: '/ok' });
    expect(response.status).toBe(200);
    await new Promise((resolve) => response.body.once('close', resolve));
    expectUnavailable(response.body.errored, port, 200);
    const error = await response.body.text().catch((caught: unknown) => caught);
    expect(error).toBe(response.body.errored);
  });

  it("leaves the caller's own destroy(error) of a streamed body as it is", async () => {
    await serveHalfBodies();
    const web = await loopback.client('web', { policy: false });
    const response = await web.request({ path: '/hold' });
    const own = new Error('not interested');
    const reading = response.body.text().catch((caught: unknown) => caught);
    response.body.destroy(own);
    expect(await reading).toBe(own);
  });
});
