/**
 * A 4xx error that carries its own headers (http-errors' `headers`: a 429's Retry-After) is answered
 * with them, as Express's final handler sends them: httpHandler dropped them, so a Switchyard
 * client got a 429 without the pushback its retry policy waits by.
 */
import { createServer } from 'node:http';
import { httpHandler } from '@switchyard/http';
import express from 'express';
import { request as plainRequest } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeServer, listen, Loopback } from './fixtures/loopback.js';

let loopback: Loopback;
beforeEach(() => {
  loopback = new Loopback();
});
afterEach(() => loopback.cleanup());

describe("an error that carries its own 4xx status and headers (http-errors' `headers`)", () => {
  // http-errors lets an error carry response headers (`createError(429, { headers: { 'Retry-After':
  // '7' } })`, a 405's Allow, a 401's WWW-Authenticate), and Express's final handler — which
  // httpHandler replaces, reading the status "as Express's final handler reads it" — sends them, as
  // Fastify does for errors it is handed. writeErrorReply (error-reply.ts) takes the status and
  // message but drops `error.headers`: the 429 reaches a Switchyard client without Retry-After, so
  // its retry policy gets no pushback (HttpCallError.retryAfterMs undefined).
  const tooMany = () =>
    Object.assign(new Error('slow down'), {
      status: 429,
      statusCode: 429,
      expose: true,
      headers: { 'retry-after': '7' },
    });

  it('are sent with the error reply, by a plain handler and by an Express app, as Express alone sends them', async () => {
    const app = express();
    app.get('/orders', (_request, _response, next) => next(tooMany()));
    const servers = {
      'express alone': createServer(app),
      'httpHandler(express app)': createServer(httpHandler(app)),
      'httpHandler(plain handler)': createServer(
        httpHandler(() => {
          throw tooMany();
        }),
      ),
    };
    const seen: Record<string, unknown> = {};
    for (const [name, server] of Object.entries(servers)) {
      const port = await listen(server);
      loopback.onCleanup(() => closeServer(server));
      const reply = await plainRequest(`http://127.0.0.1:${port}/orders`);
      await reply.body.dump();
      seen[name] = [reply.statusCode, reply.headers['retry-after']];
    }
    expect(seen).toEqual({
      'express alone': [429, '7'],
      'httpHandler(express app)': [429, '7'],
      'httpHandler(plain handler)': [429, '7'],
    });
  });
});
