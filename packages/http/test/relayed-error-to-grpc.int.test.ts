/**
 * A gRPC handler that passes on the failure of a downstream HTTP call (this package's
 * HttpCallError, e.g. a 404 from an internal REST service). Its message is `<service> <METHOD>
 * <path>: HTTP <status> <CODE>: <body>`: internal names, path and body. The gRPC reply says what the
 * downstream's body said (as this package's own server does, publicClientErrorMessage), or the
 * code in words when the body says nothing usable, and the server logs the full message at debug.
 * (Here rather than in @switchyard/grpc's tests, which cannot depend on this package: it depends on
 * that one.)
 */
import { createServer } from 'node:http';
import * as grpc from '@grpc/grpc-js';
import { createGrpcServer } from '@switchyard/grpc';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { closeServer, Loopback, listen } from './fixtures/loopback.js';
import { EchoService } from './fixtures/echo-service.js';

let loopback: Loopback;
beforeEach(() => {
  loopback = new Loopback();
});
afterEach(() => loopback.cleanup());

/**
 * The error a plain client gets from a gRPC Say whose handler GETs `/admin/v2/items/<message>` from
 * an internal REST service (registered as `inventory-internal`) that answers 404 with `contentType`
 * and `body`; `debugLogged` collects what the server logs at debug.
 */
async function relayed404(contentType: string, body: string, debugLogged: string[] = []): Promise<grpc.ServiceError> {
  const rest = createServer((_request, response) => {
    response.statusCode = 404;
    response.setHeader('content-type', contentType);
    response.end(body);
  });
  const restPort = await listen(rest);
  loopback.onCleanup(() => closeServer(rest));
  await loopback.registry.register({ service: 'inventory-internal', host: '127.0.0.1', ports: { http: restPort } });
  const inventory = await loopback.client('inventory-internal');

  const server = createGrpcServer({
    logger: {
      debug: (_fields: unknown, message?: string) => void debugLogged.push(message ?? ''),
      info() {},
      warn() {},
      error() {},
    },
    services: [
      {
        definition: EchoService,
        implementation: {
          say: async ({ message }: { message: string }) => {
            const item = await inventory.getJson<{ name: string }>(`/admin/v2/items/${message}`);
            return { message: item.name };
          },
        },
      },
    ],
  });
  const port = await server.listen(0, '127.0.0.1');
  loopback.onCleanup(() => server.shutdown(100));
  const plain = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  loopback.onCleanup(() => plain.close());
  const say = EchoService.Say as unknown as grpc.MethodDefinition<object, object>;
  return new Promise<grpc.ServiceError>((resolve) => {
    plain.makeUnaryRequest(say.path, say.requestSerialize, say.responseDeserialize, { message: 'nope' }, (failure) =>
      resolve(failure as grpc.ServiceError),
    );
  });
}

it("replies with the downstream body's own message, not the HTTP call error's service, path and body", async () => {
  const debugLogged: string[] = [];
  const error = await relayed404(
    'application/json',
    JSON.stringify({ error: { message: 'no product nope' }, table: 'inventory_shard_7' }),
    debugLogged,
  );
  expect(error.code).toBe(grpc.status.NOT_FOUND);
  // Before the fix: "inventory-internal GET /admin/v2/items/nope: HTTP 404 NOT_FOUND: {"error":…,"table":"inventory_shard_7"}"
  expect(error.details).toBe('no product nope');
  expect(debugLogged).toContain('switchyard grpc: handler failed with a downstream error; replying with its detail');
});

it('replies with the code in words when the downstream body is no message (an HTML page)', async () => {
  const error = await relayed404('text/html', '<html><body>404 at nginx/1.25 on inventory-7</body></html>');
  expect(error.code).toBe(grpc.status.NOT_FOUND);
  // Before the fix: "inventory-internal GET /admin/v2/items/nope: HTTP 404 NOT_FOUND: <html>…inventory-7…"
  expect(error.details).toBe('not found');
});
