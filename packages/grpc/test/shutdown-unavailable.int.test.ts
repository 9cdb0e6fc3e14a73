/**
 * A call still in flight when shutdown()'s grace runs out is answered UNAVAILABLE ("this server went
 * away, try again elsewhere"), as grpc-go's Stop() answers it, before the connections are closed.
 * grpc-js's forceShutdown() alone reset each stream (RST_STREAM CANCEL), which clients read as
 * CANCELLED, the caller's own cancellation: not retried even where the method is idempotent, not
 * counted by a breaker or outlier detection, a streaming consumer not reconnecting. Real servers on
 * loopback; plain grpc-js clients for the four kinds of call, a Switchyard client for the failover.
 */
import { connect } from 'node:http2';
import * as grpc from '@grpc/grpc-js';
import { createDiscovery } from '@switchyard/discovery';
import { createGrpcClient, createGrpcServer, type GrpcHandlerContext } from '@switchyard/grpc';
import { MemoryRegistry } from '@switchyard/registry';
import { retry } from '@switchyard/resilience';
import { describe, expect, it } from 'vitest';
import { cleanupsAfterEach } from './fixtures/cleanups.js';
import { EchoService, EchoStreamsService, type EchoSayClient } from './fixtures/echo.js';
import { recordingLogger } from './fixtures/recording-logger.js';

const cleanups = cleanupsAfterEach();

const GRACE_MS = 200;
const SHUTDOWN_DETAILS = new RegExp(
  `^server shutting down: the call did not finish within the shutdown grace \\(${GRACE_MS} ms\\)$`,
);

type Reply = { message: string; servedBy: string };
type Method = grpc.MethodDefinition<object, Reply>;

/** Resolves after `signal` aborts. */
function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves once `ready()` is true (polled, bounded). */
async function until(ready: () => boolean): Promise<void> {
  for (let i = 0; i < 300 && !ready(); i++) await sleep(10);
  expect(ready()).toBe(true);
}

/**
 * A server of Echo and EchoStreams whose four handlers never finish within the grace: each records
 * its signal, waits for it to abort, and then, ignoring it, still replies or writes (which must go
 * nowhere, and crash nothing).
 */
async function stuckServer() {
  const { logger, logged } = recordingLogger();
  const signals = new Map<string, AbortSignal>();
  const reply = (message: string): Reply & { remainingMs: number; traceId: string } => ({
    message,
    servedBy: 'a',
    remainingMs: 0,
    traceId: '',
  });
  const server = createGrpcServer({
    logger,
    services: [
      {
        definition: EchoService,
        implementation: {
          async say(_request: object, context: GrpcHandlerContext) {
            signals.set('say', context.signal);
            await aborted(context.signal);
            await sleep(20);
            return reply('late');
          },
          async *count(_request: object, context: GrpcHandlerContext) {
            signals.set('count', context.signal);
            yield reply('first');
            await aborted(context.signal);
            await sleep(20);
            yield reply('late');
          },
        },
      },
      {
        definition: EchoStreamsService,
        implementation: {
          async collect(requests: AsyncIterable<{ message: string }>, context: GrpcHandlerContext) {
            signals.set('collect', context.signal);
            try {
              for await (const _ of requests) {
                // read on: the client never ends its requests
              }
            } catch {
              // the signal's reason, once the call ended under the handler
            }
            await sleep(20);
            return reply('late');
          },
          async *chat(requests: AsyncIterable<{ message: string }>, context: GrpcHandlerContext) {
            signals.set('chat', context.signal);
            try {
              for await (const { message } of requests) yield reply(message.toUpperCase());
            } catch {
              // as above
            }
            await sleep(20);
            yield reply('late');
          },
        },
      },
    ],
  });
  const port = await server.listen(0, '127.0.0.1');
  cleanups.push(() => server.shutdown(0));
  return { server, port, signals, logged };
}

type Outcome = { code?: number; details?: string; messages: string[] };

