import { getEventListeners } from 'node:events';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Loopback } from './fixtures/loopback.js';

let loopback: Loopback;
beforeEach(() => {
  loopback = new Loopback();
});
afterEach(() => loopback.cleanup());

describe('responses that cannot have a body, with a long-lived caller signal', () => {
  it('does not keep a listener on the caller signal per HEAD or 204 response', async () => {
    await loopback.serve('a', (request, response) => {
      response.writeHead(request.method === 'DELETE' ? 204 : 200, { 'content-length': '0' });
      response.end();
    });
    const web = await loopback.client();
    // A service-wide signal (aborted on shutdown) passed to every call.
    const shutdown = new AbortController();
    for (let i = 0; i < 20; i++) {
      const deleted = await web.request({ method: 'DELETE', path: '/carts/1', signal: shutdown.signal });
      expect(deleted.status).toBe(204);
      const head = await web.request({ method: 'HEAD', path: '/carts/1', signal: shutdown.signal });
      expect(head.status).toBe(200);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    // Observed: 40 listeners (one per response, each holding its attempt and response alive).
    expect(getEventListeners(shutdown.signal, 'abort')).toHaveLength(0);
  });

  it('nor per response that says it has no body (content-length: 0), unread', async () => {
    await loopback.serve('a', (request, response) => {
      response.writeHead(request.method === 'PUT' ? 201 : 200, { 'content-length': '0' });
      response.end();
    });
    const web = await loopback.client();
    const shutdown = new AbortController();
    for (let i = 0; i < 10; i++) {
      const created = await web.request({ method: 'PUT', path: '/carts/1', signal: shutdown.signal });
      expect(created.status).toBe(201);
      const empty = await web.request({ path: '/carts/1', signal: shutdown.signal });
      expect(empty.status).toBe(200);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    // Observed: 20 (and a MaxListenersExceededWarning), each holding its attempt alive.
    expect(getEventListeners(shutdown.signal, 'abort')).toHaveLength(0);
  });
});
