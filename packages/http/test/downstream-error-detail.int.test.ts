/**
 * A gateway that lets a downstream's 4xx propagate replies with the downstream's own detail, not
 * with the transport's message: a gateway calling a gRPC service replied 404 with
 * `shop.catalog.v1.CatalogService/GetProduct: NOT_FOUND: no product nope`, internal service and
 * method names included (and `catalog GET /internal/…: HTTP 404 NOT_FOUND: {…}` for an HTTP one).
 */
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { type Logger, SwitchyardError } from '@switchyard/core';
import { createGrpcClient, createGrpcServer, grpcError, loadService } from '@switchyard/grpc';
import { type HttpClient, type HttpRequestHandler, switchyardFastify } from '@switchyard/http';
import Fastify from 'fastify';
import { request as plainRequest } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { json, Loopback } from './fixtures/loopback.js';

let loopback: Loopback;
beforeEach(() => {
  loopback = new Loopback();
});
afterEach(() => loopback.cleanup());

/** Catalog as a gRPC service whose GetProduct knows no product. */
async function grpcCatalog(): Promise<{ getProduct(request: { id: string }): Promise<unknown> }> {
  const CatalogService = loadService('shop/catalog/v1/catalog.proto', 'shop.catalog.v1.CatalogService', {
    includeDirs: [fileURLToPath(new URL('../../../protos', import.meta.url))],
  });
  const server = createGrpcServer({
    services: [
      {
        definition: CatalogService,
        implementation: {
          getProduct: async (request: { id: string }) => {
            throw grpcError(GrpcStatus.NOT_FOUND, `no product ${request.id}`);
          },
        },
      },
    ],
  });
  const port = await server.listen(0, '127.0.0.1');
  loopback.onCleanup(() => server.shutdown(100));
  await loopback.registry.register({ id: 'catalog1', service: 'catalog', host: '127.0.0.1', ports: { grpc: port } });
  const client = createGrpcClient({ definition: CatalogService, discovery: await loopback.discover('catalog') });
  loopback.onCleanup(() => client.close());
  return client as unknown as { getProduct(request: { id: string }): Promise<unknown> };
}

/** A logger keeping what is logged at debug. */
function debugLogger(): { logger: Logger; debugged: unknown[] } {
  const debugged: unknown[] = [];
  const noop = (): void => undefined;
  return {
    logger: { debug: (fields: unknown) => debugged.push(fields), info: noop, warn: noop, error: noop },
    debugged,
  };
}

async function get(port: number, path: string): Promise<{ status: number; text: string }> {
  const reply = await plainRequest(`http://127.0.0.1:${port}${path}`);
  return { status: reply.statusCode, text: await reply.body.text() };
}

