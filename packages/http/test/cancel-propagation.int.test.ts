/**
 * A handler's downstream calls stop when its client leaves: the call scope carries the request's
 * signal, and the client links the requests made under it, as it takes its deadline. They ran on,
 * unread, until their own deadline.
 */
import { request as httpRequest } from 'node:http';
import { requestContext } from '@switchyard/http';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { json, Loopback } from './fixtures/loopback.js';

let loopback: Loopback;
beforeEach(() => {
  loopback = new Loopback();
});
afterEach(() => loopback.cleanup());

it("cancels a handler's downstream request when its own client goes away", async () => {
  let downstream: 'waiting' | 'cancelled' | 'ran on' | undefined;
  // The downstream: holds each request until its client leaves, or 5 s.
  await loopback.serve(
    'back-1',
    async (request, response) => {
      downstream = 'waiting';
      const signal = requestContext(request)?.signal;
      downstream = await new Promise((resolve) => {
        const timer = setTimeout(() => resolve('ran on'), 5_000);
        signal?.addEventListener('abort', () => {
          clearTimeout(timer);
          resolve('cancelled');
        });
      });
      if (!response.writableEnded && !response.destroyed) json(response, 200, { ok: true });
    },
    { service: 'back' },
  );
  const back = await loopback.client('back');
  // The front: calls the downstream with no signal of its own, under the call scope.
  const { port } = await loopback.serve(
    'front-1',
    async (_request, response) => {
      json(response, 200, await back.getJson('/slow'));
    },
    { service: 'front' },
  );
  const outgoing = httpRequest({ host: '127.0.0.1', port, path: '/', method: 'GET' });
  outgoing.on('error', () => {});
  outgoing.end();
  await expect.poll(() => downstream, { timeout: 3_000 }).toBe('waiting');
  outgoing.destroy();
  await expect.poll(() => downstream, { timeout: 2_000 }).toBe('cancelled');
});
