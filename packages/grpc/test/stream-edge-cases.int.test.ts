/**
 * Streaming calls at their edges, each a defect a review found (every test failed against the code
 * before its fix): the caller's signal after a stream's first message (a timeout is
 * DEADLINE_EXCEEDED, another reason the cause, as before the first message; no message delivered
 * after it aborted); requests read once sent under a deadline past Node's longest timer; a Node Readable given
 * as requests is destroyed when the call ends without reading it to the end; a Promise among the
 * requests (or as a unary request) is refused, not sent as an empty message; a response grpc-js
 * refuses after the handler returned is logged and ends the SERVER span with the client's status; a
 * request grpc-js refuses on the server reaches the handler as the status grpc-js sent, not as a cancel.
 */
import { createServer as createNetServer } from 'node:net';
import { Readable } from 'node:stream';
import * as grpc from '@grpc/grpc-js';
import { SpanKind } from '@opentelemetry/api';
import { createGrpcClient, createGrpcServer } from '@switchyard/grpc';
import { initTracing } from '@switchyard/tracing';
import { describe, expect, it } from 'vitest';
import { cleanupsAfterEach } from './fixtures/cleanups.js';
import {
  discovered,
  discoveredAt,
  discoveredEcho,
  type EchoRequest,
  EchoService,
  EchoStreamsService,
  echoStreamsImplementation,
} from './fixtures/echo.js';
import { recordingLogger } from './fixtures/recording-logger.js';

const cleanups = cleanupsAfterEach();

type Reply = { message: string; servedBy: string };
interface Streams {
  clientStream: { collect(requests: unknown, options?: object): Promise<Reply> };
  bidiStream: { chat(requests: unknown, options?: object): AsyncIterable<Reply> };
  close(): Promise<void>;
}
interface Echo {
  say(request: object, options?: object): Promise<Reply>;
  stream: { count(request: object, options?: object): AsyncIterable<Reply> };
  close(): Promise<void>;
}

/** A client of an EchoStreams server running the fixture. */
async function streamsClient(options: object = {}): Promise<Streams> {
  const server = createGrpcServer({
    services: [{ definition: EchoStreamsService, implementation: echoStreamsImplementation('a') }],
  });
  const { discovery } = await discovered(server, cleanups);
  const streams = createGrpcClient({ definition: EchoStreamsService, discovery, ...options }) as unknown as Streams;
  cleanups.push(() => streams.close());
  return streams;
}

/** A client of `discovery`'s EchoStreams with one attempt per call (policy: false), closed after the test. */
function singleAttemptStreams(discovery: Parameters<typeof createGrpcClient>[0]['discovery']): Streams {
  const streams = createGrpcClient({ definition: EchoStreamsService, discovery, policy: false }) as unknown as Streams;
  cleanups.push(() => streams.close());
  return streams;
}

/** What iterating `iterable` to its end ends with: the messages, then the error's code (or `end`). */
async function drain(iterable: AsyncIterable<Reply>): Promise<{ messages: string[]; error: unknown }> {
  const messages: string[] = [];
  try {
    for await (const reply of iterable) messages.push(reply.message);
    return { messages, error: undefined };
  } catch (error) {
    return { messages, error };
  }
}

