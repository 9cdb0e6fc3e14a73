/**
 * A status whose details hold a lone surrogate (an error message quoting a caller's input, which
 * JSON or protobuf may carry as `\ud800`): grpc-js sends details through `encodeURI`, which throws
 * on one, so the reply never left and the caller waited out its whole deadline.
 */
import * as grpc from '@grpc/grpc-js';
import { InvalidArgumentError } from '@switchyard/core';
import { createGrpcServer } from '@switchyard/grpc';
import { expect, it } from 'vitest';
import { EchoService } from './fixtures/echo.js';
import { cleanupsAfterEach } from './fixtures/cleanups.js';

const cleanups = cleanupsAfterEach();

type Method = grpc.MethodDefinition<object, object>;
const say = EchoService.Say as unknown as Method;
const count = EchoService.Count as unknown as Method;

async function serving(): Promise<grpc.Client> {
  const server = createGrpcServer({
    services: [
      {
        definition: EchoService,
        implementation: {
          say: async ({ message }: { message: string }) => {
            throw new InvalidArgumentError('message', `no such product ${message}\ud800`);
          },
          // biome-ignore lint/correctness/useYield: fails before its first message, on purpose
          count: async function* ({ count }: { count: number }) {
            throw new InvalidArgumentError('count', `no such count ${count}\ud800`);
          },
        },
      },
    ],
  });
  const port = await server.listen(0, '127.0.0.1');
  cleanups.push(() => server.shutdown(100));
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  cleanups.push(() => client.close());
  return client;
}

it('answers a unary call whose error message holds a lone surrogate, with U+FFFD in its place', async () => {
  const client = await serving();
  const failure = await new Promise<grpc.ServiceError>((resolve) => {
    client.makeUnaryRequest(
      say.path,
      say.requestSerialize,
      say.responseDeserialize,
      { message: 'x' },
      { deadline: Date.now() + 2_000 },
      (error) => resolve(error as grpc.ServiceError),
    );
  });
  // Before: DEADLINE_EXCEEDED after 2 s, the reply having failed on the server.
  expect(failure.code).toBe(grpc.status.INVALID_ARGUMENT);
  expect(failure.details).toBe('message: no such product x\ufffd');
});

it('ends a stream whose error message holds a lone surrogate, with U+FFFD in its place', async () => {
  const client = await serving();
  const stream = client.makeServerStreamRequest(
    count.path,
    count.requestSerialize,
    count.responseDeserialize,
    { count: 3 },
    { deadline: Date.now() + 2_000 },
  );
  const failure = await new Promise<grpc.ServiceError>((resolve) => {
    stream.on('data', () => {});
    stream.on('error', (error) => resolve(error as grpc.ServiceError));
  });
  expect(failure.code).toBe(grpc.status.INVALID_ARGUMENT);
  expect(failure.details).toBe('count: no such count 3\ufffd');
});
