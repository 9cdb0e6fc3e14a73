import type { AddressInfo } from 'node:net';
import { createHealthState, switchyardFastify } from '@switchyard/http';
import Fastify from 'fastify';
import { request as plainRequest } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Loopback } from './fixtures/loopback.js';

let loopback: Loopback;
beforeEach(() => {
  loopback = new Loopback();
});
afterEach(() => loopback.cleanup());

/** A promise and the function that settles it. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

describe('draining while a request is in flight', () => {
  // README: "While draining, responses carry `Connection: close` (HTTP/1.1) ... so keep-alive
  // clients move elsewhere." The header is decided when the request arrives
  // (http-handler.ts: `if (settings.health.draining) closeConnectionAfter(...)` before the handler
  // runs), so the response of a request that was already being served when drain() was called
  // (a slow query, a long poll: exactly the requests a drain waits for) goes out keep-alive, and
  // the client keeps its connection to the draining instance.
  it('httpHandler: the response of a request that arrived before drain() still carries Connection: close', async () => {
    const started = gate();
    const release = gate();
    const { port, listener } = await loopback.serve('a', async (_request, response) => {
      started.open();
      await release.promise;
      response.end('done');
    });
    const pending = plainRequest(`http://127.0.0.1:${port}/slow`);
    await started.promise;
    listener.health.drain();
    release.open();
    const reply = await pending;
    expect(await reply.body.text()).toBe('done');
    expect(reply.headers.connection).toBe('close');
  });

  it('switchyardFastify: the response of a request that arrived before drain() still carries Connection: close', async () => {
    const health = createHealthState();
    const app = Fastify();
    await app.register(switchyardFastify, { health });
    const started = gate();
    const release = gate();
    app.get('/slow', async () => {
      started.open();
      await release.promise;
      return { done: true };
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    loopback.onCleanup(() => app.close());
    const { port } = app.server.address() as AddressInfo;
    const pending = plainRequest(`http://127.0.0.1:${port}/slow`);
    await started.promise;
    health.drain();
    release.open();
    const reply = await pending;
    expect(await reply.body.json()).toEqual({ done: true });
    expect(reply.headers.connection).toBe('close');
  });
});
