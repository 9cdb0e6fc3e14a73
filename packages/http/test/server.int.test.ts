import type { AddressInfo } from 'node:net';
import { currentCallScope, type Logger, SwitchyardError } from '@switchyard/core';
import {
  createHealthState,
  type HttpClient,
  HttpCallError,
  NO_RETRY_HEADER,
  requestContext,
  switchyardFastify,
} from '@switchyard/http';
import express from 'express';
import Fastify, { type FastifyInstance } from 'fastify';
import { request as plainRequest } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { json, Loopback } from './fixtures/loopback.js';

let loopback: Loopback;
beforeEach(() => {
  loopback = new Loopback();
});
afterEach(() => loopback.cleanup());

const HOP_DELAY_MS = 50;
// A timer may fire up to a millisecond early by Date.now() (libuv starts it from the loop's cached
// time), and each hop's remaining budget is a whole number of milliseconds: 2 ms of slack.
const TIMER_SLACK_MS = 2;
const remainingOf = () => Math.round((currentCallScope()?.deadline ?? Number.NaN) - Date.now());

/** A Fastify app with the plugin, listening on loopback and registered as `id` of `service`. */
async function fastifyApp(
  id: string,
  service: string,
  routes: (app: FastifyInstance) => void,
  health = createHealthState(),
  logger?: Logger,
) {
  const app = Fastify();
  await app.register(switchyardFastify, { health, ...(logger ? { logger } : {}) });
  routes(app);
  await app.listen({ port: 0, host: '127.0.0.1' });
  loopback.onCleanup(() => app.close());
  const port = (app.server.address() as AddressInfo).port;
  await loopback.registry.register({ id, service, host: '127.0.0.1', ports: { http: port } });
  return { app, port, health };
}

