/**
 * A handler whose downstream call was cancelled by the downstream's side (a plain grpc-js server's
 * forceShutdown() reset the calls it still had), while the handler's own client still waits.
 * The handler passes the CancelledError on. It was answered 499 "client closed request" to a client
 * that had closed nothing, unlogged, its message naming the internal gRPC method
 * (`switchyard.echo.v1.Echo/Say: cancelled`); a Switchyard client took that 499 for its own
 * cancellation (not retried, not counted). It is a failure of this side now: 503 `service
 * unavailable`, logged at warn, as the HTTP server replies to any other downstream outage.
 */
import type { AddressInfo } from 'node:net';
import type { Logger } from '@switchyard/core';
import { createDiscovery } from '@switchyard/discovery';
import * as grpc from '@grpc/grpc-js';
import { createGrpcClient } from '@switchyard/grpc';
import { switchyardFastify } from '@switchyard/http';
import Fastify from 'fastify';
import { request as plainRequest } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Loopback } from './fixtures/loopback.js';
import { EchoService } from './fixtures/echo-service.js';

let loopback: Loopback;
beforeEach(() => {
  loopback = new Loopback();
});
afterEach(() => loopback.cleanup());

function recordingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const push = (level: string) => (_fields: unknown, message: string) => lines.push(`${level}: ${message}`);
  return {
    lines,
    logger: { debug: push('debug'), info: push('info'), warn: push('warn'), error: push('error') } as unknown as Logger,
  };
}

/**
 * A downstream echo service whose Say never answers, and a client of it: `cut()` resets the calls
 * it still has (the client gets CANCELLED). A plain grpc-js server's forceShutdown() does that; a
 * Switchyard server answers such calls UNAVAILABLE at the end of its grace instead.
 */
async function hangingDownstream() {
  const server = new grpc.Server();
  server.addService(EchoService, { Say: () => {} });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  loopback.onCleanup(() => server.forceShutdown());
  await loopback.registry.register({ id: 'd', service: 'echo-internal', host: '127.0.0.1', ports: { grpc: port } });
  const discovery = createDiscovery({ registry: loopback.registry, service: 'echo-internal' });
  loopback.onCleanup(() => discovery.close());
  await discovery.ready();
  const echo = createGrpcClient({ definition: EchoService, discovery }) as unknown as {
    say(request: object): Promise<unknown>;
    close(): Promise<void>;
  };
  loopback.onCleanup(() => echo.close());
  return { echo, cut: async () => server.forceShutdown() };
}

/** What the client of `url` gets while the downstream is cut under its request. */
async function replyWhileCut(url: string, cut: () => Promise<void>): Promise<{ status: number; body: string }> {
  const pending = plainRequest(url);
  await new Promise((resolve) => setTimeout(resolve, 200));
  await cut();
  const reply = await pending;
  return { status: reply.statusCode, body: await reply.body.text() };
}

const UNAVAILABLE_REPLY = {
  status: 503,
  body: JSON.stringify({ error: { code: 'UNAVAILABLE', message: 'service unavailable' } }),
};

describe('a downstream call cancelled by the downstream, passed on while the client waits', () => {
  it('httpHandler: 503 service unavailable, logged at warn (not 499 naming the gRPC method, unlogged)', async () => {
    const { echo, cut } = await hangingDownstream();
    const { logger, lines } = recordingLogger();
    const { port } = await loopback.serve(
      'a',
      async (_request, response) => {
        await echo.say({ message: 'x' });
        response.end('ok');
      },
      { server: { logger } },
    );
    // Before the fix: 499 {"error":{"code":"CANCELLED","message":"switchyard.echo.v1.Echo/Say: cancelled"}}, nothing logged.
    expect(await replyWhileCut(`http://127.0.0.1:${port}/`, cut)).toEqual(UNAVAILABLE_REPLY);
    expect(lines).toEqual(['warn: switchyard http: handler failed']);
  });

  it('switchyardFastify: the same', async () => {
    const { echo, cut } = await hangingDownstream();
    const { logger, lines } = recordingLogger();
    const app = Fastify();
    await app.register(switchyardFastify, { logger });
    app.get('/', async () => echo.say({ message: 'x' }));
    await app.listen({ port: 0, host: '127.0.0.1' });
    loopback.onCleanup(() => app.close());
    const { port } = app.server.address() as AddressInfo;
    // Before the fix: 499 {…"code":"CANCELLED",…"message":"switchyard.echo.v1.Echo/Say: cancelled"}, nothing logged.
    const reply = await replyWhileCut(`http://127.0.0.1:${port}/`, cut);
    expect({ status: reply.status, body: JSON.parse(reply.body) }).toMatchObject({
      status: 503,
      body: { code: 'UNAVAILABLE', message: 'service unavailable' },
    });
    expect(lines).toEqual(['warn: switchyard http: handler failed']);
  });
});
