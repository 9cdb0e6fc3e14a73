/**
 * Retries happen at one layer, the hop nearest the failure, across any mix of HTTP and gRPC hops:
 * a hop whose own calls were already retried (or whose server said not to retry) tells its
 * caller not to retry it either. Without that, three hops of three attempts make 27 calls.
 */
import { NoInstancesError, SwitchyardError } from '@switchyard/core';
import { createGrpcClient, createGrpcServer, GrpcCallError } from '@switchyard/grpc';
import { HttpCallError, NO_RETRY_HEADER } from '@switchyard/http';
import { retry } from '@switchyard/resilience';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { json, Loopback } from './fixtures/loopback.js';
import { EchoService } from './fixtures/echo-service.js';

let loopback: Loopback;
beforeEach(() => {
  loopback = new Loopback();
});
afterEach(() => loopback.cleanup());

type EchoClient = { say(request: object): Promise<{ message: string }>; close(): Promise<void> };

/** An HTTP instance of `service` whose handler runs `handle`, counting its requests. */
async function httpHop(service: string, handle: () => Promise<unknown>): Promise<{ hits: number }> {
  const counter = { hits: 0 };
  await loopback.serve(
    `${service}1`,
    async (_request, response) => {
      counter.hits++;
      json(response, 200, await handle());
    },
    { service },
  );
  return counter;
}

/** A gRPC instance of `service` whose Say runs `handle`, counting its calls. */
async function grpcHop(service: string, handle: () => Promise<unknown>): Promise<{ hits: number }> {
  const counter = { hits: 0 };
  const server = createGrpcServer({
    services: [
      {
        definition: EchoService,
        implementation: {
          say: async () => {
            counter.hits++;
            return { message: JSON.stringify(await handle()) };
          },
        },
      },
    ],
  });
  const port = await server.listen(0, '127.0.0.1');
  loopback.onCleanup(() => server.shutdown(100));
  await loopback.registry.register({ id: `${service}1`, service, host: '127.0.0.1', ports: { grpc: port } });
  return counter;
}

async function grpcClient(service: string): Promise<EchoClient> {
  const client = createGrpcClient({ definition: EchoService, discovery: await loopback.discover(service) });
  loopback.onCleanup(() => client.close());
  return client as unknown as EchoClient;
}

describe('retries at one layer', () => {
  it('over three HTTP hops: only the hop next to the failure retries', async () => {
    const c = await loopback.serveOverloaded('c');
    const toC = await loopback.client('c');
    const b = await httpHop('b', () => toC.getJson('/'));
    const toB = await loopback.client('b');
    const a = await httpHop('a', () => toB.getJson('/'));
    const toA = await loopback.client('a');
    const failure = await toA.getJson('/', { deadlineMs: 5_000 }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(HttpCallError);
    expect((failure as HttpCallError).headers[NO_RETRY_HEADER]).toBe('1');
    expect({ a: a.hits, b: b.hits, c: c.hits }).toEqual({ a: 1, b: 1, c: 3 });
  });

  it('HTTP → gRPC: a gRPC hop with no instances behind it is not retried by the HTTP hop, nor that by its caller', async () => {
    const grpc = await grpcHop('svc', () => Promise.reject(new NoInstancesError('backend')));
    const toSvc = await grpcClient('svc');
    const gateway = await httpHop('gw', () => toSvc.say({ message: 'hi' }));
    const toGateway = await loopback.client('gw');
    const failure = await toGateway.getJson('/', { deadlineMs: 5_000 }).catch((error: unknown) => error);
    expect((failure as HttpCallError).status).toBe(503);
    expect((failure as HttpCallError).headers[NO_RETRY_HEADER]).toBe('1');
    expect({ grpc: grpc.hits, gateway: gateway.hits }).toEqual({ grpc: 1, gateway: 1 });
  });

  it('gRPC → HTTP: an HTTP hop that said "no retry" makes the gRPC hop say so too', async () => {
    const c = await loopback.serveOverloaded('c');
    const toC = await loopback.client('c');
    const b = await httpHop('b', () => toC.getJson('/'));
    const toB = await loopback.client('b');
    const grpc = await grpcHop('svc', () => toB.getJson('/'));
    const toSvc = await grpcClient('svc');
    const failure = await toSvc.say({ message: 'hi' }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(GrpcCallError);
    expect((failure as GrpcCallError).retryAfterMs).toBe(-1);
    // Generic details: the HTTP hop's address and body stay on the server that failed.
    expect((failure as GrpcCallError).details).toBe('service unavailable');
    expect({ grpc: grpc.hits, b: b.hits, c: c.hits }).toEqual({ grpc: 1, b: 1, c: 3 });
  });

  // A POST is never sent twice, so a policy whose retryOn says yes to it gives up with the error
  // the client refuses further attempts with. For an error status that was a copy of the
  // HttpCallError without the downstream's "no retry" mark: the hop relaying it answered a plain
  // 503, and its caller retried it (3 × 3 calls at the bottom instead of 3).
  it("keeps a downstream's 'no retry' on a POST whose policy's retryOn would retry it", async () => {
    const d = await loopback.serveOverloaded('d');
    const toD = await loopback.client('d');
    const c = await httpHop('c', () => toD.getJson('/'));
    const toC = await loopback.client('c', {
      policy: retry({ retryOn: (error) => SwitchyardError.hasCode(error, 'UNAVAILABLE') }),
    });
    const b = await httpHop('b', () => toC.postJson('/orders', { sku: 'sku-1' }));
    const toB = await loopback.client('b');
    const failure = await toB.getJson('/', { deadlineMs: 5_000 }).catch((error: unknown) => error);
    expect({ b: b.hits, c: c.hits, d: d.hits }).toEqual({ b: 1, c: 1, d: 3 });
    expect(failure).toBeInstanceOf(HttpCallError);
    expect((failure as HttpCallError).headers[NO_RETRY_HEADER]).toBe('1');
  });
});
