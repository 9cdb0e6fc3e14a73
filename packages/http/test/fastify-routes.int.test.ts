/**
 * switchyardFastify around routes that return the reply itself (`return reply.send(…)`, Fastify's
 * documented style for handlers that are not async): the reply is handed to Fastify untouched; and
 * around requests that match no route, which the application's root error handler answers.
 */
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { type Logger, SwitchyardError } from '@switchyard/core';
import { codeToHttpStatus, createHealthState, publicErrorMessage, switchyardFastify } from '@switchyard/http';
import Fastify from 'fastify';
import { request as plainRequest } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function recordingLogger(): { logger: Logger; logged: string[] } {
  const logged: string[] = [];
  const push = (level: string) => (fields: { err?: unknown }) => logged.push(`${level}: ${String(fields?.err)}`);
  return { logged, logger: { debug() {}, info() {}, warn: push('warn'), error: push('error') } as unknown as Logger };
}

async function start(app: ReturnType<typeof Fastify>): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  cleanups.push(() => app.close());
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}

describe('switchyardFastify: routes that return the reply', () => {
  it('streams the body of a plain handler that returns reply.send(stream), throwing nothing out of the event loop', async () => {
    const uncaught: string[] = [];
    const onUncaught = (error: unknown) => uncaught.push(String(error));
    process.prependListener('uncaughtException', onUncaught);
    cleanups.push(async () => {
      process.removeListener('uncaughtException', onUncaught);
    });
    const app = Fastify();
    await app.register(switchyardFastify);
    app.get('/export', (_request, reply) => reply.type('text/csv').send(Readable.from(['a,b\n', '1,2\n'])));
    const url = await start(app);

    const reply = await plainRequest(`${url}/export`);
    expect(reply.statusCode).toBe(200);
    expect(await reply.body.text()).toBe('a,b\n1,2\n');
    await new Promise((resolve) => setTimeout(resolve, 100));
    // Before the fix: 'TypeError: fulfilled is not a function' from Reply.then, uncaught (the process exits).
    expect(uncaught).toEqual([]);
  });

  it('logs nothing for a plain handler that returns reply.send(payload)', async () => {
    const { logger, logged } = recordingLogger();
    const app = Fastify();
    await app.register(switchyardFastify, { logger });
    app.get('/products/:id', (request, reply) => reply.send({ id: (request.params as { id: string }).id }));
    const url = await start(app);

    for (let i = 0; i < 3; i++) {
      const reply = await plainRequest(`${url}/products/sku-${i}`);
      expect(reply.statusCode).toBe(200);
      expect(await reply.body.json()).toEqual({ id: `sku-${i}` });
    }
    // Before the fix: 'error: TypeError: fulfilled is not a function' logged once per request.
    expect(logged).toEqual([]);
  });
});

describe('switchyardFastify: a request that matches no route', () => {
  it("is answered by the application's root error handler, which the README's recipe makes map Switchyard errors", async () => {
    const app = Fastify();
    await app.register(switchyardFastify);
    // The README's recipe, as written there.
    app.setErrorHandler((error, _request, reply) => {
      if (!SwitchyardError.isInstance(error)) return reply.send(error); // Fastify's own handling
      const status = codeToHttpStatus(error);
      const message = status < 500 ? error.message : publicErrorMessage(status);
      return reply.code(status).send({ error: { code: error.code, message } });
    });
    app.addHook('onRequest', async (request) => {
      if (request.headers.authorization === undefined) throw new SwitchyardError('UNAUTHENTICATED', 'no token');
    });
    app.get('/known', async () => ({ ok: true }));
    const url = await start(app);

    for (const path of ['/known', '/unknown']) {
      const reply = await plainRequest(`${url}${path}`);
      expect({ path, status: reply.statusCode, body: await reply.body.json() }).toEqual({
        path,
        status: 401,
        body: { error: { code: 'UNAUTHENTICATED', message: 'no token' } },
      });
    }
    const authorized = await plainRequest(`${url}/unknown`, { headers: { authorization: 'Bearer t' } });
    expect(authorized.statusCode).toBe(404);
    await authorized.body.dump();
  });
});

describe('switchyardFastify: probes', () => {
  // Before: the application's own onRequest hooks ran for the probe routes too, so an app-wide auth
  // hook answered kubelet's /healthz and /readyz 401, and the pod never became ready.
  it("are answered before the application's own hooks: an app-wide auth hook does not refuse them", async () => {
    const health = createHealthState();
    const app = Fastify();
    await app.register(switchyardFastify, { health });
    let hookRan = 0;
    app.addHook('onRequest', async (request, reply) => {
      hookRan += 1;
      if (request.headers.authorization === undefined) return reply.code(401).send('no token');
    });
    app.get('/orders', async () => ({ ok: true }));
    const url = await start(app);

    const probes = async () =>
      Promise.all(
        ['/healthz', '/readyz'].map(async (path) => {
          const reply = await plainRequest(`${url}${path}`);
          return [path, reply.statusCode, await reply.body.text()];
        }),
      );
    expect(await probes()).toEqual([
      ['/healthz', 200, 'ok'],
      ['/readyz', 200, 'ready'],
    ]);
    const head = await plainRequest(`${url}/readyz`, { method: 'HEAD' });
    expect(head.statusCode).toBe(200);
    await head.body.dump();
    health.drain();
    expect(await probes()).toEqual([
      ['/healthz', 200, 'ok'],
      ['/readyz', 503, 'draining'],
    ]);
    expect(hookRan).toBe(0);
    const refused = await plainRequest(`${url}/orders`);
    expect(refused.statusCode).toBe(401);
    await refused.body.dump();
    expect(hookRan).toBe(1);
  });

  // Before: the probe routes were GET only, and HEAD reached them through Fastify's automatic HEAD
  // routes; an application made with `exposeHeadRoutes: false` answered HEAD /healthz and /readyz
  // 404 (or whatever its auth hook said), while httpHandler answers both methods.
  it('answer HEAD too when the application turned off automatic HEAD routes (exposeHeadRoutes: false)', async () => {
    const health = createHealthState();
    const app = Fastify({ exposeHeadRoutes: false });
    await app.register(switchyardFastify, { health });
    app.addHook('onRequest', async (request, reply) => {
      if (request.headers.authorization === undefined) return reply.code(401).send('no token');
    });
    const url = await start(app);

    const head = async (path: string) => {
      const reply = await plainRequest(`${url}${path}`, { method: 'HEAD' });
      await reply.body.dump();
      return [path, reply.statusCode, reply.headers['cache-control']];
    };
    expect([await head('/healthz'), await head('/readyz')]).toEqual([
      ['/healthz', 200, 'no-store'],
      ['/readyz', 200, 'no-store'],
    ]);
    health.drain();
    expect(await head('/readyz')).toEqual(['/readyz', 503, 'no-store']);
  });
});
