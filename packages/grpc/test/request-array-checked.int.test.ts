/**
 * Requests given as an array are all at hand: one that is malformed is refused (INVALID_ARGUMENT
 * naming it) before the call starts, and the server never sees the call.
 * Before the fix they were checked one by one as they were written: the call had started, the ones
 * before the bad one were sent, and the cancel that followed reached the handler as the end of its
 * requests (Node's HTTP/2 ends a request stream before it resets it, see the README): the handler
 * ran to completion on part of the batch (here, on none of it) and replied OK to no one, whatever
 * it committed meanwhile.
 */
import { createGrpcClient, createGrpcServer } from '@switchyard/grpc';
import { describe, expect, it } from 'vitest';
import { cleanupsAfterEach } from './fixtures/cleanups.js';
import { discovered, type EchoRequest, EchoStreamsService, echoStreamsImplementation } from './fixtures/echo.js';

const cleanups = cleanupsAfterEach();

interface Streams {
  clientStream: { collect(requests: unknown, options?: object): Promise<{ message: string }> };
  bidiStream: { chat(requests: unknown, options?: object): AsyncIterable<{ message: string }> };
  close(): Promise<void>;
}

/** A server whose handlers count the calls that reached them; a connected client of it. */
async function countingServer() {
  const reached = { collect: 0, chat: 0 };
  const fixture = echoStreamsImplementation('a');
  const server = createGrpcServer({
    services: [
      {
        definition: EchoStreamsService,
        implementation: {
          collect: (requests: AsyncIterable<EchoRequest>, context: never) => {
            reached.collect++;
            return fixture.collect(requests, context);
          },
          chat: (requests: AsyncIterable<EchoRequest>, context: never) => {
            reached.chat++;
            return fixture.chat(requests, context);
          },
        },
      },
    ],
  });
  const { discovery } = await discovered(server, cleanups);
  const streams = createGrpcClient({ definition: EchoStreamsService, discovery }) as unknown as Streams;
  cleanups.push(() => streams.close());
  // Connected: a call starts on the wire at once.
  await streams.clientStream.collect([{ message: 'warm-up' }]);
  reached.collect = 0;
  return { streams, reached };
}

const badBatch = () => [{ message: 'one' }, { message: 'two' }, { message: 3 }];

describe('an array of requests with a malformed one', () => {
  it('fails a client-streaming call naming it, without the server ever seeing the call', async () => {
    const { streams, reached } = await countingServer();
    for (let call = 0; call < 5; call++) {
      await expect(streams.clientStream.collect(badBatch())).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        field: 'requests[2].message',
      });
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(reached.collect).toBe(0);
  });

  it('fails a bidirectional call naming it, without the server ever seeing the call', async () => {
    const { streams, reached } = await countingServer();
    for (let call = 0; call < 5; call++) {
      const replies: string[] = [];
      await expect(
        (async () => {
          for await (const reply of streams.bidiStream.chat(badBatch())) replies.push(reply.message);
        })(),
      ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', field: 'requests[2].message' });
      expect(replies).toEqual([]);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(reached.chat).toBe(0);
  });

  it('a request that is not an object is named too', async () => {
    const { streams, reached } = await countingServer();
    for (let call = 0; call < 5; call++) {
      await expect(streams.clientStream.collect([{ message: 'one' }, { message: 'two' }, 7])).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        field: 'requests[2]',
      });
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(reached.collect).toBe(0);
  });
});
