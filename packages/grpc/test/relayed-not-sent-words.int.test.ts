/**
 * A failure whose request certainly never reached a server (grpc-js's own "No connection
 * established", "Name resolution failed"…) is retried whatever the method. The same words in a
 * status a server replied are not that: a handler that ran, then failed calling its own downstream
 * through a plain grpc-js client (a cloud SDK, a legacy service) and let that error through, replies
 * grpc-js's words as given. Its method ran; a call that must not run twice is not sent again.
 */
import { createServer as createHttp2Server, type IncomingHttpHeaders } from 'node:http2';
import { createServer } from 'node:net';
import { Client, credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { createDiscovery } from '@switchyard/discovery';
import { createGrpcClient, createGrpcServer } from '@switchyard/grpc';
import { MemoryRegistry } from '@switchyard/registry';
import { circuitBreaker, type Policy, retry } from '@switchyard/resilience';
import { describe, expect, it } from 'vitest';
import { cleanupsAfterEach } from './fixtures/cleanups.js';
import { discoveredAt, type EchoSayClient, EchoService } from './fixtures/echo.js';

const cleanups = cleanupsAfterEach();

/** A loopback port nothing listens on (bound by the OS, then closed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A call through a plain grpc-js client to a port where nothing listens: its error, as grpc-js gives it. */
function downstreamCall(client: Client): Promise<never> {
  return new Promise((_resolve, reject) =>
    client.makeUnaryRequest(
      '/legacy.v1.Ledger/Append',
      (value: Buffer) => value,
      (value: Buffer) => value,
      Buffer.alloc(0),
      new Metadata(),
      { deadline: Date.now() + 2_000 },
      (error: ServiceError | null) => reject(error),
    ),
  );
}

it('does not send again a call whose server ran it and replied grpc-js\'s "No connection established"', async () => {
  const downstream = new Client(`127.0.0.1:${await closedPort()}`, credentials.createInsecure());
  cleanups.push(() => downstream.close());
  const registry = new MemoryRegistry();
  cleanups.push(() => registry.close());
  const runs: Record<string, number> = {};
  for (const id of ['a', 'b']) {
    const server = createGrpcServer({
      services: [
        {
          definition: EchoService,
          implementation: {
            say: async () => {
              runs[id] = (runs[id] ?? 0) + 1; // its side effect, done
              return downstreamCall(downstream); // then its downstream fails, passed on as it came
            },
          },
        },
      ],
    });
    const port = await server.listen(0, '127.0.0.1');
    cleanups.push(() => server.shutdown(100));
    await registry.register({ id, service: 'echo', host: '127.0.0.1', ports: { grpc: port } });
  }
  const discovery = createDiscovery({ registry, service: 'echo', outlierDetection: false });
  cleanups.push(() => discovery.close());
  await discovery.ready();
  const echo = createGrpcClient({
    definition: EchoService,
    discovery,
    policy: retry({ maxAttempts: 3, budget: false, backoff: { initialMs: 1, maxMs: 2 } }),
  }) as unknown as EchoSayClient;
  cleanups.push(() => echo.close());

  const failure = await echo.say({ message: 'charge' }, { deadlineMs: 3_000, idempotent: false }).catch((e) => e);
  expect(failure).toMatchObject({ code: 'UNAVAILABLE', retryable: false });
  expect(failure.details).toMatch(/^No connection established/);
  expect(failure.message).toMatch(/not retried: the request may have reached the server/);
  // It ran once: sent again, it ran on the other instance too (a second charge).
  expect(Object.values(runs).reduce((sum, count) => sum + count, 0)).toBe(1);
});

/**
 * An HTTP/2 server answering every call with `code` (UNAVAILABLE by default) in `details`: Trailers-Only (the status in the
 * response headers, with their content-type), or after response headers (the status in trailers of
 * its own). Counts the calls it got.
 */
async function answeringServer(details: string, shape: 'trailers-only' | 'headers-then-trailers', code = 14) {
  const server = createHttp2Server();
  const seen = { calls: 0 };
  const status: IncomingHttpHeaders = { 'grpc-status': String(code), 'grpc-message': encodeURI(details) };
  server.on('stream', (stream) => {
    seen.calls++;
    stream.resume();
    const headers = { ':status': 200, 'content-type': 'application/grpc' };
    if (shape === 'trailers-only') {
      stream.respond({ ...headers, ...status }, { endStream: true });
      return;
    }
    stream.respond(headers, { waitForTrailers: true });
    stream.on('wantTrailers', () => stream.sendTrailers(status));
    stream.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  return { port: (server.address() as { port: number }).port, seen };
}

/** A Switchyard client of the echo server on `port` with `policy`, closed at cleanup. */
async function clientAt(port: number, policy: Policy): Promise<EchoSayClient> {
  const discovery = await discoveredAt(port, cleanups);
  const echo = createGrpcClient({ definition: EchoService, discovery, policy }) as unknown as EchoSayClient;
  cleanups.push(() => echo.close());
  return echo;
}

/** Retries that would send a call again at once, were it allowed. */
const quickRetries = () => retry({ maxAttempts: 3, budget: false, backoff: { initialMs: 1, maxMs: 2 } });

describe("a server's UNAVAILABLE in grpc-js's words for a call never sent", () => {
  for (const [details, shape] of [
    ['No connection established. Last error: connect ECONNREFUSED 10.0.0.9:50051', 'headers-then-trailers'],
    ['Name resolution failed for target dns:ledger.internal:50051', 'trailers-only'],
    ['Stream refused by server', 'trailers-only'],
  ] as const) {
    it(`is not sent again for a method that must not run twice: "${details}" (${shape})`, async () => {
      const { port, seen } = await answeringServer(details, shape);
      const echo = await clientAt(port, quickRetries());
      // Twice: on a channel still connecting (grpc-js's channel call), then on the connected one.
      for (let call = 1; call <= 2; call++) {
        await expect(echo.say({ message: 'charge' }, { deadlineMs: 3_000, idempotent: false })).rejects.toMatchObject({
          code: 'UNAVAILABLE',
          details,
          retryable: false,
        });
        expect(seen.calls).toBe(call);
      }
    });
  }
});

describe("a server's reply in grpc-js's words for a failure on the client's side", () => {
  it('is not sent again as a stream never started: "Failed to start HTTP/2 stream"', async () => {
    const details = 'Failed to start HTTP/2 stream with error ERR_HTTP2_GOAWAY_SESSION';
    const { port, seen } = await answeringServer(details, 'trailers-only', 13);
    const echo = await clientAt(port, quickRetries());
    await expect(echo.say({ message: 'charge' }, { deadlineMs: 3_000, idempotent: false })).rejects.toMatchObject({
      code: 'INTERNAL',
      details,
      retryable: false,
    });
    expect(seen.calls).toBe(1);
  });

  for (const [code, details] of [
    [13, 'Request message serialization failure: Expected a string'],
    [8, 'Received message larger than max (5000 vs 4194304)'],
  ] as const) {
    it(`is the server's failure, counted by the breaker: "${details}"`, async () => {
      const { port } = await answeringServer(details, 'trailers-only', code);
      const breaker = circuitBreaker({ minimumCalls: 3, openMs: 60_000 });
      const echo = await clientAt(port, breaker);
      for (let call = 0; call < 3; call++) {
        await expect(echo.say({ message: 'hi' }, { deadlineMs: 3_000 })).rejects.toMatchObject({
          grpcCode: code,
          details,
        });
      }
      expect(breaker.state()).toBe('open');
    });
  }
});