/** The plain grpc-js client's four calls, each settling with its status and the messages it got. */
function plainCalls(plain: grpc.Client) {
  const deadline = Date.now() + 10_000;
  const unary = new Promise<Outcome>((resolve) => {
    const say = EchoService.Say as unknown as Method;
    plain.makeUnaryRequest(say.path, say.requestSerialize, say.responseDeserialize, {}, { deadline }, (error) =>
      resolve({ code: error?.code, details: error?.details, messages: [] }),
    );
  });
  const streamed = (call: grpc.ClientReadableStream<Reply>): Promise<Outcome> =>
    new Promise((resolve) => {
      const messages: string[] = [];
      call.on('data', (reply: Reply) => messages.push(reply.message));
      call.on('error', () => {}); // the status says it
      call.on('status', (status: grpc.StatusObject) =>
        resolve({ code: status.code, details: status.details, messages }),
      );
    });
  const count = EchoService.Count as unknown as Method;
  const serverStream = streamed(
    plain.makeServerStreamRequest(count.path, count.requestSerialize, count.responseDeserialize, {}, { deadline }),
  );
  const collect = EchoStreamsService.Collect as unknown as Method;
  const clientStream = new Promise<Outcome>((resolve) => {
    const call = plain.makeClientStreamRequest(
      collect.path,
      collect.requestSerialize,
      collect.responseDeserialize,
      new grpc.Metadata(),
      { deadline },
      (error) => resolve({ code: error?.code, details: error?.details, messages: [] }),
    );
    call.write({ message: 'one' }); // and never ends its requests
  });
  const chat = EchoStreamsService.Chat as unknown as Method;
  const chatCall = plain.makeBidiStreamRequest(
    chat.path,
    chat.requestSerialize,
    chat.responseDeserialize,
    new grpc.Metadata(),
    { deadline },
  );
  const bidi = streamed(chatCall);
  chatCall.write({ message: 'hello' }); // and never ends its requests
  return { unary, serverStream, clientStream, bidi };
}

