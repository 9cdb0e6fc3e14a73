import { createServer } from 'node:http';
import { httpHandler } from '@switchyard/http';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { closeServer, listen } from './fixtures/loopback.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('a handler that fails after it has ended its response', () => {
  it('does not cut the complete response it already ended (e.g. a failing after-response audit call)', async () => {
    const big = Buffer.alloc(8 * 1024 * 1024, 97);
    const server = createServer(
      httpHandler(async (_request, response) => {
        response.writeHead(200, { 'content-type': 'text/plain', 'content-length': big.length });
        response.end(big);
        // Work after the reply (an audit write, a metric flush) fails.
        await Promise.resolve();
        throw new Error('audit sink down');
      }),
    );
    const port = await listen(server);
    cleanups.push(() => closeServer(server));
    const reply = await request(`http://127.0.0.1:${port}/report`);
    expect(reply.statusCode).toBe(200);
    const body = await reply.body.arrayBuffer().then(
      (bytes) => bytes.byteLength,
      (error: Error) => `failed: ${error.message}`,
    );
    expect(body).toBe(big.length);
  });
});
