import { createServer, type ServerHttp2Session } from 'node:http2';
import type { AddressInfo } from 'node:net';
import {
  Client,
  credentials,
  Metadata,
  type MethodDefinition,
  Server,
  ServerCredentials,
  type ServiceError,
  type ServerUnaryCall,
  status,
} from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directUnaryCall } from './direct-unary-call.js';
import { grpcTimeoutHeader } from './fast-unary-call.js';

// The fast lane skips grpc-js's channel call stack once a channel is connected. These tests tell
// which path a call took by what the server received: grpc-js's own stack (its compression
// filter) always sends `accept-encoding: identity`; the fast lane does not. Call credentials, which
// need TLS, are covered in security-tests (grpc-call-credentials.int.test.ts).

const text: MethodDefinition<string, string> = {
  path: '',
  requestStream: false,
  responseStream: false,
  requestSerialize: (value: string) => Buffer.from(value, 'utf8'),
  requestDeserialize: (bytes: Buffer) => bytes.toString('utf8'),
  responseSerialize: (value: string) => Buffer.from(value, 'utf8'),
  responseDeserialize: (bytes: Buffer) => bytes.toString('utf8'),
};
const method = (name: string): MethodDefinition<string, string> => ({ ...text, path: `/test.Fast/${name}` });
const METHODS = { Headers: method('Headers'), Big: method('Big') };

/**
 * A bare HTTP/2 gRPC server (no grpc-js) that records every request's headers and echoes the
 * request message: grpc-js's server hides transport headers from handlers.
 */
async function startWireServer() {
  const requests: Record<string, unknown>[] = [];
  const server = createServer();
  const sessions = new Set<ServerHttp2Session>();
  server.on('session', (session) => sessions.add(session));
  server.on('stream', (stream, headers) => {
    requests.push({ ...headers });
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      stream.end(Buffer.concat(chunks)); // the request frame, as is: flag 0, length, message
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const session of sessions) session.destroy();
        server.close(() => resolve());
      }),
  };
}

let server: Server;
let port: number;
const clients: Client[] = [];

function newClient(options: Record<string, number> = {}): Client {
  const client = new Client(`127.0.0.1:${port}`, credentials.createInsecure(), options);
  clients.push(client);
  return client;
}

beforeAll(async () => {
  // The server compresses replies whenever the client accepts it: the fast lane must not.
  server = new Server({ 'grpc.default_compression_algorithm': 2 });
  server.addService(
    { Headers: METHODS.Headers, Big: METHODS.Big },
    {
      Headers: (call: ServerUnaryCall<string, string>, callback: (error: null, value: string) => void) =>
        callback(null, call.request),
      Big: (_call: unknown, callback: (error: null, value: string) => void) => callback(null, 'x'.repeat(64 * 1024)),
    },
  );
  port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
});

afterAll(() => {
  for (const client of clients) client.close();
  server?.forceShutdown();
});

interface Outcome {
  error?: { code: number; details: string; message: string };
  value?: string;
}

function call(
  client: Client,
  name: keyof typeof METHODS,
  request: string,
  metadata = new Metadata(),
  deadline = Infinity,
) {
  return new Promise<Outcome>((resolve) =>
    directUnaryCall(client, METHODS[name], request, metadata, deadline, (error: ServiceError | null, value) =>
      resolve(error ? { error: { code: error.code, details: error.details, message: error.message } } : { value }),
    ),
  );
}

function viaGrpcJs(client: Client, name: keyof typeof METHODS, request: string) {
  const definition = METHODS[name];
  return new Promise<Outcome>((resolve) =>
    client.makeUnaryRequest(
      definition.path,
      definition.requestSerialize,
      definition.responseDeserialize,
      request,
      new Metadata(),
      (error, value) =>
        resolve(error ? { error: { code: error.code, details: error.details, message: error.message } } : { value }),
    ),
  );
}