describe('shutdown() at the end of its grace', () => {
  it('answers every kind of call still in flight UNAVAILABLE, and aborts its handler', async () => {
    const { server, port, signals, logged } = await stuckServer();
    const plain = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    cleanups.push(() => plain.close());
    const calls = plainCalls(plain);
    await until(() => signals.size === 4 && server.inFlight === 4);
    // The streams have sent their first answers: the status goes after them, as trailers.
    await sleep(50);

    const started = performance.now();
    await server.shutdown(GRACE_MS);
    // The handlers returned, 20 ms after their signals aborted: no waiting out HANDLER_UNWIND_MS.
    expect(performance.now() - started).toBeLessThan(GRACE_MS + 900);
    expect(server.inFlight).toBe(0);

    const unavailable = { code: grpc.status.UNAVAILABLE, details: expect.stringMatching(SHUTDOWN_DETAILS) };
    // It was CANCELLED ("Call cancelled") for each: forceShutdown() reset the streams.
    expect(await calls.unary).toEqual({ ...unavailable, messages: [] });
    expect(await calls.serverStream).toEqual({ ...unavailable, messages: ['first'] });
    expect(await calls.clientStream).toEqual({ ...unavailable, messages: [] });
    expect(await calls.bidi).toEqual({ ...unavailable, messages: ['HELLO'] });
    for (const name of ['say', 'count', 'collect', 'chat']) {
      expect(signals.get(name)?.aborted, name).toBe(true);
    }
    // What the handlers sent after their calls were answered went nowhere, and alarmed nobody.
    expect(logged).toEqual(['switchyard grpc: calls still running after the grace period; answering them UNAVAILABLE']);
  });

  it('lets an idempotent call through a Switchyard client fail over to another instance', async () => {
    const registry = new MemoryRegistry();
    cleanups.push(() => registry.close());
    const stuck = await stuckServer();
    const healthy = createGrpcServer({
      services: [
        {
          definition: EchoService,
          implementation: {
            async say() {
              return { message: 'ok', servedBy: 'b', remainingMs: 0, traceId: '' };
            },
          },
        },
      ],
    });
    const healthyPort = await healthy.listen(0, '127.0.0.1');
    cleanups.push(() => healthy.shutdown(0));
    await registry.register({ id: 'a', service: 'echo', host: '127.0.0.1', ports: { grpc: stuck.port } });
    await registry.register({ id: 'b', service: 'echo', host: '127.0.0.1', ports: { grpc: healthyPort } });
    const discovery = createDiscovery({ registry, service: 'echo', balancer: 'maglev', outlierDetection: false });
    cleanups.push(() => discovery.close());
    await discovery.ready();
    const echo = createGrpcClient({
      definition: EchoService,
      discovery,
      idempotentMethods: ['Say'],
      policy: retry({ maxAttempts: 2, budget: false, backoff: { initialMs: 1, maxMs: 2 } }),
    }) as unknown as EchoSayClient;
    cleanups.push(() => echo.close());
    // A key maglev routes to the stuck instance `a`.
    let key = '';
    for (let user = 0; key === ''; user++) {
      const lease = discovery.pick({ key: `user-${user}` });
      lease.done({ ok: false, latencyMs: 0, notSent: true });
      if (lease.instance.id === 'a') key = `user-${user}`;
    }

    const answer = echo.say({ message: 'x' }, { key, deadlineMs: 10_000 }).then(
      (reply) => reply,
      (error: unknown) => error,
    );
    await until(() => stuck.signals.has('say'));
    await stuck.server.shutdown(GRACE_MS);
    // CANCELLED was not retried: the call failed with it.
    expect(await answer).toMatchObject({ servedBy: 'b' });
  });

  it('gives a Switchyard client UNAVAILABLE with the reason, unary and streaming', async () => {
    const stuck = await stuckServer();
    const registry = new MemoryRegistry();
    cleanups.push(() => registry.close());
    await registry.register({ id: 'a', service: 'echo', host: '127.0.0.1', ports: { grpc: stuck.port } });
    const discovery = createDiscovery({ registry, service: 'echo' });
    cleanups.push(() => discovery.close());
    await discovery.ready();
    const echo = createGrpcClient({ definition: EchoService, discovery, policy: false }) as unknown as {
      say(request: object, options?: object): Promise<unknown>;
      stream: { count(request: object, options?: object): AsyncIterable<Reply> };
    };
    cleanups.push(() => (echo as unknown as EchoSayClient).close());
    const unary = echo.say({ message: 'x' }, { deadlineMs: 10_000 }).then(
      () => undefined,
      (error: unknown) => error,
    );
    const counted: string[] = [];
    const streamed = (async () => {
      try {
        for await (const reply of echo.stream.count({ count: 1 }, { deadlineMs: 10_000 })) counted.push(reply.message);
      } catch (error) {
        return error;
      }
      return undefined;
    })();
    await until(() => stuck.signals.has('say') && stuck.signals.has('count') && counted.length === 1);
    await stuck.server.shutdown(GRACE_MS);
    const expected = {
      code: 'UNAVAILABLE',
      grpcCode: grpc.status.UNAVAILABLE,
      details: expect.stringMatching(SHUTDOWN_DETAILS),
    };
    expect(await unary).toMatchObject(expected);
    expect(await streamed).toMatchObject(expected);
    expect(counted).toEqual(['first']);
  });

  it('closes a connection whose client reads nothing once the answers had their time', async () => {
    // A stream the client stopped reading: its answer cannot go out behind the messages it has not
    // taken, and the graceful close never ends; forceShutdown() closes it after the flush time.
    let signal: AbortSignal | undefined;
    let written = 0;
    const server = createGrpcServer({
      services: [
        {
          definition: EchoService,
          implementation: {
            async say() {
              return {};
            },
            async *count(_request: object, context: GrpcHandlerContext) {
              signal = context.signal;
              const big = 'x'.repeat(64 * 1024);
              for (;;) {
                written++;
                yield { message: big, servedBy: 'a', remainingMs: 0, traceId: '' };
              }
            },
          },
        },
      ],
    });
    const port = await server.listen(0, '127.0.0.1');
    cleanups.push(() => server.shutdown(0));
    // A raw HTTP/2 client, which never reads the responses (a grpc-js client reads on into its buffer).
    const session = connect(`http://127.0.0.1:${port}`);
    cleanups.push(() => session.destroy());
    session.on('error', () => {});
    const stream = session.request({
      ':method': 'POST',
      ':path': '/switchyard.echo.v1.Echo/Count',
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    stream.on('error', () => {});
    // One empty CountRequest, uncompressed.
    stream.end(Buffer.from([0, 0, 0, 0, 0]));
    // Backed up: the handler writes no more.
    await until(() => written > 0);
    let settled = -1;
    for (let i = 0; i < 100 && settled !== written; i++) {
      settled = written;
      await sleep(20);
    }

    const started = performance.now();
    await server.shutdown(GRACE_MS);
    const tookMs = performance.now() - started;
    expect(tookMs).toBeGreaterThanOrEqual(GRACE_MS - 5);
    expect(tookMs).toBeLessThan(GRACE_MS + 1_000 + 1_000);
    expect(signal?.aborted).toBe(true);
    expect(server.inFlight).toBe(0);
  });

  it('still closes at once, answering nothing, when nothing is in flight', async () => {
    const { server } = await stuckServer();
    const started = performance.now();
    await server.shutdown(GRACE_MS);
    expect(performance.now() - started).toBeLessThan(GRACE_MS);
  });
});
