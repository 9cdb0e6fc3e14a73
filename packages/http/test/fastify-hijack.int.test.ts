/**
 * switchyardFastify around a route that takes the response over (`reply.hijack()`, then writes
 * `reply.raw` itself, as for a server-sent stream or a proxied response) and then fails. Fastify
 * leaves a hijacked reply alone, so the request hung until the client gave up, its SERVER span,
 * in-flight count and deadline timer open all that time: the plugin now answers it as httpHandler
 * answers a node:http handler that fails (an error reply before the headers went out, the
 * connection cut after), logged once.
 */
import type { AddressInfo } from 'node:net';
import { type Logger, SwitchyardError } from '@switchyard/core';
import { switchyardFastify } from '@switchyard/http';
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

async function start(logger: Logger): Promise<string> {
  // forceCloseConnections: a hung request must not keep app.close() waiting.
  const app = Fastify({ forceCloseConnections: true });
  await app.register(switchyardFastify, { logger });
  app.get('/async', async (_request, reply) => {
    reply.hijack();
    throw new SwitchyardError('NOT_FOUND', 'no such stream');
  });
  app.get('/sync', (_request, reply) => {
    reply.hijack();
    throw new Error('boom with internals');
  });
  app.get('/started', async (_request, reply) => {
    reply.hijack();
    reply.raw.writeHead(200, { 'content-type': 'text/plain' });
    reply.raw.write('partial');
    await new Promise((resolve) => setTimeout(resolve, 20));
    throw new Error('the source broke');
  });
  app.get('/fine', async (_request, reply) => {
    reply.hijack();
    reply.raw.end('raw');
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  cleanups.push(() => app.close());
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}

describe('switchyardFastify: a hijacked reply whose route fails', () => {
  it('replies with the error as httpHandler would, instead of leaving the request hanging', async () => {
    const { logger, logged } = recordingLogger();
    const url = await start(logger);

    // Before: each of these hung until the client's own timeout (TimeoutError after 2 s).
    const notFound = await plainRequest(`${url}/async`, { signal: AbortSignal.timeout(2_000) });
    expect(notFound.statusCode).toBe(404);
    expect(await notFound.body.json()).toEqual({ error: { code: 'NOT_FOUND', message: 'no such stream' } });

    const internal = await plainRequest(`${url}/sync`, { signal: AbortSignal.timeout(2_000) });
    expect(internal.statusCode).toBe(500);
    expect(await internal.body.json()).toEqual({ error: { code: 'INTERNAL', message: 'internal error' } });
    expect(logged).toEqual(['error: Error: boom with internals']);

    const fine = await plainRequest(`${url}/fine`, { signal: AbortSignal.timeout(2_000) });
    expect(await fine.body.text()).toBe('raw');
  });

  it('cuts the connection of a hijacked response that had started, so the client sees a failure, not a short body', async () => {
    const { logger, logged } = recordingLogger();
    const url = await start(logger);
    const started = await plainRequest(`${url}/started`, { signal: AbortSignal.timeout(2_000) });
    expect(started.statusCode).toBe(200);
    // Before: the body never ended, and the read failed with the client's TimeoutError.
    const failure = await started.body.text().then(
      () => 'ended',
      (error: Error) => error.name,
    );
    expect(failure).toBe('SocketError');
    expect(logged).toEqual(['error: Error: the source broke']);
  });
});