describe('httpHandler (node:http)', () => {
  it('serves /healthz and /readyz, and /readyz turns 503 while draining', async () => {
    const { port, listener } = await loopback.serve('a', (_request, response) => json(response, 200, { ok: true }));
    const url = `http://127.0.0.1:${port}`;
    const get = async (path: string, method: 'GET' | 'HEAD' = 'GET') => {
      const reply = await plainRequest(`${url}${path}`, { method });
      return { status: reply.statusCode, text: await reply.body.text(), connection: reply.headers.connection };
    };
    expect(await get('/healthz')).toMatchObject({ status: 200, text: 'ok' });
    expect(await get('/readyz')).toMatchObject({ status: 200, text: 'ready' });
    expect(await get('/readyz', 'HEAD')).toMatchObject({ status: 200, text: '' });
    listener.health.setReady(false);
    expect(await get('/readyz')).toMatchObject({ status: 503, text: 'not ready' });
    listener.health.setReady(true);
    listener.health.drain();
    expect(await get('/readyz')).toMatchObject({ status: 503, text: 'draining' });
    expect(await get('/healthz')).toMatchObject({ status: 200 });
    // Still serving requests while draining, but asking clients to move off this connection.
    expect(await get('/anything')).toMatchObject({ status: 200, connection: 'close' });
  });

  it('maps thrown errors to statuses without leaking unknown messages, and answers 504 to a request with no time left', async () => {
    let ran = 0;
    const { port } = await loopback.serve('a', async (request) => {
      ran++;
      if (request.url === '/missing') throw new SwitchyardError('NOT_FOUND', 'no product sku-9');
      if (request.url === '/down') throw new SwitchyardError('UNAVAILABLE', 'cannot connect to http://10.0.3.7:8080');
      throw new Error('password=hunter2');
    });
    const url = `http://127.0.0.1:${port}`;
    const missing = await plainRequest(`${url}/missing`);
    expect(missing.statusCode).toBe(404);
    expect(await missing.body.json()).toEqual({ error: { code: 'NOT_FOUND', message: 'no product sku-9' } });
    const broken = await plainRequest(`${url}/broken`);
    expect(broken.statusCode).toBe(500);
    expect(await broken.body.text()).not.toContain('hunter2');
    // A 5xx Switchyard error keeps its code, not its message (it describes this side: addresses, bodies).
    const down = await plainRequest(`${url}/down`);
    expect(down.statusCode).toBe(503);
    expect(await down.body.json()).toEqual({ error: { code: 'UNAVAILABLE', message: 'service unavailable' } });
    const late = await plainRequest(`${url}/late`, { headers: { 'x-switchyard-deadline-ms': '0' } });
    expect(late.statusCode).toBe(504);
    expect(await late.body.json()).toMatchObject({ error: { code: 'DEADLINE_EXCEEDED' } });
    expect(ran).toBe(3);
  });

  it('drops the headers a failing handler set for the body it meant to send, and keeps the others', async () => {
    const { port } = await loopback.serve('a', async (_request, response) => {
      response.setHeader('content-encoding', 'gzip');
      response.setHeader('cache-control', 'public, max-age=3600');
      response.setHeader('etag', '"v1"');
      response.setHeader('x-request-id', 'req-7');
      throw new SwitchyardError('NOT_FOUND', 'no product sku-9');
    });
    const reply = await plainRequest(`http://127.0.0.1:${port}/p`);
    expect(reply.statusCode).toBe(404);
    // A JSON error labelled gzip could not be decoded; a cacheable 404 would be served for an hour.
    expect(reply.headers['content-encoding']).toBeUndefined();
    expect(reply.headers['cache-control']).toBeUndefined();
    expect(reply.headers.etag).toBeUndefined();
    expect(reply.headers['x-request-id']).toBe('req-7');
    expect(await reply.body.json()).toEqual({ error: { code: 'NOT_FOUND', message: 'no product sku-9' } });
  });

  it('shrinks the deadline header across two hops (A calls B through the client)', async () => {
    await loopback.serve('b1', (_request, response) => json(response, 200, { remainingAtB: remainingOf() }), {
      service: 'b',
    });
    const toB = await loopback.client('b');
    await loopback.serve(
      'a1',
      async (_request, response, context) => {
        const remainingAtA = Math.round(context.deadline - Date.now());
        await new Promise((resolve) => setTimeout(resolve, HOP_DELAY_MS));
        const fromB = await toB.getJson<{ remainingAtB: number }>('/');
        json(response, 200, { remainingAtA, ...fromB });
      },
      { service: 'a' },
    );
    const toA = await loopback.client('a');
    const reply = await toA.getJson<{ remainingAtA: number; remainingAtB: number }>('/', { deadlineMs: 1_000 });
    expect(reply.remainingAtA).toBeLessThanOrEqual(1_000);
    expect(reply.remainingAtA).toBeGreaterThan(900);
    expect(reply.remainingAtB).toBeLessThanOrEqual(reply.remainingAtA - HOP_DELAY_MS + TIMER_SLACK_MS);
    expect(reply.remainingAtB).toBeGreaterThan(0);
  });

  it('retries at one layer: a hop whose own calls ran out of retries answers 503 with x-switchyard-no-retry, and its caller does not retry it', async () => {
    const b = await loopback.serveOverloaded('b');
    const toB = await loopback.client('b');
    let aHits = 0;
    await loopback.serve(
      'a1',
      async (_request, response) => {
        aHits++;
        json(response, 200, await toB.getJson('/'));
      },
      { service: 'a' },
    );
    const toA = await loopback.client('a');
    const failure = await toA.getJson('/', { deadlineMs: 5_000 }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(HttpCallError);
    expect((failure as HttpCallError).status).toBe(503);
    expect((failure as HttpCallError).headers[NO_RETRY_HEADER]).toBe('1');
    expect((failure as HttpCallError).retryable).toBe(false);
    // B was tried by A's client (3 attempts by default); A itself was not retried by its caller:
    // without the header the caller would have sent A three requests, and B would have seen nine.
    expect(aHits).toBe(1);
    expect(b.hits).toBe(3);
  });

  it("forwards the caller's trace headers unchanged when no tracer is registered", async () => {
    await loopback.serve(
      'b1',
      (request, response) =>
        json(response, 200, { traceparent: request.headers.traceparent, baggage: request.headers.baggage }),
      {
        service: 'b',
      },
    );
    const toB = await loopback.client('b');
    const { port } = await loopback.serve(
      'a1',
      async (_request, response) => json(response, 200, await toB.getJson('/')),
      {
        service: 'a',
      },
    );
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const reply = await plainRequest(`http://127.0.0.1:${port}/`, {
      headers: { traceparent, baggage: 'switchyard.track=canary' },
    });
    expect(await reply.body.json()).toEqual({ traceparent, baggage: 'switchyard.track=canary' });
  });

  it('ignores a baggage track it cannot percent-decode, instead of crashing on it', async () => {
    const { port } = await loopback.serve('a', (_request, response) =>
      json(response, 200, { track: currentCallScope()?.track ?? null }),
    );
    for (const baggage of ['switchyard.track=%', 'switchyard.track=%zz', 'other=1,switchyard.track=%E0%A4%A']) {
      const reply = await plainRequest(`http://127.0.0.1:${port}/`, { headers: { baggage } });
      expect(reply.statusCode).toBe(200);
      expect(await reply.body.json()).toEqual({ track: null });
    }
  });

  it('gives handlers a signal that aborts when the client goes away', async () => {
    let aborted: unknown;
    const { port } = await loopback.serve('a', async (request, response) => {
      const { signal } = requestContext(request) ?? {};
      await new Promise((resolve) => signal?.addEventListener('abort', resolve));
      aborted = signal?.reason;
      response.end();
    });
    const controller = new AbortController();
    const pending = plainRequest(`http://127.0.0.1:${port}/`, { signal: controller.signal }).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 50));
    controller.abort();
    await pending;
    await expect.poll(() => (aborted as { code?: string })?.code).toBe('CANCELLED');
  });
});

