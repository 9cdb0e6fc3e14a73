import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { SwitchyardError } from '@switchyard/core';
import { NO_RETRY_HEADER, switchyardFastify } from '@switchyard/http';
import Fastify from 'fastify';
import { request as plainRequest } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { json, Loopback } from './fixtures/loopback.js';

let loopback: Loopback;
beforeEach(() => {
  loopback = new Loopback();
});
afterEach(() => loopback.cleanup());

const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

describe('switchyardFastify and the application hooks', () => {
  it("hands the caller's deadline and trace to calls made in onRequest, preValidation and preHandler hooks, with or without a body", async () => {
    // B, an "auth service", echoes what its caller sent it.
    await loopback.serve(
      'b1',
      (request, response) =>
        json(response, 200, {
          deadlineMs: Number(request.headers['x-switchyard-deadline-ms']),
          traceparent: request.headers.traceparent ?? null,
        }),
      { service: 'b' },
    );
    const toB = await loopback.client('b');
    const seen: { hook: string; method: string; deadlineMs: number; traceparent: string | null }[] = [];
    const app = Fastify();
    await app.register(switchyardFastify, {});
    for (const hook of ['onRequest', 'preValidation', 'preHandler'] as const) {
      app.addHook(hook, async (request) => {
        const echoed = await toB.getJson<{ deadlineMs: number; traceparent: string | null }>('/');
        seen.push({ hook, method: request.method, ...echoed });
      });
    }
    app.get('/x', async () => ({}));
    app.post('/x', async () => ({}));
    await app.listen({ port: 0, host: '127.0.0.1' });
    loopback.onCleanup(() => app.close());
    const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/x`;
    const headers = { 'x-switchyard-deadline-ms': '1000', traceparent: TRACEPARENT };
    const get = await plainRequest(url, { headers });
    expect(get.statusCode).toBe(200);
    await get.body.dump();
    // A body that arrives after the headers: read from later socket events, outside any scope.
    const body = Readable.from(
      (async function* () {
        yield '{"sku":';
        await new Promise((resolve) => setTimeout(resolve, 20));
        yield '"sku-1"}';
      })(),
    );
    const post = await plainRequest(url, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body,
    });
    expect(post.statusCode).toBe(200);
    await post.body.dump();
    expect(seen.map(({ hook, method }) => `${method} ${hook}`)).toEqual([
      'GET onRequest',
      'GET preValidation',
      'GET preHandler',
      'POST onRequest',
      'POST preValidation',
      'POST preHandler',
    ]);
    for (const call of seen) {
      // Without the scope, the hook's call went out with the client's default 10 s and a new trace.
      expect(call.deadlineMs, `${call.method} ${call.hook}`).toBeLessThanOrEqual(1_000);
      expect(call.traceparent, `${call.method} ${call.hook}`).toBe(TRACEPARENT);
    }
  });

  it('replies to a Switchyard error thrown by a hook as to one thrown by the route: its status, 5xx messages masked', async () => {
    const logged: unknown[] = [];
    const logger = {
      debug() {},
      info() {},
      warn: (f: unknown) => void logged.push((f as { err?: unknown }).err),
      error: (f: unknown) => void logged.push((f as { err?: unknown }).err),
    };
    const b = await loopback.serveOverloaded('b');
    const toB = await loopback.client('b');
    const app = Fastify();
    await app.register(switchyardFastify, { logger });
    app.addHook('preHandler', async (request) => {
      const { user } = request.query as { user?: string };
      if (user === 'nobody') throw new SwitchyardError('UNAUTHENTICATED', 'who are you?');
      if (user === 'down') throw new SwitchyardError('UNAVAILABLE', 'cannot connect to http://10.0.3.7:8080');
      if (user === 'overloaded') await toB.getJson('/'); // the "auth service" runs out of retries
      if (user === 'plain') throw Object.assign(new Error('teapot'), { statusCode: 418 });
    });
    app.get('/x', async () => ({ ok: true }));
    app.get(
      '/own',
      { errorHandler: (error, _request, reply) => reply.code(599).send({ own: (error as Error).message }) },
      async () => ({}),
    );
    await app.listen({ port: 0, host: '127.0.0.1' });
    loopback.onCleanup(() => app.close());
    const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const get = async (path: string) => {
      const reply = await plainRequest(`${base}${path}`);
      return { status: reply.statusCode, noRetry: reply.headers[NO_RETRY_HEADER], body: await reply.body.text() };
    };
    expect(await get('/x?user=ok')).toMatchObject({ status: 200 });
    const nobody = await get('/x?user=nobody');
    expect(nobody.status).toBe(401);
    expect(JSON.parse(nobody.body)).toMatchObject({ code: 'UNAUTHENTICATED', message: 'who are you?' });
    const down = await get('/x?user=down');
    expect(down.status).toBe(503);
    expect(JSON.parse(down.body)).toMatchObject({ code: 'UNAVAILABLE', message: 'service unavailable' });
    expect(down.body).not.toContain('10.0.3.7');
    const overloaded = await get('/x?user=overloaded');
    expect(overloaded).toMatchObject({ status: 503, noRetry: '1' });
    expect(b.hits).toBe(3);
    expect(await get('/x?user=plain')).toMatchObject({ status: 418 }); // not a Switchyard error: as it was
    // A route's own error handler gets the mapped error.
    expect(await get('/own?user=down')).toMatchObject({ status: 599, body: '{"own":"service unavailable"}' });
    expect(logged.map((error) => (error as Error).message)).toContain('cannot connect to http://10.0.3.7:8080');
  });
});
