import {
  Client,
  credentials,
  Metadata,
  type MethodDefinition,
  Server,
  ServerCredentials,
  type ServiceError,
  status,
} from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directUnaryCall } from './direct-unary-call.js';

// directUnaryCall must be a drop-in for client.makeUnaryRequest: every case below runs through
// both, on a real grpc-js server over loopback, and their outcomes are compared.

const text = {
  serialize: (value: string) => Buffer.from(value, 'utf8'),
  deserialize: (bytes: Buffer) => bytes.toString('utf8'),
};
/** Replies are numbers: an answer that is not one fails to parse. */
const numberReply = (bytes: Buffer): number => {
  const value = Number(bytes.toString('utf8'));
  if (Number.isNaN(value)) throw new Error(`not a number: ${bytes.toString('utf8')}`);
  return value;
};
const method = (name: string): MethodDefinition<string, number> => ({
  path: `/test.Direct/${name}`,
  requestStream: false,
  responseStream: false,
  requestSerialize: (value: string) => {
    if (typeof value !== 'string') throw new TypeError('request must be a string');
    return text.serialize(value);
  },
  requestDeserialize: text.deserialize,
  responseSerialize: (value: number) => Buffer.from(String(value)),
  responseDeserialize: numberReply,
});
const METHODS = { Length: method('Length'), Fail: method('Fail'), Garbage: method('Garbage'), Slow: method('Slow') };

let server: Server;
let client: Client;

beforeAll(async () => {
  server = new Server();
  server.addService(
    {
      Length: { ...METHODS.Length, responseSerialize: (value: number) => Buffer.from(String(value)) },
      Fail: METHODS.Fail,
      Garbage: { ...METHODS.Garbage, responseSerialize: (value: unknown) => Buffer.from(String(value)) },
      Slow: METHODS.Slow,
    },
    {
      Length: (call: { request: string }, callback: (error: null, value: number) => void) =>
        callback(null, call.request.length),
      Fail: (_call: unknown, callback: (error: Partial<ServiceError>) => void) => {
        const trailers = new Metadata();
        trailers.set('x-reason', 'out-of-stock');
        callback({ code: status.FAILED_PRECONDITION, details: 'sku-1 is out of stock', metadata: trailers });
      },
      Garbage: (_call: unknown, callback: (error: null, value: unknown) => void) => callback(null, 'not-a-number'),
      Slow: (_call: unknown, callback: (error: null, value: number) => void) =>
        setTimeout(() => callback(null, 1), 2_000).unref(),
    },
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  client = new Client(`127.0.0.1:${port}`, credentials.createInsecure());
});

afterAll(() => {
  client?.close();
  server?.forceShutdown();
});

interface Outcome {
  code?: number;
  details?: string;
  message?: string;
  reason?: unknown;
  value?: number;
}

function outcomeOf(error: ServiceError | null, value: number | undefined): Outcome {
  if (!error) return { value };
  return { code: error.code, details: error.details, message: error.message, reason: error.metadata?.get('x-reason') };
}

function viaDirect(name: keyof typeof METHODS, request: unknown, deadline = Number.POSITIVE_INFINITY) {
  return new Promise<Outcome>((resolve) =>
    directUnaryCall(client, METHODS[name], request as string, new Metadata(), deadline, (error, value) =>
      resolve(outcomeOf(error, value)),
    ),
  );
}

function viaGrpcJs(name: keyof typeof METHODS, request: unknown, deadline = Number.POSITIVE_INFINITY) {
  const definition = METHODS[name];
  return new Promise<Outcome>((resolve) =>
    client.makeUnaryRequest(
      definition.path,
      definition.requestSerialize,
      definition.responseDeserialize,
      request as string,
      new Metadata(),
      { deadline },
      (error, value) => resolve(outcomeOf(error, value)),
    ),
  );
}

describe('directUnaryCall, against client.makeUnaryRequest', () => {
  it.each([
    ['a reply', 'Length', 'hello'],
    ['an error status with trailers', 'Fail', 'x'],
    ['a reply that cannot be parsed', 'Garbage', 'x'],
    ['a request that cannot be serialised', 'Length', 42],
  ] as const)('%s: the same outcome', async (_case, name, request) => {
    const direct = await viaDirect(name, request);
    expect(direct).toEqual(await viaGrpcJs(name, request));
    expect(direct).toMatchSnapshot();
  });

  it('a deadline: DEADLINE_EXCEEDED, like grpc-js', async () => {
    const direct = await viaDirect('Slow', 'x', Date.now() + 100);
    expect(direct.code).toBe(status.DEADLINE_EXCEEDED);
    expect((await viaGrpcJs('Slow', 'x', Date.now() + 100)).code).toBe(status.DEADLINE_EXCEEDED);
  });

  it('cancel(): CANCELLED at once', async () => {
    const started = Date.now();
    const outcome = await new Promise<Outcome>((resolve) => {
      const call = directUnaryCall(
        client,
        METHODS.Slow,
        'x',
        new Metadata(),
        Number.POSITIVE_INFINITY,
        (error, value) => resolve(outcomeOf(error, value)),
      );
      setTimeout(() => call.cancel(), 50);
    });
    expect(outcome.code).toBe(status.CANCELLED);
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