describe('httpHandler around an Express app', () => {
  it('serves its routes with the request context, and answers unmatched routes and next(error) itself', async () => {
    const app = express();
    app.get('/products/:id', (request, response) => {
      response.json({ id: request.params.id, hasDeadline: requestContext(request)?.deadline !== undefined });
    });
    app.get('/broken', (_request, _response, next) => next(new SwitchyardError('INVALID_ARGUMENT', 'id: bad')));
    app.get('/crash', () => {
      throw new Error('secret internals');
    });
    const { port } = await loopback.serve('e1', app, { service: 'express' });
    const get = async (path: string) => {
      const reply = await plainRequest(`http://127.0.0.1:${port}${path}`);
      return { status: reply.statusCode, body: (await reply.body.json()) as Record<string, unknown> };
    };
    expect(await get('/products/sku-1')).toEqual({ status: 200, body: { id: 'sku-1', hasDeadline: true } });
    // Before: Express called the context object as its final handler, an uncaught TypeError.
    expect(await get('/nowhere?x=1')).toEqual({
      status: 404,
      body: { error: { code: 'NOT_FOUND', message: 'no route for GET /nowhere' } },
    });
    expect(await get('/broken')).toEqual({
      status: 400,
      body: { error: { code: 'INVALID_ARGUMENT', message: 'id: bad' } },
    });
    expect(await get('/crash')).toEqual({
      status: 500,
      body: { error: { code: 'INTERNAL', message: 'internal error' } },
    });
  });
});

