import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { silentLogger } from '@switchyard/core';
import { GrpcCallError, GrpcStatus } from '@switchyard/grpc';
import { afterEach, describe, expect, it } from 'vitest';
import { type Backends, createRouter } from './routes.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
});

/** The router on a loopback server; anything it throws is a 500, as the SDK's httpHandler does. */
async function serve(errors: unknown[]): Promise<number> {
  const backends = {
    catalog: { listProducts: async () => ({ products: [], nextPageToken: '' }) },
    // What search answers a query over its length limit, naming its protobuf field.
    search: {
      search: async () => {
        throw new GrpcCallError(GrpcStatus.INVALID_ARGUMENT, 'query: must be 1 to 256 characters, not only spaces', {
          fromDownstream: true,
        });
      },
    },
  } as unknown as Backends;
  const router = createRouter(() => backends, { ...silentLogger, error: (fields: unknown) => errors.push(fields) });
  const server = createServer((request, response) => {
    Promise.resolve()
      .then(() => router(request, response))
      .catch((error: unknown) => {
        errors.push(error);
        response.writeHead(500).end();
      });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

/** Sends one raw request line (fetch would normalise the target) and returns the status code. */
function rawStatus(port: number, target: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () =>
      socket.write(`GET ${target} HTTP/1.1\r\nHost: gateway\r\nConnection: close\r\n\r\n`),
    );
    let head = '';
    socket.setEncoding('utf8');
    socket.setTimeout(5_000, () => socket.destroy(new Error('no answer')));
    socket.on('data', (chunk: string) => {
      head += chunk;
    });
    socket.on('end', () => resolve(Number(head.split(' ')[1])));
    socket.on('error', reject);
  });
}

describe('gateway router', () => {
  it('answers a request target that is no valid URL 400, not a 500 logged as an error', async () => {
    const errors: unknown[] = [];
    const port = await serve(errors);
    expect(await rawStatus(port, '/api/products')).toBe(200);
    // `//[…` is accepted by Node's HTTP parser but is no URL (an invalid host): a scanner's request.
    expect(await rawStatus(port, '//[/api/products')).toBe(400);
    expect(await rawStatus(port, '//[/api/products?user=ada')).toBe(400);
    expect(errors).toEqual([]);
  });

  it('refuses a number parameter that is not decimal digits 400, naming it, rather than reading it as another number', async () => {
    const errors: unknown[] = [];
    const port = await serve(errors);
    const ok = await fetch(`http://127.0.0.1:${port}/api/products?pageSize=05`);
    expect(ok.status).toBe(200);
    for (const pageSize of ['0x10', '1e1', '+5', ' 5', '5 ', '1.0', '', '5x', '0', '101', '99999999999999999999']) {
      const reply = await fetch(`http://127.0.0.1:${port}/api/products?pageSize=${encodeURIComponent(pageSize)}`);
      expect(reply.status, JSON.stringify(pageSize)).toBe(400);
      const { error } = (await reply.json()) as { error: { code: string; message: string } };
      expect(error.code).toBe('INVALID_ARGUMENT');
      expect(error.message, JSON.stringify(pageSize)).toBe('pageSize: must be an integer from 1 to 100');
    }
    expect(errors).toEqual([]);
  });

  it('does not log a client that went away while sending its order as a gateway failure', async () => {
    const logged: unknown[] = [];
    const router = createRouter(() => ({}) as Backends, {
      ...silentLogger,
      warn: (fields: unknown) => logged.push(fields),
      error: (fields: unknown) => logged.push(fields),
    });
    let settled!: () => void;
    const handled = new Promise<void>((resolve) => {
      settled = resolve;
    });
    const server = createServer((request, response) => {
      void router(request, response).finally(settled);
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    // Half a body, then the connection drops (a phone losing its signal mid-upload).
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(
        'POST /api/orders HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"userId":"ada",',
        () => setImmediate(() => socket.destroy()),
      );
    });
    await handled;
    // It was logged at error level as "gateway: request failed" (a 500), for every such client.
    expect(logged).toEqual([]);
  });

  it("names search's refusal of the query by this API's parameter, q", async () => {
    const port = await serve([]);
    const reply = await fetch(`http://127.0.0.1:${port}/api/search?q=${'a'.repeat(300)}`);
    expect(reply.status).toBe(400);
    expect(await reply.json()).toEqual({
      error: { code: 'INVALID_ARGUMENT', message: 'q: must be 1 to 256 characters, not only spaces' },
    });
  });
});
