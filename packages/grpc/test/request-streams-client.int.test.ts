/**
 * createGrpcClient's client-streaming (`client.clientStream`) and bidirectional (`client.bidiStream`)
 * calls against real servers on loopback: requests from arrays and (async) iterables, retries only
 * where the requests can be sent again, bad requests and failing iterables as the caller's errors,
 * deadlines, early stops, and one client span per attempt with the trace carried to the server.
 */
import { status } from '@grpc/grpc-js';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { createDiscovery } from '@switchyard/discovery';
import { createGrpcClient, createGrpcServer, grpcError } from '@switchyard/grpc';
import { MemoryRegistry } from '@switchyard/registry';
import { hedge, retry, retryBudget } from '@switchyard/resilience';
import { initTracing } from '@switchyard/tracing';
import { connect, createServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  discovered,
  discoveredAt,
  type EchoRequest,
  EchoStreamsService,
  echoStreamsImplementation,
} from './fixtures/echo.js';

type Reply = { message: string; servedBy: string; traceId: string };
interface Streams {
  clientStream: { collect(requests: unknown, options?: object): Promise<Reply> };
  bidiStream: { chat(requests: unknown, options?: object): AsyncIterable<Reply> };
  collect(request: object): Promise<Reply>;
  close(): Promise<void>;
}

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** What each instance's handlers saw end: the error their reading ended with, if any. */
type Outcomes = Record<string, { error?: unknown }[]>;

/**
 * Instances of EchoStreams registered as `echo`: `healthy` ones run the fixture, `broken` ones fail
 * every call UNAVAILABLE once they have read its first request (a reply, so it stays in the view).
 */
async function fleet(ids: {
  healthy?: string[];
  broken?: string[];
}): Promise<{ echo: Streams; outcomes: Outcomes; hits: Record<string, number>; registry: MemoryRegistry }> {
  const registry = new MemoryRegistry();
  cleanups.push(() => registry.close());
  const outcomes: Outcomes = {};
  const hits: Record<string, number> = {};
  const start = async (id: string, implementation: object) => {
    const server = createGrpcServer({ services: [{ definition: EchoStreamsService, implementation }] });
    const port = await server.listen(0, '127.0.0.1');
    cleanups.push(() => server.shutdown(100));
    await registry.register({ id, service: 'echo', host: '127.0.0.1', ports: { grpc: port } });
  };
  for (const id of ids.healthy ?? []) {
    outcomes[id] = [];
    const fixture = echoStreamsImplementation(id, (outcome) => outcomes[id]?.push(outcome));
    await start(id, {
      collect: (requests: AsyncIterable<EchoRequest>, context: never) => {
        hits[id] = (hits[id] ?? 0) + 1;
        return fixture.collect(requests, context);
      },
      chat: (requests: AsyncIterable<EchoRequest>, context: never) => {
        hits[id] = (hits[id] ?? 0) + 1;
        return fixture.chat(requests, context);
      },
    });
  }
  for (const id of ids.broken ?? []) {
    const failAfterFirst = async (requests: AsyncIterable<EchoRequest>) => {
      hits[id] = (hits[id] ?? 0) + 1;
      for await (const _ of requests) break;
      throw grpcError(status.UNAVAILABLE, 'alive but broken');
    };
    await start(id, {
      collect: failAfterFirst,
      // biome-ignore lint/correctness/useYield: it fails before its first response
      async *chat(requests: AsyncIterable<EchoRequest>) {
        await failAfterFirst(requests);
      },
    });
  }
  const discovery = createDiscovery({ registry, service: 'echo', balancer: 'round-robin', outlierDetection: false });
  cleanups.push(() => discovery.close());
  await discovery.ready();
  const echo = createGrpcClient({
    definition: EchoStreamsService,
    discovery,
    // Collect and Chat have no side effects: retried after a failure the server replied (a method
    // not known to be idempotent is not: see idempotent-retries).
    idempotentMethods: ['Collect', 'Chat'],
    // Enough attempts to reach a healthy instance, no budget to run out, hardly any backoff.
    policy: retry({ maxAttempts: 3, budget: false, backoff: { initialMs: 1, maxMs: 2 } }),
  }) as unknown as Streams;
  cleanups.push(() => echo.close());
  return { echo, outcomes, hits, registry };
}