describe("a downstream's 4xx passed on by a handler", () => {
  it('replies with the gRPC status details, without the service and method names (httpHandler)', async () => {
    const catalog = await grpcCatalog();
    const { logger, debugged } = debugLogger();
    const { port } = await loopback.serve(
      'gateway1',
      async (request, response) =>
        json(response, 200, await catalog.getProduct({ id: request.url?.split('/').pop() ?? '' })),
      { service: 'gateway', server: { logger } },
    );
    const reply = await get(port, '/products/nope');
    expect(reply.status).toBe(404);
    expect(JSON.parse(reply.text)).toEqual({ error: { code: 'NOT_FOUND', message: 'no product nope' } });
    expect(reply.text).not.toMatch(/CatalogService|GetProduct|shop\./);
    // The full message is not lost: logged at debug.
    expect((debugged[0] as { err: Error }).err.message).toBe(
      'shop.catalog.v1.CatalogService/GetProduct: NOT_FOUND: no product nope',
    );
  });

  it('replies with an HTTP downstream’s own message, without its method, path and status line (httpHandler)', async () => {
    await loopback.serve(
      'inventory1',
      () => {
        throw new SwitchyardError('NOT_FOUND', 'no stock for nope');
      },
      { service: 'inventory' },
    );
    await loopback.serve(
      'legacy1',
      (request, response) => {
        const html = request.url === '/html';
        response.writeHead(html ? 404 : 409, { 'content-type': html ? 'text/html' : 'text/plain' });
        response.end(html ? '<html><body>nginx at 10.0.0.7</body></html>' : 'order already placed\n');
      },
      { service: 'legacy' },
    );
    const inventory = await loopback.client('inventory', { policy: false });
    const legacy = await loopback.client('legacy', { policy: false });
    const relay =
      (client: HttpClient, path: string): HttpRequestHandler =>
      async (_request, response) =>
        json(response, 200, await client.getJson(path));
    const gateways = {
      json: await loopback.serve('g1', relay(inventory, '/internal/stock/nope'), { service: 'g1' }),
      text: await loopback.serve('g2', relay(legacy, '/text'), { service: 'g2' }),
      html: await loopback.serve('g3', relay(legacy, '/html'), { service: 'g3' }),
    };

    const fromJson = await get(gateways.json.port, '/stock/nope');
    expect(fromJson.status).toBe(404);
    expect(JSON.parse(fromJson.text)).toEqual({ error: { code: 'NOT_FOUND', message: 'no stock for nope' } });
    expect(fromJson.text).not.toMatch(/internal|inventory|HTTP 404/);

    const fromText = await get(gateways.text.port, '/orders');
    expect(fromText.status).toBe(409);
    expect(JSON.parse(fromText.text)).toEqual({ error: { code: 'ALREADY_EXISTS', message: 'order already placed' } });

    // An HTML page is no message: the code in words.
    const fromHtml = await get(gateways.html.port, '/page');
    expect(fromHtml.status).toBe(404);
    expect(JSON.parse(fromHtml.text)).toEqual({ error: { code: 'NOT_FOUND', message: 'not found' } });
  });

  it("replies a client's own too-large failure with the code in words, not the downstream's address", async () => {
    const big = await loopback.serve('big1', (_request, response) => json(response, 200, { text: 'x'.repeat(2_000) }), {
      service: 'big',
    });
    const client = await loopback.client('big', { policy: false, poolOptions: { maxResponseSize: 100 } });
    const warned: unknown[] = [];
    const noop = (): void => undefined;
    const logger: Logger = { debug: noop, info: noop, warn: (fields: unknown) => warned.push(fields), error: noop };
    const { port } = await loopback.serve(
      'gateway1',
      async (_request, response) => json(response, 200, await client.getJson('/report')),
      { service: 'gateway', server: { logger } },
    );
    const reply = await get(port, '/report');
    expect(reply.status).toBe(429);
    expect(JSON.parse(reply.text)).toEqual({ error: { code: 'RESOURCE_EXHAUSTED', message: 'resource exhausted' } });
    expect(reply.text).not.toContain(String(big.port));
    // The message is not lost: logged, naming the downstream.
    expect((warned[0] as { err: Error }).err.message).toContain(`127.0.0.1:${big.port}`);
  });

  it('keeps a handler’s own 4xx message as it is', async () => {
    const { port } = await loopback.serve('a', () => {
      throw new SwitchyardError('NOT_FOUND', 'no product sku-9');
    });
    expect(JSON.parse((await get(port, '/x')).text)).toEqual({
      error: { code: 'NOT_FOUND', message: 'no product sku-9' },
    });
  });

  it('replies with the gRPC status details on Fastify too (the original as cause)', async () => {
    const catalog = await grpcCatalog();
    const app = Fastify();
    await app.register(switchyardFastify);
    app.get<{ Params: { id: string } }>('/products/:id', async (request) =>
      catalog.getProduct({ id: request.params.id }),
    );
    await app.listen({ port: 0, host: '127.0.0.1' });
    loopback.onCleanup(() => app.close());
    const reply = await get((app.server.address() as AddressInfo).port, '/products/nope');
    expect(reply.status).toBe(404);
    expect(JSON.parse(reply.text)).toMatchObject({ statusCode: 404, code: 'NOT_FOUND', message: 'no product nope' });
    expect(reply.text).not.toMatch(/CatalogService|GetProduct|shop\./);
  });
});