describe('switchyardFastify', () => {
  it('serves the probes, turns /readyz 503 while draining, maps Switchyard errors, and refuses late requests', async () => {
    const { port, health } = await fastifyApp('f1', 'f', (app) => {
      app.get('/products/:id', async (request) => {
        const { id } = request.params as { id: string };
        if (id === 'nope') throw new SwitchyardError('NOT_FOUND', `no product ${id}`);
        return { id };
      });
    });
    const url = `http://127.0.0.1:${port}`;
    const status = async (path: string, headers: Record<string, string> = {}) =>
      (await plainRequest(`${url}${path}`, { headers })).statusCode;
    expect(await status('/healthz')).toBe(200);
    expect(await status('/readyz')).toBe(200);
    expect(await status('/products/sku-1')).toBe(200);
    const missing = await plainRequest(`${url}/products/nope`);
    expect(missing.statusCode).toBe(404);
    expect(await missing.body.json()).toMatchObject({ code: 'NOT_FOUND', message: 'no product nope' });
    expect(await status('/products/sku-1', { 'x-switchyard-deadline-ms': '0' })).toBe(504);
    health.drain();
    expect(await status('/readyz')).toBe(503);
    expect(await status('/healthz')).toBe(200);
  });

  it("replies to a route's 5xx failures without their messages, which it logs, and keeps 4xx ones whole", async () => {
    const logged: unknown[] = [];
    const logger = {
      debug() {},
      info() {},
      warn: (fields: unknown) => void logged.push((fields as { err?: unknown }).err),
      error: (fields: unknown) => void logged.push((fields as { err?: unknown }).err),
    };
    const { port } = await fastifyApp(
      'f2',
      'f',
      (app) => {
        app.get('/down', async () => {
          throw new SwitchyardError('UNAVAILABLE', 'cannot connect to http://10.0.3.7:8080');
        });
        app.get('/broken', async () => {
          throw new Error('password=hunter2');
        });
        app.get('/missing', async () => {
          throw new SwitchyardError('NOT_FOUND', 'no product sku-9');
        });
        app.get('/teapot', async () => {
          throw Object.assign(new Error('short and stout'), { statusCode: 418 });
        });
        // A hook's plain error: it reached Fastify's own handler with its message.
        app.get(
          '/hooked',
          {
            preHandler: async () => {
              throw new Error('secret db at 10.0.0.5');
            },
          },
          async () => ({ ok: true }),
        );
      },
      createHealthState(),
      logger,
    );
    const url = `http://127.0.0.1:${port}`;
    const down = await plainRequest(`${url}/down`);
    expect(down.statusCode).toBe(503);
    const downBody = await down.body.text();
    expect(JSON.parse(downBody)).toMatchObject({ code: 'UNAVAILABLE', message: 'service unavailable' });
    expect(downBody).not.toContain('10.0.3.7');
    const broken = await plainRequest(`${url}/broken`);
    expect(broken.statusCode).toBe(500);
    const brokenBody = await broken.body.text();
    expect(JSON.parse(brokenBody)).toMatchObject({ code: 'INTERNAL', message: 'internal error' });
    expect(brokenBody).not.toContain('hunter2');
    expect(logged.map((error) => (error as Error).message)).toEqual([
      'cannot connect to http://10.0.3.7:8080',
      'password=hunter2',
    ]);
    const missing = await plainRequest(`${url}/missing`);
    expect(missing.statusCode).toBe(404);
    expect(await missing.body.json()).toMatchObject({ code: 'NOT_FOUND', message: 'no product sku-9' });
    const teapot = await plainRequest(`${url}/teapot`);
    expect(teapot.statusCode).toBe(418);
    expect(await teapot.body.json()).toMatchObject({ message: 'short and stout' });
    const hooked = await plainRequest(`${url}/hooked`);
    expect(hooked.statusCode).toBe(500);
    const hookedBody = await hooked.body.text();
    expect(JSON.parse(hookedBody)).toMatchObject({ code: 'INTERNAL', message: 'internal error' });
    expect(hookedBody).not.toContain('10.0.0.5');
    expect((logged.at(-1) as Error).message).toBe('secret db at 10.0.0.5');
  });

  it('marks a route failing after its own retries with x-switchyard-no-retry, so its caller does not retry it', async () => {
    const b = await loopback.serveOverloaded('b');
    const toB = await loopback.client('b');
    let aHits = 0;
    await fastifyApp('a1', 'a', (app) => {
      app.get('/', async () => {
        aHits++;
        return toB.getJson('/');
      });
    });
    const toA = await loopback.client('a');
    const failure = await toA.getJson('/', { deadlineMs: 5_000 }).catch((error: unknown) => error);
    expect((failure as HttpCallError).status).toBe(503);
    expect((failure as HttpCallError).headers[NO_RETRY_HEADER]).toBe('1');
    expect(aHits).toBe(1);
    expect(b.hits).toBe(3);
  });

  it('hands the deadline to outgoing calls made by a route (two hops, deadline shrinks)', async () => {
    await fastifyApp('b1', 'b', (app) => {
      app.post('/echo', async (request) => ({ remainingAtB: remainingOf(), body: request.body }));
    });
    let toB: HttpClient | undefined;
    await fastifyApp('a1', 'a', (app) => {
      app.post('/relay', async (request) => {
        const remainingAtA = remainingOf();
        await new Promise((resolve) => setTimeout(resolve, HOP_DELAY_MS));
        const fromB = await toB?.postJson<{ remainingAtB: number; body: unknown }>('/echo', request.body);
        return { remainingAtA, ...fromB };
      });
    });
    toB = await loopback.client('b');
    const toA = await loopback.client('a');
    const reply = await toA.postJson<{ remainingAtA: number; remainingAtB: number; body: unknown }>(
      '/relay',
      { sku: 'sku-1' },
      { deadlineMs: 1_000 },
    );
    expect(reply.body).toEqual({ sku: 'sku-1' });
    expect(reply.remainingAtA).toBeLessThanOrEqual(1_000);
    expect(reply.remainingAtA).toBeGreaterThan(900);
    expect(reply.remainingAtB).toBeLessThanOrEqual(reply.remainingAtA - HOP_DELAY_MS + TIMER_SLACK_MS);
  });
});