/** A loopback port nothing listens on (a server was bound there and closed). */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** An EchoStreams server whose `collect` records, in `seen`, the messages each call it took got. */
function recordingServer() {
  const seen: string[][] = [];
  const server = createGrpcServer({
    services: [
      {
        definition: EchoStreamsService,
        implementation: {
          async collect(requests: AsyncIterable<EchoRequest>) {
            const messages: string[] = [];
            for await (const { message } of requests) messages.push(message ?? '');
            seen.push(messages);
            return { message: messages.join(' '), servedBy: 'a', remainingMs: 0, traceId: '' };
          },
          async *chat() {},
        },
      },
    ],
  });
  return { server, seen };
}

/** Six requests 5 ms apart: slow enough that a hedge starts while the first attempt still sends. */
async function* slowRequests(): AsyncGenerator<EchoRequest> {
  for (let index = 0; index < 6; index++) {
    yield { message: String(index) };
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A plain TCP listener on loopback, handing each connection to `onConnection`; closed, sockets and all, at cleanup. */
async function rawListener(onConnection: (socket: Socket, sockets: Socket[]) => void) {
  const sockets: Socket[] = [];
  const listener = createServer((socket) => {
    sockets.push(socket);
    onConnection(socket, sockets);
  });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => {
    for (const socket of sockets) socket.destroy();
    return new Promise((resolve) => listener.close(resolve));
  });
  return { port: (listener.address() as { port: number }).port, sockets };
}

async function* generate(messages: string[], closed?: { value: boolean }): AsyncGenerator<EchoRequest> {
  try {
    for (const message of messages) yield { message };
  } finally {
    if (closed) closed.value = true;
  }
}

async function collectAll<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

describe('client streaming (client.clientStream)', () => {
  it('sends an array, an iterable or an async iterable of requests and resolves the one response', async () => {
    const { echo } = await fleet({ healthy: ['a'] });
    expect((await echo.clientStream.collect([{ message: 'one' }, { message: 'two' }])).message).toBe('one two');
    const fromSet = new Set([{ message: 'x' }, { message: 'y' }]);
    expect((await echo.clientStream.collect(fromSet)).message).toBe('x y');
    expect((await echo.clientStream.collect(generate(['p', 'q', 'r']))).message).toBe('p q r');
    expect((await echo.clientStream.collect([])).message).toBe('');
  });

  it('retries an array on another instance, but not requests from an iterable already sent', async () => {
    const { echo, hits } = await fleet({ broken: ['broken'], healthy: ['healthy'] });
    // Round-robin starts on either instance: of two calls, at least one meets the broken one first.
    for (let index = 0; index < 2; index++) {
      const reply = await echo.clientStream.collect([{ message: 'a' }, { message: 'b' }]);
      expect(reply).toMatchObject({ message: 'a b', servedBy: 'healthy' });
    }
    expect(hits.broken).toBeGreaterThanOrEqual(1);
    expect(hits.healthy).toBe(2);
    // A generator's requests that reached the broken instance are gone: that call fails there.
    const brokenBefore = hits.broken as number;
    const results = await Promise.allSettled([0, 1].map(() => echo.clientStream.collect(generate(['a', 'b']))));
    const failed = results.filter((result) => result.status === 'rejected') as PromiseRejectedResult[];
    expect(failed).toHaveLength((hits.broken as number) - brokenBefore);
    expect(failed.length).toBeGreaterThanOrEqual(1);
    for (const { reason } of failed) expect(reason).toMatchObject({ code: 'UNAVAILABLE', retryable: false });
    expect(hits.healthy).toBe(2 + results.length - failed.length);
  });

  it('fails at once with the status a handler answers', async () => {
    const { echo, hits } = await fleet({ healthy: ['a'] });
    await expect(
      echo.clientStream.collect([{ message: 'one' }, { message: 'two', failWithCode: status.NOT_FOUND }]),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(hits.a).toBe(1);
  });

  it('refuses bad requests by name: not a stream, a malformed request, a request that is not an object', async () => {
    const { echo } = await fleet({ healthy: ['a'] });
    await expect(echo.clientStream.collect({ message: 'one' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      field: 'requests',
    });
    await expect(echo.clientStream.collect('abc')).rejects.toMatchObject({ field: 'requests' });
    await expect(echo.clientStream.collect([{ message: 'one' }, { message: 42 }])).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      field: 'requests[1].message',
    });
    await expect(echo.clientStream.collect([{ message: 'ok' }, 7])).rejects.toMatchObject({ field: 'requests[1]' });
    // Called as the wrong kind of method, it says where to call it.
    await expect(echo.collect({ message: 'one' })).rejects.toThrow(
      /client-streaming; call client\.clientStream\.collect/,
    );
  });

  it('fails with the error of an iterable that throws, and ends the call', async () => {
    const { echo, outcomes, hits } = await fleet({ healthy: ['a'] });
    async function* breaks(): AsyncGenerator<EchoRequest> {
      yield { message: 'one' };
      await new Promise((resolve) => setTimeout(resolve, 20));
      throw new Error('the upload source broke');
    }
    await expect(echo.clientStream.collect(breaks())).rejects.toThrow('the upload source broke');
    expect(hits.a).toBe(1); // the caller's failure: not retried
    // The call was cancelled, and the handler's reading ended. (Node's HTTP/2 ends a request stream
    // before it resets it, so the handler may see the end before the cancellation: see the README.)
    await expect.poll(() => outcomes.a?.length, { timeout: 2_000 }).toBe(1);
  });

  it('ends a call still sending at its deadline, and closes the iterable', async () => {
    const { echo } = await fleet({ healthy: ['a'] });
    const closed = { value: false };
    async function* endless(): AsyncGenerator<EchoRequest> {
      try {
        for (;;) {
          yield { message: 'tick' };
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      } finally {
        closed.value = true;
      }
    }
    const started = Date.now();
    await expect(echo.clientStream.collect(endless(), { deadlineMs: 200 })).rejects.toMatchObject({
      code: 'DEADLINE_EXCEEDED',
    });
    expect(Date.now() - started).toBeLessThan(2_000);
    await expect.poll(() => closed.value, { timeout: 2_000 }).toBe(true);
  });
});

describe('bidirectional streaming (client.bidiStream)', () => {
  it('sends requests while it reads the responses', async () => {
    const { echo } = await fleet({ healthy: ['a'] });
    // Each request is made only once the answer to the one before has come back.
    const answered: string[] = [];
    let answer: () => void = () => undefined;
    async function* conversation(): AsyncGenerator<EchoRequest> {
      for (const message of ['one', 'two', 'three']) {
        const heard = new Promise<void>((resolve) => {
          answer = resolve;
        });
        yield { message };
        await heard;
      }
    }
    for await (const reply of echo.bidiStream.chat(conversation())) {
      answered.push(reply.message);
      answer();
    }
    expect(answered).toEqual(['ONE', 'TWO', 'THREE']);
    expect(
      (await collectAll(echo.bidiStream.chat([{ message: 'x' }, { message: 'y' }]))).map((r) => r.message),
    ).toEqual(['X', 'Y']);
  });

  it('retries an array before its first response, and never after', async () => {
    const { echo, hits } = await fleet({ broken: ['broken'], healthy: ['healthy'] });
    for (let index = 0; index < 2; index++) {
      const replies = await collectAll(echo.bidiStream.chat([{ message: 'a' }, { message: 'b' }]));
      expect(replies.map((reply) => reply.servedBy)).toEqual(['healthy', 'healthy']);
    }
    expect(hits.broken).toBeGreaterThanOrEqual(1);
    // A failure after the first response ends the iteration with it, after what came before.
    const seen: string[] = [];
    await expect(
      (async () => {
        for await (const reply of echo.bidiStream.chat([
          { message: 'a' },
          { message: 'b', failWithCode: status.UNAVAILABLE },
        ])) {
          seen.push(reply.message);
        }
      })(),
    ).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(seen).toEqual(['A']);
    expect(hits.healthy).toBe(3);
  });

  it('cancels the call and closes the iterable when the consumer stops early', async () => {
    const { echo, outcomes } = await fleet({ healthy: ['a'] });
    const closed = { value: false };
    async function* slow(): AsyncGenerator<EchoRequest> {
      try {
        for (let index = 0; ; index++) {
          yield { message: `m${index}` };
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      } finally {
        closed.value = true;
      }
    }
    for await (const reply of echo.bidiStream.chat(slow())) {
      expect(reply.message).toBe('M0');
      break;
    }
    await expect.poll(() => closed.value, { timeout: 2_000 }).toBe(true);
    // The server's call ended too (its handler stopped reading), instead of waiting for more.
    await expect.poll(() => outcomes.a?.length, { timeout: 2_000 }).toBe(1);
  });

  it('ends the iteration with the error of an iterable that throws, or of a malformed request', async () => {
    const { echo } = await fleet({ healthy: ['a'] });
    async function* breaks(): AsyncGenerator<EchoRequest> {
      yield { message: 'one' };
      await new Promise((resolve) => setTimeout(resolve, 50));
      throw new Error('the chat source broke');
    }
    const seen: string[] = [];
    await expect(
      (async () => {
        for await (const reply of echo.bidiStream.chat(breaks())) seen.push(reply.message);
      })(),
    ).rejects.toThrow('the chat source broke');
    expect(seen).toEqual(['ONE']);
    await expect(collectAll(echo.bidiStream.chat([{ message: 'ok' }, { messag: 'typo' }]))).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      field: 'requests[1].messag',
    });
    await expect(collectAll(echo.bidiStream.chat(42))).rejects.toMatchObject({ field: 'requests' });
  });
});

describe('tracing request-streaming calls', () => {
  it('makes one client span per attempt, the trace continued by the server', async () => {
    const { echo } = await fleet({ broken: ['broken'], healthy: ['healthy'] });
    const tracing = initTracing({ serviceName: 'request-streams', exporter: 'memory' });
    const clientSpans = () => tracing.getFinishedSpans().filter((span) => span.kind === SpanKind.CLIENT);
    try {
      const replies: Reply[] = [];
      for (let index = 0; index < 2; index++) replies.push(await echo.clientStream.collect([{ message: 'a' }]));
      // An attempt span for each visit to the broken instance, and one for each answer.
      const codes = clientSpans().map((span) => span.attributes['rpc.grpc.status_code']);
      expect(codes.filter((code) => code === status.OK)).toHaveLength(2);
      expect(codes.filter((code) => code === status.UNAVAILABLE).length).toBeGreaterThanOrEqual(1);
      expect(codes).toHaveLength(2 + codes.filter((code) => code === status.UNAVAILABLE).length);
      const answered = clientSpans().filter((span) => span.status.code !== SpanStatusCode.ERROR);
      expect(answered.map((span) => span.spanContext().traceId).sort()).toEqual(
        replies.map((reply) => reply.traceId).sort(),
      );
      expect(answered[0]?.attributes['rpc.method']).toBe('Collect');
      const chats = await collectAll(echo.bidiStream.chat([{ message: 'x' }, { message: 'y' }]));
      const chatSpan = clientSpans().find(
        (span) => span.attributes['rpc.method'] === 'Chat' && span.status.code !== SpanStatusCode.ERROR,
      );
      expect(chats.map((reply) => reply.traceId)).toEqual([
        chatSpan?.spanContext().traceId,
        chatSpan?.spanContext().traceId,
      ]);
    } finally {
      await tracing.shutdown();
    }
  });
});

describe('requests read once (not an array)', () => {
  it('fail over from an instance that is down, since nothing was sent to it', async () => {
    const { echo, hits, registry } = await fleet({ healthy: ['healthy'] });
    await registry.register({ id: 'down', service: 'echo', host: '127.0.0.1', ports: { grpc: await deadPort() } });
    // Round-robin over both: some calls meet the instance that is down first.
    for (let index = 0; index < 4; index++) {
      const reply = await echo.clientStream.collect(generate(['a', 'b']));
      expect(reply).toMatchObject({ message: 'a b', servedBy: 'healthy' });
      const chats = await collectAll(echo.bidiStream.chat(generate(['c'])));
      expect(chats.map((chat) => chat.servedBy)).toEqual(['healthy']);
    }
    expect(hits.healthy).toBe(8);
  });

  it('are never retried after they failed, even with an error marked retryable', async () => {
    const { echo, hits } = await fleet({ healthy: ['a'] });
    const retryable = Object.assign(new Error('the source is unavailable'), { code: 'UNAVAILABLE', retryable: true });
    function* breaks(): Generator<EchoRequest> {
      yield { message: 'a' };
      yield { message: 'b' };
      throw retryable;
    }
    await expect(echo.clientStream.collect(breaks())).rejects.toBe(retryable);
    // At most the one call the requests were cut from (they may fail before it reaches the handler).
    expect(hits.a ?? 0).toBeLessThanOrEqual(1);
  });

  it('go on one attempt only when the call is hedged, so no attempt gets part of them', async () => {
    const { server, seen } = recordingServer();
    const { discovery } = await discovered(server, cleanups);
    const echo = createGrpcClient({
      definition: EchoStreamsService,
      discovery,
      policy: hedge({ delayMs: 5, budget: false }),
    }) as unknown as Streams;
    cleanups.push(() => echo.close());
    const reply = await echo.clientStream.collect(slowRequests());
    expect(reply.message).toBe('0 1 2 3 4 5');
    await expect.poll(() => seen.length, { timeout: 2_000 }).toBeGreaterThanOrEqual(1);
    for (const messages of seen) expect(messages).toEqual(['0', '1', '2', '3', '4', '5']);
  });

  it('are not hedged at all: no hedge started, no budget token taken, only for the hedge to be refused', async () => {
    const { server, seen } = recordingServer();
    const { discovery } = await discovered(server, cleanups);
    let acquired = 0;
    const policy = hedge({ delayMs: 5, budget: { ...retryBudget(), tryAcquireRetry: () => ++acquired > 0 } });
    const hedges: number[] = [];
    policy.onHedge((event) => hedges.push(event.attempt));
    const echo = createGrpcClient({ definition: EchoStreamsService, discovery, policy }) as unknown as Streams;
    cleanups.push(() => echo.close());
    expect((await echo.clientStream.collect(slowRequests())).message).toBe('0 1 2 3 4 5');
    expect({ hedges, acquired }).toEqual({ hedges: [], acquired: 0 });
    expect(seen).toContainEqual(['0', '1', '2', '3', '4', '5']);
  });

  it('go on one attempt only when the hedge starts while the channel still connects', async () => {
    const { server, seen } = recordingServer();
    const port = await server.listen(0, '127.0.0.1');
    cleanups.push(() => server.shutdown(100));
    // Connections to the instance are held until both attempts have started, then let through
    // together: both attempts wait for their channel, and the hedge starts meanwhile. Both used to
    // pump the requests once connected: the second call got the rest of them (['2', '3', '4', '5'])
    // and answered OK, and those went out twice.
    let letThrough: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      letThrough = resolve;
    });
    const gate = await rawListener((socket, sockets) => {
      void held.then(() => {
        const upstream = connect(port, '127.0.0.1');
        sockets.push(upstream);
        socket.pipe(upstream).pipe(socket);
      });
    });
    const discovery = await discoveredAt(gate.port, cleanups);
    const echo = createGrpcClient({
      definition: EchoStreamsService,
      discovery,
      policy: hedge({ delayMs: 10, budget: false }),
    }) as unknown as Streams;
    cleanups.push(() => echo.close());
    const call = echo.clientStream.collect(slowRequests());
    await new Promise((resolve) => setTimeout(resolve, 60));
    letThrough();
    const reply = await call;
    expect(reply.message).toBe('0 1 2 3 4 5');
    // Give a second call the time to finish, had one been sent the requests.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(seen).toEqual([['0', '1', '2', '3', '4', '5']]);
  });

  it('still wait for a connection when the client closes meanwhile: the call fails at once, nothing thrown', async () => {
    // A peer that takes the connection and never speaks HTTP/2: the channel stays connecting.
    const silent = await rawListener(() => {});
    const discovery = await discoveredAt(silent.port, cleanups);
    const echo = createGrpcClient({ definition: EchoStreamsService, discovery }) as unknown as Streams;
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown): void => {
      uncaught.push(error);
    };
    process.on('uncaughtException', onUncaught);
    cleanups.push(() => process.off('uncaughtException', onUncaught));

    const started = Date.now();
    const call = echo.clientStream.collect(generate(['a', 'b']), { deadlineMs: 5_000 });
    const outcome = call.then(
      () => 'resolved',
      (error: { code?: unknown }) => error.code,
    );
    await expect.poll(() => silent.sockets.length, { timeout: 2_000 }).toBeGreaterThan(0);
    // Closing the channel used to throw "Channel has been shut down" out of the event loop (the
    // call's wait for the connection watched a channel being shut down), and the call then hung
    // until its deadline.
    await echo.close();
    expect(await outcome).not.toBe('DEADLINE_EXCEEDED');
    expect(Date.now() - started).toBeLessThan(2_000);
    await new Promise((resolve) => setImmediate(resolve));
    expect(uncaught).toEqual([]);
  });
});
