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

  it('refuses a query parameter given more than once 400, naming it, rather than serving only the first value', async () => {
    const errors: unknown[] = [];
    const port = await serve(errors);
    // `?category=books&category=toys` reads as "either" to many clients; it listed books alone.
    for (const [path, name] of [
      ['/api/products?category=books&category=toys', 'category'],
      ['/api/products?pageSize=5&pageSize=500', 'pageSize'],
      ['/api/products?pageToken=a&pageToken=b', 'pageToken'],
      ['/api/search?q=tent&q=lamp', 'q'],
      ['/api/search?q=tent&limit=5&limit=50', 'limit'],
      ['/api/recommendations?user=ada&user=bob', 'user'],
      ['/api/products/sku-1?user=ada&user=', 'user'],
    ] as const) {
      const reply = await fetch(`http://127.0.0.1:${port}${path}`);
      expect(reply.status, path).toBe(400);
      expect(await reply.json(), path).toEqual({
        error: { code: 'INVALID_ARGUMENT', message: `${name}: must be given at most once, got 2 values` },
      });
    }
    expect((await fetch(`http://127.0.0.1:${port}/api/products?category=&pageSize=5`)).status).toBe(200);
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

/** The router on a loopback server over fake backends counting the calls that reach them. */
async function serveCounting(): Promise<{ port: number; calls: string[] }> {
  const calls: string[] = [];
  const product = { id: 'sku-1', name: 'Headphones', category: 'electronics', tags: [], priceCents: 100, stock: 1 };
  const backends = {
    catalog: {
      listProducts: async () => {
        calls.push('ListProducts');
        return { products: [product], nextPageToken: '' };
      },
      getProduct: async () => {
        calls.push('GetProduct');
        return { product };
      },
    },
    recommendation: {
      recordView: async () => {
        calls.push('RecordView');
        return {};
      },
    },
    orders: {
      placeOrder: async (request: { userId: string; lines: unknown[] }) => {
        calls.push('PlaceOrder');
        return { order: { id: 'ord-1', userId: request.userId, lines: request.lines, status: 'placed' } };
      },
    },
  } as unknown as Backends;
  const router = createRouter(() => backends, silentLogger);
  const server = createServer((request, response) => void router(request, response));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as { port: number }).port, calls };
}

describe('gateway router: methods and media types', () => {
  const body = JSON.stringify({ userId: 'ada', lines: [{ productId: 'sku-1', quantity: 1 }] });

  it('refuses an order body not sent as JSON 415, placing nothing, and takes any spelling of application/json', async () => {
    const { port, calls } = await serveCounting();
    const post = (contentType: string | undefined) =>
      fetch(`http://127.0.0.1:${port}/api/orders`, {
        method: 'POST',
        // A string body gets text/plain from fetch unless told otherwise: a Blob without a type sends none.
        body: contentType === undefined ? new Blob([body]) : body,
        headers: contentType === undefined ? {} : { 'content-type': contentType },
      });
    // A page on any site can send these cross-origin without a preflight (an HTML form, or
    // fetch with a plain string): each placed an order and took its stock.
    for (const contentType of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      undefined,
    ]) {
      const reply = await post(contentType);
      expect(reply.status, String(contentType)).toBe(415);
      expect(await reply.json()).toEqual({
        error: {
          code: 'INVALID_ARGUMENT',
          message: `content-type: must be application/json, got ${contentType === undefined ? 'none' : JSON.stringify(contentType.split(';')[0])}`,
        },
      });
    }
    expect(calls).toEqual([]);
    for (const contentType of [
      'application/json',
      'application/json; charset=utf-8',
      'Application/JSON;charset=UTF-8',
    ]) {
      expect((await post(contentType)).status, contentType).toBe(201);
    }
    expect(calls).toEqual(['PlaceOrder', 'PlaceOrder', 'PlaceOrder']);
  });

  it('answers a method a resource does not take 405 with Allow, not 404 as if the resource did not exist', async () => {
    const { port, calls } = await serveCounting();
    const cases: [method: string, path: string, allow: string][] = [
      ['DELETE', '/api/orders', 'POST'],
      ['GET', '/api/orders', 'POST'],
      ['PUT', '/api/orders/ord-1', 'GET, HEAD'],
      ['POST', '/api/products', 'GET, HEAD'],
      ['PATCH', '/api/products/sku-1', 'GET, HEAD'],
      ['POST', '/api/search', 'GET, HEAD'],
      ['DELETE', '/api/recommendations', 'GET, HEAD'],
    ];
    for (const [method, path, allow] of cases) {
      const reply = await fetch(`http://127.0.0.1:${port}${path}`, { method });
      expect(reply.status, `${method} ${path}`).toBe(405);
      expect(reply.headers.get('allow'), `${method} ${path}`).toBe(allow);
      expect(await reply.json()).toEqual({
        error: { code: 'UNIMPLEMENTED', message: `${path} does not take ${method} (it takes ${allow})` },
      });
    }
    // What does not exist at all is still a 404.
    for (const path of ['/api/nothing', '/api/orders/ord-1/lines', '/api/search/x', '/other']) {
      expect((await fetch(`http://127.0.0.1:${port}${path}`, { method: 'DELETE' })).status, path).toBe(404);
    }
    expect(calls).toEqual([]);
  });

  it('answers HEAD as GET without the body, and a HEAD of a product is no view of it', async () => {
    const { port, calls } = await serveCounting();
    const listed = await fetch(`http://127.0.0.1:${port}/api/products`, { method: 'HEAD' });
    expect(listed.status).toBe(200);
    expect(listed.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await listed.text()).toBe('');
    const one = await fetch(`http://127.0.0.1:${port}/api/products/sku-1?user=ada`, { method: 'HEAD' });
    expect(one.status).toBe(200);
    // A link checker or a prefetch is not the shopper looking at the product.
    expect(calls).toEqual(['ListProducts', 'GetProduct']);
    expect((await fetch(`http://127.0.0.1:${port}/api/products/sku-1?user=ada`)).status).toBe(200);
    expect(calls).toEqual(['ListProducts', 'GetProduct', 'GetProduct', 'RecordView']);
  });

  it('answers an order body over the limit 413, whether its length is declared or it is streamed', async () => {
    const { port, calls } = await serveCounting();
    const big = JSON.stringify({ userId: 'ada', lines: [{ productId: 'x'.repeat(70_000), quantity: 1 }] });
    const declared = await fetch(`http://127.0.0.1:${port}/api/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: big,
    });
    // A streamed body has no Content-Length: the limit is found while reading it.
    const streamed = await fetch(`http://127.0.0.1:${port}/api/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: new Blob([big]).stream(),
      duplex: 'half',
    } as RequestInit);
    for (const reply of [declared, streamed]) {
      // It was a 400, as if the order were malformed rather than too large to take.
      expect(reply.status).toBe(413);
      expect(await reply.json()).toEqual({
        error: { code: 'INVALID_ARGUMENT', message: 'body: must be at most 65536 bytes' },
      });
    }
    expect(calls).toEqual([]);
  });
});