describe("the caller's signal after a stream's first message", () => {
  it('an AbortSignal.timeout() ends a server stream DEADLINE_EXCEEDED, as it ends a unary call', async () => {
    const { discovery } = await discoveredEcho(cleanups);
    const echo = createGrpcClient({ definition: EchoService, discovery }) as unknown as Echo;
    cleanups.push(() => echo.close());
    // The unary call reads the timeout as a timeout (toCancelled): DEADLINE_EXCEEDED.
    await expect(
      echo.say({ message: 'x', delayMs: 1_000 }, { signal: AbortSignal.timeout(100) }),
    ).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' });
    // The same signal on a stream that already delivered: it was CANCELLED ("Cancelled on client").
    const { messages, error } = await drain(
      echo.stream.count({ count: 20, intervalMs: 50 }, { signal: AbortSignal.timeout(150) }),
    );
    expect(messages.length).toBeGreaterThan(0);
    expect(error).toMatchObject({ code: 'DEADLINE_EXCEEDED' });
  });

  it("keeps the caller's abort reason as the cause, for a bidirectional call too", async () => {
    const streams = await streamsClient();
    const reason = new Error('the user closed the page');
    const controller = new AbortController();
    async function* slow(): AsyncGenerator<EchoRequest> {
      for (let index = 0; index < 50; index++) {
        yield { message: `m${index}` };
        await new Promise((resolve) => setTimeout(resolve, 30));
      }
    }
    setTimeout(() => controller.abort(reason), 100);
    const { messages, error } = await drain(streams.bidiStream.chat(slow(), { signal: controller.signal }));
    expect(messages.length).toBeGreaterThan(0);
    expect(error).toMatchObject({ code: 'CANCELLED' });
    // A unary call (and the same stream before its first message) has the reason as its cause;
    // past the first message it was grpc-js's ServiceError "1 CANCELLED: Cancelled on client".
    expect((error as Error).cause).toBe(reason);
  });

  it('delivers no message after it aborted, even those grpc-js had buffered', async () => {
    // The server sends 40 messages at once, then holds the stream open.
    const server = createGrpcServer({
      services: [
        {
          definition: EchoService,
          implementation: {
            say: () => ({ message: '', servedBy: 'a' }),
            async *count(_request: unknown, context: { signal: AbortSignal }) {
              for (let index = 0; index < 40; index++) yield { message: String(index), servedBy: 'a' };
              await new Promise((resolve) => context.signal.addEventListener('abort', resolve, { once: true }));
            },
          },
        },
      ],
    });
    const { discovery } = await discovered(server, cleanups);
    const echo = createGrpcClient({ definition: EchoService, discovery }) as unknown as Echo;
    cleanups.push(() => echo.close());
    const reason = new Error('the user went elsewhere');
    const controller = new AbortController();
    const messages: string[] = [];
    let error: unknown;
    try {
      for await (const reply of echo.stream.count({}, { signal: controller.signal, deadlineMs: 5_000 })) {
        messages.push(reply.message);
        if (messages.length === 3) {
          // Busy with a message while the rest arrive (buffered by grpc-js), then the caller gives up.
          await new Promise((resolve) => setTimeout(resolve, 200));
          controller.abort(reason);
        }
      }
    } catch (caught) {
      error = caught;
    }
    // Before the fix: the 16 messages grpc-js had buffered came after the abort, then CANCELLED.
    expect(messages).toEqual(['0', '1', '2']);
    expect(error).toMatchObject({ code: 'CANCELLED' });
    expect((error as Error).cause).toBe(reason);
  });
});

describe('requests read once, on a channel still connecting', () => {
  it('are sent under a deadline more than ~24.8 days away (past the longest Node timer)', async () => {
    // The client's first call: its channel is still connecting, so the requests wait for it.
    const streams = await streamsClient();
    async function* generate(): AsyncGenerator<EchoRequest> {
      yield { message: 'far' };
      yield { message: 'off' };
    }
    // Before the fix: the wait for the connection was given the deadline itself, a timer Node fires
    // after 1 ms when over 2^31-1 ms (TimeoutOverflowWarning); the wait then gave up, the requests
    // were never sent, and the call hung, its server waiting for them, until that deadline.
    const call = streams.clientStream.collect(generate(), { deadlineMs: 30 * 86_400_000 });
    const outcome = await Promise.race([
      call,
      new Promise((resolve) => setTimeout(() => resolve('still waiting after 3 s'), 3_000)),
    ]);
    expect(outcome).toMatchObject({ message: 'far off' });
  });
});

describe('a Node Readable given as requests', () => {
  it('is destroyed when the call ends at its deadline while the Readable has nothing to give', async () => {
    const streams = await streamsClient();
    // An object-mode source (a socket's parsed lines, say) that gave one request and went quiet.
    const readable = new Readable({ objectMode: true, read() {} });
    readable.push({ message: 'one' });
    await expect(streams.clientStream.collect(readable, { deadlineMs: 300 })).rejects.toMatchObject({
      code: 'DEADLINE_EXCEEDED',
    });
    // iterator.return() on the Readable's async iterator waits behind its pending next(): the
    // stream (and what it holds: a socket, a file) stayed open for good.
    await expect.poll(() => readable.destroyed, { timeout: 1_000 }).toBe(true);
  });

  it('is destroyed when the call fails before reading it (the instance is down)', async () => {
    const listener = createNetServer();
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    const port = (listener.address() as { port: number }).port;
    await new Promise((resolve) => listener.close(resolve));
    const discovery = await discoveredAt(port, cleanups);
    const streams = singleAttemptStreams(discovery);
    const readable = Readable.from([{ message: 'one' }, { message: 'two' }]);
    await expect(streams.clientStream.collect(readable, { deadlineMs: 2_000 })).rejects.toMatchObject({
      code: 'UNAVAILABLE',
    });
    // return() on an async generator that never started does nothing: the Readable stays open.
    await expect.poll(() => readable.destroyed, { timeout: 1_000 }).toBe(true);
  });
});

