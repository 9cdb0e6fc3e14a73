/**
 * A request over the client's own send limit (`grpc.max_send_message_length`) never leaves the
 * client: grpc-js fails it with RESOURCE_EXHAUSTED "Attempted to send message with a size larger
 * than N". It says nothing about the instance or the service: the client fails it as the caller's
 * INVALID_ARGUMENT naming `request` (`requests` for a call whose requests stream), as it does a
 * request that does not serialize, and neither the retry nor the circuit breaker counts it.
 * Before the fix: reported as the instance's overload and counted by the breaker, so oversized
 * requests opened it and later, well-formed calls failed CIRCUIT_OPEN.
 */
import { createGrpcClient, createGrpcServer } from '@switchyard/grpc';
import { describe, expect, it } from 'vitest';
import {
  discovered,
  discoveredEcho,
  EchoService,
  EchoStreamsService,
  echoStreamsImplementation,
} from './fixtures/echo.js';
import { cleanupsAfterEach } from './fixtures/cleanups.js';

const cleanups = cleanupsAfterEach();

type Reply = { message: string };
type Echo = {
  say(request: object, options?: object): Promise<Reply>;
  close(): Promise<void>;
};
type Streams = {
  clientStream: { collect(requests: unknown, options?: object): Promise<Reply> };
  bidiStream: { chat(requests: unknown, options?: object): AsyncIterable<Reply> };
  close(): Promise<void>;
};

const SEND_LIMIT = { 'grpc.max_send_message_length': 1_024 };
const OVERSIZED = { message: 'x'.repeat(2_000) };

async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

async function streamsClient(): Promise<Streams> {
  const server = createGrpcServer({
    services: [{ definition: EchoStreamsService, implementation: echoStreamsImplementation('a') }],
  });
  const { discovery } = await discovered(server, cleanups);
  const streams = createGrpcClient({
    definition: EchoStreamsService,
    discovery,
    channelOptions: SEND_LIMIT,
  }) as unknown as Streams;
  cleanups.push(() => streams.close());
  return streams;
}

describe("requests over the client's own send limit", () => {
  it('fail INVALID_ARGUMENT naming the request, and do not open the breaker for the calls that fit', async () => {
    const { discovery } = await discoveredEcho(cleanups);
    const echo = createGrpcClient({
      definition: EchoService,
      discovery,
      channelOptions: SEND_LIMIT,
    }) as unknown as Echo;
    cleanups.push(() => echo.close());
    expect((await echo.say({ message: 'fits' })).message).toBe('fits');
    const failures: unknown[] = [];
    for (let i = 0; i < 25; i++) failures.push(await failureOf(echo.say(OVERSIZED)));
    for (const failure of failures) {
      expect(failure).toMatchObject({
        code: 'INVALID_ARGUMENT',
        field: 'request',
        message: expect.stringContaining('grpc.max_send_message_length'),
      });
    }
    // Nothing was sent to the service: a call that fits still goes through (not CIRCUIT_OPEN).
    expect(await echo.say({ message: 'fits' })).toMatchObject({ message: 'fits' });
  });

  it('in a client-streaming call, fail INVALID_ARGUMENT naming the requests, and do not open the breaker', async () => {
    const streams = await streamsClient();
    for (let i = 0; i < 25; i++) {
      const failure = await failureOf(streams.clientStream.collect([{ message: 'a' }, OVERSIZED]));
      expect(failure).toMatchObject({ code: 'INVALID_ARGUMENT', field: 'requests' });
    }
    expect(await streams.clientStream.collect([{ message: 'a' }, { message: 'b' }])).toMatchObject({ message: 'a b' });
  });

  it('in a bidirectional call past its first reply, fail INVALID_ARGUMENT naming the requests', async () => {
    const streams = await streamsClient();
    async function* requests() {
      yield { message: 'a' };
      await new Promise((resolve) => setTimeout(resolve, 50)); // the first reply comes back meanwhile
      yield OVERSIZED;
    }
    const replies: string[] = [];
    const failure = await failureOf(
      (async () => {
        for await (const reply of streams.bidiStream.chat(requests())) replies.push(reply.message);
      })(),
    );
    expect(replies).toEqual(['A']);
    expect(failure).toMatchObject({ code: 'INVALID_ARGUMENT', field: 'requests' });
  });
});
