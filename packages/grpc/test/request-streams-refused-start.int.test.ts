/**
 * A request-streaming call refused before it starts (no time left, bad options, a closed client)
 * still closes the caller's requests, as a call that ends early does: a Node stream given as the
 * requests (a file, an upload being passed on) is destroyed rather than left open for good.
 */
import { Readable } from 'node:stream';
import { createGrpcClient, createGrpcServer } from '@switchyard/grpc';
import { describe, expect, it } from 'vitest';
import { cleanupsAfterEach } from './fixtures/cleanups.js';
import { discovered, EchoStreamsService, echoStreamsImplementation } from './fixtures/echo.js';

const cleanups = cleanupsAfterEach();

interface Streams {
  clientStream: { collect(requests: unknown, options?: object): Promise<unknown> };
  bidiStream: { chat(requests: unknown, options?: object): AsyncIterable<unknown> };
  close(): Promise<void>;
}

async function streamsClient(): Promise<Streams> {
  const server = createGrpcServer({
    services: [{ definition: EchoStreamsService, implementation: echoStreamsImplementation('a') }],
  });
  const { discovery } = await discovered(server, cleanups);
  const streams = createGrpcClient({ definition: EchoStreamsService, discovery }) as unknown as Streams;
  cleanups.push(() => streams.close());
  return streams;
}

/** An object-mode stream of requests that never ends by itself (an upload still coming in). */
function openRequests(): Readable {
  const requests = new Readable({ objectMode: true, read() {} });
  requests.push({ message: 'first' });
  cleanups.push(() => requests.destroy());
  return requests;
}

const refusals: [string, () => object, string][] = [
  ['a deadline already passed', () => ({ deadline: Date.now() - 1 }), 'DEADLINE_EXCEEDED'],
  ['bad options', () => ({ deadlineMs: -5 }), 'INVALID_ARGUMENT'],
  ['a closed client', () => ({}), 'UNAVAILABLE'], // ClientClosedError
];

describe('a request-streaming call refused before it starts', () => {
  for (const [why, options, code] of refusals) {
    it(`destroys the caller's request stream: ${why}`, async () => {
      const streams = await streamsClient();
      if (why === 'a closed client') await streams.close();
      const collected = openRequests();
      await expect(streams.clientStream.collect(collected, options())).rejects.toMatchObject({ code });
      expect(collected.destroyed).toBe(true);
      const chatted = openRequests();
      await expect(
        (async () => {
          for await (const _ of streams.bidiStream.chat(chatted, options())) break;
        })(),
      ).rejects.toMatchObject({ code });
      expect(chatted.destroyed).toBe(true);
    });
  }
});
