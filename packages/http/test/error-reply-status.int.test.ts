/**
 * httpHandler's error replies: the status of errors that carry their own 4xx (an Express app's
 * body-parser), and a failure after the response started, which is the server's, not the client's.
 */
import type { Logger } from '@switchyard/core';
import { request as plainRequest } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Loopback } from './fixtures/loopback.js';

let loopback: Loopback;
beforeEach(() => {
  loopback = new Loopback();
});
afterEach(() => loopback.cleanup());

function recordingLogger(): { logger: Logger; logged: string[] } {
  const logged: string[] = [];
  const push = (level: string) => (fields: { err?: unknown }) => logged.push(`${level}: ${String(fields?.err)}`);
  return {
    logged,
    logger: { debug: push('debug'), info: push('info'), warn: push('warn'), error: push('error') } as unknown as Logger,
  };
}

describe('httpHandler around an Express app: errors its own middleware raises with a status', () => {
  it('replies 400 to a malformed JSON body and 413 to one over the limit, as Express does, and logs neither as a failure', async () => {
    const express = (await import('express')).default;
    const app = express();
    app.use(express.json({ limit: '1kb' }));
    app.post('/orders', (request, response) => {
      response.json({ received: request.body });
    });
    const { logger, logged } = recordingLogger();
    const { port } = await loopback.serve('e', app, { service: 'express', server: { logger } });
    const post = async (body: string) => {
      const reply = await plainRequest(`http://127.0.0.1:${port}/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      return {
        status: reply.statusCode,
        body: (await reply.body.json()) as { error?: { code: string; message: string } },
      };
    };
    expect((await post('{"sku":"a"}')).status).toBe(200);
    // Before the fix: 500 {"error":{"code":"INTERNAL","message":"internal error"}} for both, logged at error.
    const malformed = await post('{"sku":');
    expect(malformed.status).toBe(400);
    // body-parser marks its errors `expose: true`: the reply says what was wrong with the body.
    expect(malformed.body.error?.code).toBe('INVALID_ARGUMENT');
    expect(malformed.body.error?.message).toMatch(/JSON/);
    const oversized = await post(JSON.stringify({ sku: 'x'.repeat(5_000) }));
    expect(oversized).toEqual({
      status: 413,
      body: { error: { code: 'INVALID_ARGUMENT', message: 'request entity too large' } },
    });
    expect(logged.filter((line) => !line.startsWith('debug:'))).toEqual([]);
  });

  it("replies with the status's reason phrase, not the message, for a 4xx error that does not say it may be exposed", async () => {
    const { port } = await loopback.serve('a', async () => {
      throw Object.assign(new Error('tenant 42 is over quota in shard eu-3'), { statusCode: 429 });
    });
    const reply = await plainRequest(`http://127.0.0.1:${port}/orders`);
    // Before the fix: 500 {"error":{"code":"INTERNAL","message":"internal error"}}.
    expect({ status: reply.statusCode, body: await reply.body.json() }).toEqual({
      status: 429,
      body: { error: { code: 'RESOURCE_EXHAUSTED', message: 'too many requests' } },
    });
  });
});

describe('a handler that fails after its response started', () => {
  it("cuts the response without reporting the handler's error on the server's 'clientError'", async () => {
    const clientErrors: string[] = [];
    const { port, server } = await loopback.serve('a', async (_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.write('first rows…');
      throw new Error('SELECT * FROM customers failed: password authentication failed for user "app"');
    });
    server.on('clientError', (error: Error, socket) => {
      clientErrors.push(error.message);
      socket.destroy();
    });
    const outcome = await plainRequest(`http://127.0.0.1:${port}/report`)
      .then((reply) => reply.body.text())
      .catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 50));
    // The client sees a broken response, not a short body that looks whole.
    expect(outcome).toBeInstanceOf(Error);
    // Before the fix: [ 'SELECT * FROM customers failed: …' ], as if the client had sent a malformed request.
    expect(clientErrors).toEqual([]);
  });
});
