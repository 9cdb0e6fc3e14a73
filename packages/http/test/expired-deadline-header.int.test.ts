/**
 * A request whose deadline header is negative: its caller's deadline had passed already (a client
 * that sends `deadline - now` without clamping it at 0, or a proxy that took its own time off the
 * budget). It was read as garbage, "no deadline", so the handler ran unbounded (and its outgoing
 * calls got the client's default 10 s) for a caller that had given up. It is answered 504 at once,
 * as `0` is, by httpHandler and the Fastify plugin alike; garbage still carries no deadline.
 */
import type { AddressInfo } from 'node:net';
import type { Logger } from '@switchyard/core';
import { requestContext, switchyardFastify } from '@switchyard/http';
import Fastify from 'fastify';
import { request as plainRequest } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { json, Loopback } from './fixtures/loopback.js';

let loopback: Loopback;
beforeEach(() => {
  loopback = new Loopback();
});
afterEach(() => loopback.cleanup());

const EXPIRED = ['-5', '-1500', '-0', '0', '-86400001', '5, -5'];
const NO_DEADLINE = ['soon', '1e3', '1.5', '--5', '-'];

async function answers(url: string, header: string): Promise<{ status: number; body: unknown }> {
  const reply = await plainRequest(url, { headers: { 'x-switchyard-deadline-ms': header } });
  return { status: reply.statusCode, body: await reply.body.json() };
}

describe('a deadline header that says the deadline passed', () => {
  it('is answered 504 at once by httpHandler, the handler never running; garbage carries no deadline', async () => {
    const ran: string[] = [];
    const { port } = await loopback.serve('a', (request, response, context) => {
      ran.push(String(request.headers['x-switchyard-deadline-ms']));
      json(response, 200, { deadline: Number.isFinite(context.deadline) ? 'finite' : 'none' });
    });
    // Before: 200 { deadline: 'none' } for every negative value, the handler run without a deadline.
    await expectExpiredRefused(`http://127.0.0.1:${port}/work`, ran);
  });

  it('is answered the same by the Fastify plugin', async () => {
    const ran: string[] = [];
    const app = Fastify();
    await app.register(switchyardFastify);
    app.get('/work', async (request) => {
      ran.push(String(request.headers['x-switchyard-deadline-ms']));
      const deadline = requestContext(request)?.deadline ?? Number.NaN;
      return { deadline: Number.isFinite(deadline) ? 'finite' : 'none' };
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    loopback.onCleanup(() => app.close());
    await expectExpiredRefused(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}/work`, ran);
  });

  it('is not logged as a handler failure: the handler never ran (debug only, by either server)', async () => {
    // Under the overload that makes callers' budgets run out in queues, a warn per such request
    // ("handler failed", from httpHandler alone) flooded the log for handlers that never ran.
    const logged: string[] = [];
    const push = (level: string) => (_fields: unknown, message: string) => logged.push(`${level}: ${message}`);
    const logger = {
      debug: push('debug'),
      info: push('info'),
      warn: push('warn'),
      error: push('error'),
    } as unknown as Logger;
    const { port } = await loopback.serve('a', (_request, response) => json(response, 200, {}), { server: { logger } });
    const app = Fastify();
    await app.register(switchyardFastify, { logger });
    app.get('/work', async () => ({}));
    await app.listen({ port: 0, host: '127.0.0.1' });
    loopback.onCleanup(() => app.close());
    for (const url of [
      `http://127.0.0.1:${port}/work`,
      `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/work`,
    ]) {
      for (const header of ['0', '-5']) expect((await answers(url, header)).status).toBe(504);
    }
    expect(logged.filter((line) => !line.startsWith('debug:'))).toEqual([]);
    expect(logged).toHaveLength(4);
  });
});

/**
 * Every EXPIRED header is answered 504 without the handler running (`ran` stays empty), and every
 * NO_DEADLINE one is served, with no deadline.
 */
async function expectExpiredRefused(url: string, ran: string[]): Promise<void> {
  for (const header of EXPIRED) {
    expect(await answers(url, header), header).toEqual({
      status: 504,
      body: { error: { code: 'DEADLINE_EXCEEDED', message: 'deadline exceeded' } },
    });
  }
  expect(ran).toEqual([]);
  for (const header of NO_DEADLINE) {
    expect(await answers(url, header), header).toEqual({ status: 200, body: { deadline: 'none' } });
  }
}
