/**
 * A server that sends an interim `100 Continue` the request did not ask for (Node's
 * `response.writeContinue()` called unconditionally, some proxies) before its real response. The
 * client never sends `Expect: 100-continue` (it refuses the header), and undici (6 and 7) fails such
 * a response with a SocketError `bad response`. That was read as a connection that broke: the
 * caller got `connection to … failed (UND_ERR_SOCKET)`, which points at the network; a GET was sent
 * three times (each ran the handler, and each failed the same way); and the instance, which was up
 * and answering, was blamed for a failed connection. It is the server's protocol error: INTERNAL,
 * saying what the server sent, not retried, counted as a failure of the instance but not as a
 * failed connection.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { failure } from './fixtures/failure.js';
import { json, Loopback } from './fixtures/loopback.js';

let loopback: Loopback;
beforeEach(() => {
  loopback = new Loopback();
});
afterEach(() => loopback.cleanup());

describe('a response preceded by an unsolicited 100 Continue', () => {
  it('fails with INTERNAL, saying what the server sent, once, for GET and POST alike', async () => {
    let hits = 0;
    await loopback.serve('a', (request, response) => {
      hits++;
      response.writeContinue();
      request.resume();
      request.on('end', () => json(response, 200, { ok: true }));
    });
    const web = await loopback.client('web');
    const calls: [string, () => Promise<unknown>][] = [
      ['getJson', () => web.getJson('/x')],
      ['postJson', () => web.postJson('/x', { a: 1 })],
      ['request GET', () => web.request({ path: '/x' })],
      ['request POST', () => web.request({ method: 'POST', path: '/x', body: 'x' })],
    ];
    for (const [name, call] of calls) {
      hits = 0;
      const error = await failure(call);
      // Before: RETRY_EXHAUSTED "all 3 attempts failed" for GET (3 hits), UNAVAILABLE
      // "connection to http://127.0.0.1:… failed (UND_ERR_SOCKET)" for POST.
      expect(error.code, `${name}: ${error.message}`).toBe('INTERNAL');
      expect(error.message, name).toMatch(/sent a response the client cannot read/);
      expect(error.message, name).toMatch(/100 Continue/);
      expect(hits, name).toBe(1);
    }
  });

  it('does not eject the instance as if its connection had failed (one failed connection ejects at once)', async () => {
    for (const id of ['a', 'b']) {
      await loopback.serve(id, (request, response) => {
        if (id === 'a') response.writeContinue();
        request.resume();
        request.on('end', () => json(response, 200, { servedBy: id }));
      });
    }
    const discovery = await loopback.discover('web', 'round-robin');
    const ejected: string[] = [];
    discovery.onEjection((event) => ejected.push(event.id));
    const web = await loopback.client('web', { discovery, policy: false });
    const codes: string[] = [];
    for (let i = 0; i < 2; i++) {
      codes.push(
        await web.getJson<{ servedBy: string }>('/x').then(
          (reply) => reply.servedBy,
          (error) => error.code,
        ),
      );
    }
    expect(codes.sort()).toEqual(['INTERNAL', 'b']);
    // Before: ['a'], ejected for 5 s at the first such response, as for a refused connection.
    expect(ejected).toEqual([]);
  });

  it('skips the interim responses undici reads (103 Early Hints, 102 Processing)', async () => {
    await loopback.serve('a', (request, response) => {
      response.writeEarlyHints({ link: '</style.css>; rel=preload; as=style' });
      response.writeProcessing();
      request.resume();
      request.on('end', () => json(response, 200, { ok: true }));
    });
    const web = await loopback.client('web');
    expect(await web.getJson('/x')).toEqual({ ok: true });
    expect(await web.postJson('/x', {})).toEqual({ ok: true });
    const streamed = await web.request({ path: '/x' });
    expect(streamed.status).toBe(200);
    expect(await streamed.body.json()).toEqual({ ok: true });
  });
});