describe('request validation', () => {
  it('does not send a Promise in the requests as an empty message', async () => {
    const streams = await streamsClient();
    // `for await` over these would await each; the call sent each Promise as an empty EchoRequest
    // and the server joined two empty messages: " ".
    const outcome = await streams.clientStream
      .collect([Promise.resolve({ message: 'a' }), Promise.resolve({ message: 'b' })])
      .then(
        (reply) => reply.message,
        (error: { code?: string; field?: string }) => `${error.code} ${error.field}`,
      );
    expect(['a b', 'INVALID_ARGUMENT requests[0]']).toContain(outcome);
  });

  it('refuses a Promise given as a unary request, saying to await it', async () => {
    const { discovery } = await discoveredEcho(cleanups);
    const echo = createGrpcClient({ definition: EchoService, discovery }) as unknown as Echo;
    cleanups.push(() => echo.close());
    const pending = Promise.resolve({ message: 'x' });
    await expect(echo.say(pending as unknown as object)).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      field: 'request',
      message: expect.stringContaining('a Promise (await it first)'),
    });
  });
});

describe('a server-stream response grpc-js refuses after the handler has returned', () => {
  it('is still logged, and ends the SERVER span with the status the client got', async () => {
    const { logger, logged } = recordingLogger();
    const server = createGrpcServer({
      logger,
      channelOptions: { 'grpc.max_send_message_length': 1_000 },
      services: [
        {
          definition: EchoService,
          implementation: {
            say: async () => ({ message: 'x' }),
            // Two messages, the last over the limit: it is still queued behind the first (whose write
            // has not called back) when the generator returns.
            async *count() {
              yield { message: 'fits' };
              yield { message: 'y'.repeat(2_000) };
            },
          },
        },
      ],
    });
    const { discovery } = await discovered(server, cleanups);
    const tracing = initTracing({ serviceName: 'review-late-refusal', exporter: 'memory' });
    cleanups.push(() => tracing.shutdown());
    const echo = createGrpcClient({ definition: EchoService, discovery }) as unknown as Echo;
    cleanups.push(() => echo.close());
    const { messages, error } = await drain(echo.stream.count({ count: 2 }));
    expect(messages).toEqual(['fits']);
    expect(error).toMatchObject({ code: 'RESOURCE_EXHAUSTED' });
    const serverSpans = () => tracing.getFinishedSpans().filter((span) => span.kind === SpanKind.SERVER);
    await expect.poll(() => serverSpans().length, { timeout: 2_000 }).toBe(1);
    // The handler had returned: the span had ended OK and nothing was logged, while the client got
    // grpc-js's RESOURCE_EXHAUSTED for the queued message.
    expect(serverSpans()[0]?.attributes['rpc.grpc.status_code']).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(logged).toEqual([
      "switchyard grpc: the response is over the server's grpc.max_send_message_length; the client got RESOURCE_EXHAUSTED",
    ]);
  });
});

describe("a request stream that grpc-js ends on the server's side", () => {
  it("tells the handler the status grpc-js sent for a request over the server's receive limit, not that the client cancelled", async () => {
    const outcomes: { error?: unknown }[] = [];
    const server = createGrpcServer({
      channelOptions: { 'grpc.max_receive_message_length': 1_000 },
      services: [
        {
          definition: EchoStreamsService,
          implementation: echoStreamsImplementation('a', (outcome) => outcomes.push(outcome)),
        },
      ],
    });
    const { discovery } = await discovered(server, cleanups);
    const tracing = initTracing({ serviceName: 'grpc-js-refused-request', exporter: 'memory' });
    cleanups.push(() => tracing.shutdown());
    const streams = singleAttemptStreams(discovery);
    async function* requests(): AsyncGenerator<EchoRequest> {
      yield { message: 'fits' };
      await new Promise((resolve) => setTimeout(resolve, 50));
      yield { message: 'y'.repeat(2_000) };
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    await expect(streams.clientStream.collect(requests())).rejects.toMatchObject({ code: 'RESOURCE_EXHAUSTED' });
    await expect.poll(() => outcomes.length, { timeout: 2_000 }).toBe(1);
    // It read "…/Collect: cancelled by the client" (CANCELLED), and the SERVER span said CANCELLED.
    expect(outcomes[0]?.error).toMatchObject({ code: 'RESOURCE_EXHAUSTED' });
    const serverSpans = () => tracing.getFinishedSpans().filter((span) => span.kind === SpanKind.SERVER);
    await expect.poll(() => serverSpans().length, { timeout: 2_000 }).toBe(1);
    expect(serverSpans()[0]?.attributes['rpc.grpc.status_code']).toBe(grpc.status.RESOURCE_EXHAUSTED);
  });
});