describe('the fast lane (straight to a connected subchannel)', () => {
  it('takes over once the channel is connected, and sends what grpc-js sends', async () => {
    const wire = await startWireServer();
    try {
      const client = new Client(`127.0.0.1:${wire.port}`, credentials.createInsecure());
      clients.push(client);
      const metadata = () => {
        const m = new Metadata();
        m.set('x-custom', 'kept');
        return m;
      };
      // The channel was idle: the first call connects it through grpc-js's own stack.
      expect((await call(client, 'Headers', 'one', metadata(), Date.now() + 5_000)).value).toBe('one');
      expect((await call(client, 'Headers', 'two', metadata(), Date.now() + 5_000)).value).toBe('two');
      expect((await call(client, 'Headers', 'three')).value).toBe('three');
      const [viaStack, fast, fastNoDeadline] = wire.requests;
      expect(viaStack?.['accept-encoding']).toBe('identity');
      expect(fast?.['accept-encoding']).toBeUndefined();
      // Everything else on the wire is what grpc-js sends, bar the encodings accepted and the time left.
      const comparable = (headers: Record<string, unknown> | undefined) => {
        const { 'accept-encoding': _a, 'grpc-accept-encoding': _g, 'grpc-timeout': _t, ...rest } = headers ?? {};
        return rest;
      };
      expect(comparable(fast)).toEqual(comparable(viaStack));
      expect(fast).toMatchObject({
        'grpc-accept-encoding': 'identity',
        'x-custom': 'kept',
        ':path': '/test.Fast/Headers',
      });
      expect(fast?.['grpc-timeout']).toMatch(/^\d+m$/);
      expect(fastNoDeadline?.['grpc-timeout']).toBeUndefined();
    } finally {
      await wire.close();
    }
  });

  it('reads replies uncompressed from a server that compresses when it may', async () => {
    const client = newClient();
    await call(client, 'Headers', 'warm-up');
    const outcome = await call(client, 'Big', 'x');
    expect(outcome.value).toHaveLength(64 * 1024);
  });

  it("keeps grpc-js's receive limit: the same RESOURCE_EXHAUSTED", async () => {
    const client = newClient({ 'grpc.max_receive_message_length': 1024 });
    await call(client, 'Headers', 'warm-up').catch(() => undefined);
    const fast = await call(client, 'Big', 'x');
    expect(fast.error?.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(fast).toEqual(await viaGrpcJs(client, 'Big', 'x'));
  });

  it('falls back to the channel when the connection is gone, and fails like grpc-js', async () => {
    const lonely = new Server();
    lonely.addService(
      { Headers: METHODS.Headers },
      { Headers: (_call: unknown, cb: (e: null, v: string) => void) => cb(null, 'ok') },
    );
    const lonelyPort = await new Promise<number>((resolve, reject) =>
      lonely.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) =>
        error ? reject(error) : resolve(bound),
      ),
    );
    const client = new Client(`127.0.0.1:${lonelyPort}`, credentials.createInsecure());
    clients.push(client);
    expect((await call(client, 'Headers', 'x')).value).toBe('ok');
    expect((await call(client, 'Headers', 'x')).value).toBe('ok');
    await new Promise<void>((resolve) => lonely.tryShutdown(() => resolve()));
    const after = await call(client, 'Headers', 'x', new Metadata(), Date.now() + 2_000);
    expect(after.error?.code).toBe(status.UNAVAILABLE);
  });
});

describe('the full path instead of the fast lane', () => {
  it('for a channel whose options act in the skipped layers (send limit, compression)', async () => {
    const wire = await startWireServer();
    try {
      const client = new Client(`127.0.0.1:${wire.port}`, credentials.createInsecure(), {
        'grpc.max_send_message_length': 1 << 20,
      });
      clients.push(client);
      for (const request of ['one', 'two']) expect((await call(client, 'Headers', request)).value).toBe(request);
      expect(wire.requests.map((headers) => headers['accept-encoding'])).toEqual(['identity', 'identity']);
    } finally {
      await wire.close();
    }
  });
});

describe('cancelling a call', () => {
  it('cancel() ends it as CANCELLED, cancel(true) as DEADLINE_EXCEEDED, on either path', async () => {
    const slow = new Server();
    slow.addService(
      { Headers: METHODS.Headers },
      {
        Headers: (_call: unknown, callback: (e: null, v: string) => void) =>
          setTimeout(() => callback(null, 'late'), 2_000).unref(),
      },
    );
    const slowPort = await new Promise<number>((resolve, reject) =>
      slow.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) =>
        error ? reject(error) : resolve(bound),
      ),
    );
    try {
      const client = new Client(`127.0.0.1:${slowPort}`, credentials.createInsecure());
      clients.push(client);
      const cancelled = (deadlineExceeded?: boolean) =>
        new Promise<Outcome>((resolve) => {
          const handle = directUnaryCall(client, METHODS.Headers, 'x', new Metadata(), Infinity, (error, value) =>
            resolve(
              error ? { error: { code: error.code, details: error.details, message: error.message } } : { value },
            ),
          );
          setTimeout(() => handle.cancel(deadlineExceeded), 20);
        });
      // The first call runs while the channel connects (full path), the later ones on the fast lane.
      for (let round = 0; round < 2; round++) {
        expect((await cancelled()).error).toMatchObject({ code: status.CANCELLED, details: 'Cancelled on client' });
        expect((await cancelled(true)).error).toMatchObject({
          code: status.DEADLINE_EXCEEDED,
          details: 'Deadline exceeded',
        });
      }
    } finally {
      slow.forceShutdown();
    }
  });
});

describe('grpcTimeoutHeader', () => {
  it('writes the smallest unit whose amount fits in 8 digits, rounded up, as grpc-js does', () => {
    expect(grpcTimeoutHeader(1_000 + 4_999.2, 1_000)).toBe('5000m');
    expect(grpcTimeoutHeader(500, 1_000)).toBe('0m');
    expect(grpcTimeoutHeader(200_000_000, 0)).toBe('200000S');
    expect(grpcTimeoutHeader(1e8 * 1_000, 0)).toBe('1666667M');
    expect(() => grpcTimeoutHeader(Number.MAX_SAFE_INTEGER, 0)).toThrow(/too far/);
  });
});
