import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { createDiscovery, type Discovery } from '@switchyard/discovery';
import {
  createGrpcClient,
  createGrpcServer,
  type GrpcServer,
  grpcClientMethodName,
  grpcError,
  healthServiceDefinition,
} from '@switchyard/grpc';
import { MemoryRegistry } from '@switchyard/registry';
import { initTracing } from '@switchyard/tracing';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { circuitBreaker, compose, retry } from '@switchyard/resilience';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EchoService, echoImplementation } from './fixtures/echo.js';
import { sayWithServerTimeout } from './fixtures/raw-say.js';

let registry: MemoryRegistry;
const cleanups: (() => Promise<unknown> | unknown)[] = [];

beforeEach(() => {
  registry = new MemoryRegistry();
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await registry.close();
});

async function startEcho(
  id: string,
  service = 'echo',
  onSay?: Parameters<typeof echoImplementation>[1],
): Promise<GrpcServer> {
  return serveEcho(echoImplementation(id, onSay), id, service);
}

/** Serves `implementation` of the echo service on loopback, registered as `id` of `service`. */
async function serveEcho(
  implementation: ReturnType<typeof echoImplementation>,
  id = 'a',
  service = 'echo',
): Promise<GrpcServer> {
  const server = createGrpcServer({ services: [{ definition: EchoService, implementation }] });
  const port = await server.listen(0, '127.0.0.1');
  cleanups.push(() => server.shutdown(100));
  await registry.register({ id, service, host: '127.0.0.1', ports: { grpc: port } });
  return server;
}

function discover(service = 'echo', balancer = 'round-robin'): Discovery {
  const discovery = createDiscovery({ registry, service, balancer });
  cleanups.push(() => discovery.close());
  return discovery;
}

function client(discovery: Discovery, extra: Partial<Parameters<typeof createGrpcClient>[0]> = {}) {
  const echo = createGrpcClient({ definition: EchoService, discovery, ...extra });
  cleanups.push(() => echo.close());
  return echo as unknown as {
    say(
      request: object,
      options?: object,
    ): Promise<{ message: string; servedBy: string; remainingMs: number; traceId: string }>;
    stream: { count(request: object, options?: object): AsyncIterable<{ message: string; servedBy: string }> };
    openChannels(): number;
    close(): Promise<void>;
  };
}

/** A registered instance whose port has nothing listening: connection refused. */
async function registerDead(id: string, service = 'echo'): Promise<void> {
  const probe = createGrpcServer({ services: [{ definition: EchoService, implementation: {} }] });
  const port = await probe.listen(0, '127.0.0.1');
  await probe.shutdown(0);
  await registry.register({ id, service, host: '127.0.0.1', ports: { grpc: port } });
}

describe('gRPC client and server over loopback', () => {
  it('calls through discovery and spreads calls over instances', async () => {
    await startEcho('a');
    await startEcho('b');
    const discovery = discover();
    await discovery.ready();
    const echo = client(discovery);
    const servedBy = new Set<string>();
    for (let i = 0; i < 10; i++) servedBy.add((await echo.say({ message: 'hi' })).servedBy);
    expect([...servedBy].sort()).toEqual(['a', 'b']);
  });

  it('fails over to another instance on UNAVAILABLE (connection refused) and ejects the dead one', async () => {
    await registerDead('dead');
    await startEcho('live');
    const discovery = discover();
    await discovery.ready();
    const ejected: string[] = [];
    discovery.onEjection((event) => ejected.push(event.id));
    const echo = client(discovery);
    for (let i = 0; i < 20; i++) expect((await echo.say({ message: String(i) })).servedBy).toBe('live');
    expect(ejected).toEqual(['dead']);
  });

  it('counts a timed-out call against its instance: one that never answers in time is ejected', async () => {
    await startEcho('hanging', 'echo', () => new Promise((resolve) => setTimeout(resolve, 1_000)));
    await startEcho('healthy');
    const discovery = discover();
    await discovery.ready();
    // No retries: each call is one attempt, so every timeout reaches the instance's record.
    const echo = client(discovery, { policy: retry({ maxAttempts: 1 }) });
    const outcomes: string[] = [];
    for (let call = 0; call < 30 && outcomes.slice(-10).join() !== Array(10).fill('healthy').join(); call++) {
      outcomes.push(
        await echo.say({ message: 'x' }, { deadlineMs: 100 }).then(
          (reply) => reply.servedBy,
          (error: { code?: string }) => error.code ?? 'error',
        ),
      );
    }
    // Timeouts while both were in the rotation, then only the healthy one (5 consecutive failures eject).
    expect(outcomes).toContain('DEADLINE_EXCEEDED');
    expect(outcomes.slice(-10)).toEqual(Array(10).fill('healthy'));
  });

  it('returns non-retryable statuses at once', async () => {
    let calls = 0;
    await startEcho('a', 'echo', async () => {
      calls++;
      return undefined;
    });
    const discovery = discover();
    await discovery.ready();
    const echo = client(discovery);
    await expect(echo.say({ failWithCode: grpc.status.NOT_FOUND })).rejects.toMatchObject({
      code: 'NOT_FOUND',
      grpcCode: 5,
      retryable: false,
    });
    await expect(echo.say({ failWithCode: grpc.status.INVALID_ARGUMENT })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    expect(calls).toBe(0); // failures happen before onSay: each call reached the server exactly once
  });

  it('fails a call waiting to retry as closed when the client closes, without trying again', async () => {
    let hits = 0;
    const implementation = echoImplementation('a');
    const say = implementation.say;
    implementation.say = (request, context) => {
      hits++;
      return say(request, context);
    };
    await serveEcho(implementation);
    const discovery = discover();
    await discovery.ready();
    // Say, which has no side effects, is retried after the UNAVAILABLE its server replied (see idempotent-retries).
    const echo = client(discovery, {
      policy: retry({ maxAttempts: 5, pushbackOf: () => 500 }),
      idempotentMethods: ['Say'],
    });
    const pending = echo.say({ failWithCode: grpc.status.UNAVAILABLE }).catch((caught: unknown) => caught);
    await expect.poll(() => hits).toBe(1);
    await echo.close();
    expect(await pending).toMatchObject({
      code: 'UNAVAILABLE',
      retryable: false,
      client: expect.stringMatching(/^gRPC client of /),
      message: expect.stringMatching(/is closed/),
    });
    expect(hits).toBe(1);
  });

  it("reports a server's INTERNAL about (de)serializing as INTERNAL, not as the caller's bad request", async () => {
    const implementation = echoImplementation('a');
    implementation.say = async () => {
      throw grpcError(grpc.status.INTERNAL, 'cannot deserialize the stored config');
    };
    await serveEcho(implementation);
    const discovery = discover();
    await discovery.ready();
    const echo = client(discovery, { policy: false });
    await expect(echo.say({ message: 'hi' })).rejects.toMatchObject({ code: 'INTERNAL' });
  });

  it('serves a call whose deadline is weeks away (beyond what grpc-js can put on the wire)', async () => {
    await startEcho('a');
    const discovery = discover();
    await discovery.ready();
    const echo = client(discovery);
    // 30 days: as grpc-timeout it wraps negative in a grpc-js server, which failed the call at once.
    await expect(echo.say({ message: 'far', delayMs: 100 }, { deadlineMs: 30 * 86_400_000 })).resolves.toMatchObject({
      message: 'far',
    });
    for await (const reply of echo.stream.count({ count: 1 }, { deadlineMs: 30 * 86_400_000 })) {
      expect(reply.message).toBe('0');
    }
  });

  it("keeps an RPC named like one of the client's own members under its proto name", async () => {
    await startEcho('a');
    const discovery = discover();
    await discovery.ready();
    // An `rpc Close` (here Echo/Say under that name) used to replace client.close().
    const definition = { Close: EchoService.Say!, Say: EchoService.Say! };
    const echo = createGrpcClient({ definition, discovery }) as unknown as {
      Close(request: object): Promise<{ message: string }>;
      say(request: object): Promise<{ message: string }>;
      close(): Promise<void>;
    };
    await expect(echo.Close({ message: 'rpc' })).resolves.toMatchObject({ message: 'rpc' });
    // What tools calling by proto name (the CLI's `switchyard call`) look the method up by.
    expect(['Close', 'Say', 'OpenChannels', 'Stream', 'ToString'].map(grpcClientMethodName)).toEqual([
      'Close',
      'say',
      'OpenChannels',
      'Stream',
      'ToString',
    ]);
    expect(() => grpcClientMethodName('close')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    await echo.close();
    await expect(echo.say({ message: 'after' })).rejects.toMatchObject({ message: expect.stringMatching(/is closed/) });
  });

  it('retries a server-streaming call only before its first message', async () => {
    await registerDead('dead');
    await startEcho('live');
    const discovery = discover();
    await discovery.ready();
    const echo = client(discovery);
    const messages: string[] = [];
    for await (const reply of echo.stream.count({ count: 3 })) messages.push(`${reply.servedBy}:${reply.message}`);
    expect(messages).toEqual(['live:0', 'live:1', 'live:2']);
  });

  it('names the method `service/Method` in a stream error, before and after the first message alike', async () => {
    const implementation = echoImplementation('a');
    implementation.count = async function* (request: { count?: number }) {
      // count 0: fails before any message; else after the first.
      if (request.count) yield { message: '0', servedBy: 'a', remainingMs: 0, traceId: '' };
      throw grpcError(grpc.status.NOT_FOUND, 'no such count');
    };
    await serveEcho(implementation);
    const discovery = discover();
    await discovery.ready();
    const echo = client(discovery);
    const drain = async (count: number): Promise<unknown> => {
      try {
        for await (const _ of echo.stream.count({ count })) {
          // read on
        }
      } catch (error) {
        return error;
      }
      return undefined;
    };
    for (const count of [0, 1]) {
      // After the first message it read `Count: NOT_FOUND: …`, without the service.
      expect(await drain(count)).toMatchObject({
        code: 'NOT_FOUND',
        message: 'switchyard.echo.v1.Echo/Count: NOT_FOUND: no such count',
      });
    }
  });

  it('hands a stream error that came while the consumer was busy to the consumer, without crashing', async () => {
    const implementation = echoImplementation('a');
    implementation.count = async function* () {
      yield { message: '0', servedBy: 'a', remainingMs: 0, traceId: '' };
      yield { message: '1', servedBy: 'a', remainingMs: 0, traceId: '' };
      throw grpcError(grpc.status.UNAVAILABLE, 'stream broke');
    };
    await serveEcho(implementation);
    const discovery = discover();
    await discovery.ready();
    const echo = client(discovery);
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown): void => {
      uncaught.push(error);
    };
    process.on('uncaughtException', onUncaught);
    try {
      const messages: string[] = [];
      const consume = async () => {
        for await (const reply of echo.stream.count({ count: 3 })) {
          messages.push(reply.message);
          // Busy with the first message while the server sends the rest and fails.
          if (messages.length === 1) await new Promise((resolve) => setTimeout(resolve, 300));
        }
      };
      await expect(consume()).rejects.toMatchObject({
        code: 'UNAVAILABLE',
        message: expect.stringMatching(/stream broke/),
      });
      expect(messages).toEqual(['0', '1']);
      // A consumer that keeps only the first message and stops does not crash the process either.
      for await (const _ of echo.stream.count({ count: 3 })) break;
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(uncaught).toEqual([]);
    } finally {
      process.off('uncaughtException', onUncaught);
    }
  });

  it("cancels a server stream on the caller's signal after its first message too", async () => {
    await startEcho('a');
    const discovery = discover();
    await discovery.ready();
    const echo = client(discovery);
    const controller = new AbortController();
    const messages: string[] = [];
    const started = Date.now();
    const consume = async () => {
      for await (const reply of echo.stream.count({ count: 50, intervalMs: 100 }, { signal: controller.signal })) {
        messages.push(reply.message);
        if (messages.length === 1) setTimeout(() => controller.abort(), 50);
      }
    };
    await expect(consume()).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(messages.length).toBeLessThan(4);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('traces unary calls itself next to instrumentation-grpc (which never sees them), and leaves streams to it', async () => {
    await startEcho('a');
    const discovery = discover();
    await discovery.ready();
    const echo = client(discovery);
    // As if @opentelemetry/instrumentation-grpc were active (the switch forces what detection finds).
    process.env.SWITCHYARD_INSTRUMENTATION_GRPC = 'on';
    const tracing = initTracing({ serviceName: 'coexist', exporter: 'memory' });
    try {
      await echo.say({ message: 'unary' });
      for await (const _ of echo.stream.count({ count: 1 })) {
        // drain
      }
      const clientSpans = tracing.getFinishedSpans().filter((span) => span.kind === SpanKind.CLIENT);
      expect(clientSpans.map((span) => span.name)).toEqual(['switchyard.echo.v1.Echo/Say']);
    } finally {
      delete process.env.SWITCHYARD_INSTRUMENTATION_GRPC;
      await tracing.shutdown();
    }
  });

  it("keeps a server stream's client span open until the stream ends, with how it ended", async () => {
    const implementation = echoImplementation('a');
    const brokenAfterTwo = echoImplementation('b');
    brokenAfterTwo.count = async function* () {
      yield { message: '0', servedBy: 'b', remainingMs: 0, traceId: '' };
      await new Promise((resolve) => setTimeout(resolve, 150));
      yield { message: '1', servedBy: 'b', remainingMs: 0, traceId: '' };
      throw grpcError(grpc.status.UNAVAILABLE, 'stream broke');
    };
    await serveEcho(implementation, 'a', 'echo');
    await serveEcho(brokenAfterTwo, 'b', 'broken');
    const echo = client(discover('echo'));
    const broken = client(discover('broken'));
    const tracing = initTracing({ serviceName: 'streams', exporter: 'memory' });
    const clientSpans = () => tracing.getFinishedSpans().filter((span) => span.kind === SpanKind.CLIENT);
    const millis = ([seconds, nanos]: [number, number]) => seconds * 1_000 + nanos / 1e6;
    try {
      // A clean stream: its span ends OK after the last message, not at the first.
      let lastMessageAt = 0;
      for await (const _ of echo.stream.count({ count: 3, intervalMs: 100 }))
        lastMessageAt = performance.timeOrigin + performance.now();
      const [clean] = clientSpans();
      expect(clean?.attributes['rpc.grpc.status_code']).toBe(grpc.status.OK);
      expect(clean?.status.code).toBe(SpanStatusCode.UNSET);
      expect(millis(clean?.endTime as [number, number])).toBeGreaterThanOrEqual(lastMessageAt - 1);
      expect(millis(clean?.duration as [number, number])).toBeGreaterThanOrEqual(150);
      // An error after the first message is the span's status.
      await expect(
        (async () => {
          for await (const _ of broken.stream.count({ count: 3 })) {
            // read on
          }
        })(),
      ).rejects.toMatchObject({ code: 'UNAVAILABLE' });
      const failed = clientSpans()[1];
      expect(failed?.attributes['rpc.grpc.status_code']).toBe(grpc.status.UNAVAILABLE);
      expect(failed?.status.code).toBe(SpanStatusCode.ERROR);
      expect(millis(failed?.duration as [number, number])).toBeGreaterThanOrEqual(100);
      // A consumer that stops early ends the call, and its span, as CANCELLED.
      for await (const _ of echo.stream.count({ count: 5, intervalMs: 50 })) break;
      const stopped = clientSpans()[2];
      expect(stopped?.attributes['rpc.grpc.status_code']).toBe(grpc.status.CANCELLED);
      expect(clientSpans()).toHaveLength(3);
    } finally {
      await tracing.shutdown();
    }
  });

  it('ends server spans with what the client got: INTERNAL for a response that does not fit, DEADLINE_EXCEEDED, CANCELLED', async () => {
    const errors: { msg: string; err?: unknown }[] = [];
    const logger = {
      debug() {},
      info() {},
      warn() {},
      error: (fields: unknown, msg?: string) =>
        void errors.push({ msg: msg ?? '', err: (fields as { err?: unknown }).err }),
    };
    const implementation = echoImplementation('a');
    // Returns what its type forbids (null), so it goes in as `never`.
    implementation.say = (async (request: { message: string }) => {
      if (request.message === 'slow') await new Promise((resolve) => setTimeout(resolve, 300));
      // null is not an EchoResponse: grpc-js fails to serialize it and answers INTERNAL itself.
      return request.message === 'misfit'
        ? null
        : { message: request.message, servedBy: 'a', remainingMs: 0, traceId: '' };
    }) as never;
    const streamed = implementation.count;
    implementation.count = async function* (request: { count: number; intervalMs?: number }) {
      if (request.count !== 2) {
        yield* streamed(request);
        return;
      }
      yield { message: '0', servedBy: 'a', remainingMs: 0, traceId: '' };
      // Not an EchoResponse either (a stream may not carry null at all): a BigInt protobufjs cannot encode.
      yield { message: '1', servedBy: 'a', remainingMs: 1n << 80n, traceId: '' };
      // More than the stream buffers (16), so later messages queue behind the failed write and are
      // serialized (and checked) only when grpc-js takes them.
      for (let n = 0; n < 40; n++) yield { message: 'never sent', servedBy: 'a', remainingMs: 0, traceId: '' };
    } as never;
    const server = createGrpcServer({ services: [{ definition: EchoService, implementation }], logger });
    const port = await server.listen(0, '127.0.0.1');
    cleanups.push(() => server.shutdown(100));
    await registry.register({ id: 'a', service: 'echo', host: '127.0.0.1', ports: { grpc: port } });
    const echo = client(discover());
    const tracing = initTracing({ serviceName: 'server-ends', exporter: 'memory' });
    const serverSpans = () => tracing.getFinishedSpans().filter((span) => span.kind === SpanKind.SERVER);
    const statusOf = async (count: number) => {
      const deadline = Date.now() + 2_000;
      while (serverSpans().length < count && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 20));
      return serverSpans()[count - 1]?.attributes['rpc.grpc.status_code'];
    };
    try {
      await expect(echo.say({ message: 'misfit' })).rejects.toMatchObject({ code: 'INTERNAL' });
      expect(await statusOf(1)).toBe(grpc.status.INTERNAL);
      expect(serverSpans()[0]?.status.code).toBe(SpanStatusCode.ERROR);
      const messages: string[] = [];
      await expect(
        (async () => {
          for await (const reply of echo.stream.count({ count: 2 })) messages.push(reply.message);
        })(),
      ).rejects.toMatchObject({ code: 'INTERNAL' });
      expect(messages).toEqual(['0']);
      expect(await statusOf(2)).toBe(grpc.status.INTERNAL);
      expect(errors.filter((entry) => /does not match its message type/.test(entry.msg))).toHaveLength(2);
      // Answered by grpc-js's deadline timer while the handler still ran: not OK. Sent raw, with no
      // client-side timer: a client's own deadline resets the stream, and on a busy machine that
      // reset can reach the server before its timer (started when the request arrived) fires, an
      // honest CANCELLED (CI at f6633fb).
      expect(await sayWithServerTimeout(port, 'slow', 100, (cleanup) => cleanups.push(cleanup))).toMatchObject({
        status: String(grpc.status.DEADLINE_EXCEEDED),
      });
      expect(await statusOf(3)).toBe(grpc.status.DEADLINE_EXCEEDED);
      // A consumer that stops reading cancels the stream: the handler's span says so.
      for await (const _ of echo.stream.count({ count: 20, intervalMs: 20 })) break;
      expect(await statusOf(4)).toBe(grpc.status.CANCELLED);
    } finally {
      await tracing.shutdown();
    }
  });

  it('ends a server-stream handler blocked on a slow reader when the client goes away', async () => {
    let finalized = false;
    const implementation = echoImplementation('a');
    implementation.count = async function* () {
      try {
        for (let index = 0; index < 1_000_000; index++) {
          yield { message: String(index).padEnd(1_000, '.'), servedBy: 'a', remainingMs: 0, traceId: '' };
        }
      } finally {
        finalized = true;
      }
    };
    await serveEcho(implementation);
    const discovery = discover();
    await discovery.ready();
    const echo = client(discovery);
    // Read one message, then sit on the stream long enough for the server to fill every buffer.
    const iterator = echo.stream.count({ count: 1_000_000 })[Symbol.asyncIterator]();
    await iterator.next();
    await new Promise((resolve) => setTimeout(resolve, 300));
    await iterator.return?.(undefined);
    await expect.poll(() => finalized, { timeout: 2_000 }).toBe(true);
  });

  it('loses no call when an instance is SIGKILLed under continuous calls, with two others up', async () => {
    const fixture = fileURLToPath(new URL('./fixtures/echo-child.ts', import.meta.url));
    const children: ChildProcess[] = [];
    for (const id of ['k1', 'k2', 'k3']) {
      const child = spawn(process.execPath, ['--conditions=@switchyard/source', '--import', 'tsx', fixture, id], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      children.push(child);
      cleanups.push(() => child.kill('SIGKILL'));
      const port = await new Promise<number>((resolve, reject) => {
        child.stdout?.on('data', (chunk: Buffer) => {
          const match = /port (\d+)/.exec(chunk.toString());
          if (match) resolve(Number(match[1]));
        });
        child.on('exit', (code) => reject(new Error(`${id} exited with ${code}`)));
      });
      await registry.register({ id, service: 'echo', host: '127.0.0.1', ports: { grpc: port } });
    }
    const discovery = discover('echo', 'p2c-ewma');
    await discovery.ready();
    const echo = client(discovery, {
      policy: compose(retry({ maxAttempts: 3, backoff: { initialMs: 1, maxMs: 5 } }), circuitBreaker()),
      // The calls in flight on the killed instance may have run there: retried because Say may run
      // twice (it has no side effects). A method not known to be idempotent is not (see idempotent-retries).
      idempotentMethods: ['Say'],
    });
    let ok = 0;
    let failed = 0;
    const byInstance: Record<string, number> = {};
    const started = Date.now();
    let killed = false;
    const worker = async (): Promise<void> => {
      while (Date.now() - started < 2_000) {
        if (!killed && Date.now() - started > 700) {
          killed = true;
          children[0]?.kill('SIGKILL');
        }
        try {
          const reply = await echo.say({ message: 'x' }, { deadlineMs: 1_000 });
          ok++;
          byInstance[reply.servedBy] = (byInstance[reply.servedBy] ?? 0) + 1;
        } catch {
          failed++;
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    expect(failed).toBe(0);
    expect(ok).toBeGreaterThan(200);
    expect(Object.keys(byInstance).sort()).toEqual(['k1', 'k2', 'k3']);
  });
});

describe('interoperability with plain grpc-js', () => {
  it('serves a plain grpc-js client, including grpc.health.v1 Check, List and Watch', async () => {
    const server = await startEcho('a');
    const port = server.port as number;
    const Echo = grpc.makeGenericClientConstructor(EchoService, 'Echo');
    const plain = new Echo(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as grpc.Client & {
      Say(request: object, callback: (error: grpc.ServiceError | null, response: { message: string }) => void): void;
    };
    cleanups.push(() => plain.close());
    const reply = await new Promise<{ message: string }>((resolve, reject) =>
      plain.Say({ message: 'plain' }, (error, response) => (error ? reject(error) : resolve(response))),
    );
    expect(reply.message).toBe('plain');

    const Health = grpc.makeGenericClientConstructor(healthServiceDefinition(), 'Health');
    const health = new Health(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as grpc.Client &
      Record<string, Function>;
    cleanups.push(() => health.close());
    const check = (service: string) =>
      new Promise<{ status: string }>((resolve, reject) =>
        health.Check!({ service }, (error: Error | null, response: { status: string }) =>
          error ? reject(error) : resolve(response),
        ),
      );
    expect(await check('')).toEqual({ status: 'SERVING' });
    expect(await check('switchyard.echo.v1.Echo')).toEqual({ status: 'SERVING' });
    await expect(check('nope')).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
    const list = await new Promise<{ statuses: Record<string, { status: string }> }>((resolve, reject) =>
      health.List!({}, (error: Error | null, response: never) => (error ? reject(error) : resolve(response))),
    );
    expect(Object.keys(list.statuses).sort()).toEqual(['', 'liveness', 'switchyard.echo.v1.Echo']);

    const watch = health.Watch!({ service: '' }) as grpc.ClientReadableStream<{ status: string }>;
    const seen: string[] = [];
    watch.on('data', (message) => seen.push(message.status));
    watch.on('error', () => {});
    await new Promise((resolve) => setTimeout(resolve, 100));
    server.drain();
    await new Promise((resolve) => setTimeout(resolve, 100));
    watch.cancel();
    expect(seen).toEqual(['SERVING', 'NOT_SERVING']);
    expect(await check('')).toEqual({ status: 'NOT_SERVING' });
    expect(await check('liveness')).toEqual({ status: 'SERVING' }); // draining is not dead
  });

  it('calls a plain grpc-js server', async () => {
    const server = new grpc.Server();
    server.addService(EchoService, {
      Say: (call: grpc.ServerUnaryCall<{ message: string }, unknown>, callback: grpc.sendUnaryData<unknown>) =>
        callback(null, { message: `plain:${call.request.message}`, servedBy: 'plain' }),
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) =>
        error ? reject(error) : resolve(bound),
      ),
    );
    cleanups.push(() => server.forceShutdown());
    await registry.register({ id: 'plain', service: 'echo', host: '127.0.0.1', ports: { grpc: port } });
    const discovery = discover();
    await discovery.ready();
    expect((await client(discovery).say({ message: 'hi' })).message).toBe('plain:hi');
  });
});

describe('bad input', () => {
  it('names what is wrong, does not crash and opens no channel', async () => {
    await startEcho('a');
    const discovery = discover();
    await discovery.ready();
    const echo = client(discovery);
    expect(() => (echo as unknown as Record<string, unknown>).sayy).toThrow(
      /method: switchyard.echo.v1.Echo has no method "sayy"; methods: say, count/,
    );
    await expect(echo.say({ message: 'x' }, { deadlineMs: -1 })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      field: 'options.deadlineMs',
    });
    await expect(echo.say('not an object' as never)).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      field: 'request',
    });
    await expect(echo.say({ message: 'x' }, { colour: 'red' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      field: 'options.colour',
    });
    await expect(echo.say({ message: 'x' }, { metadata: { 'x-bad': 'a\r\nb' } })).rejects.toMatchObject({
      field: 'options.metadata.x-bad',
    });
    // grpc-js takes this key, then every attempt fails on the wire (found by the call-options fuzz test).
    await expect(echo.say({ message: 'x' }, { metadata: { 'x:y': '' } })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      field: 'options.metadata.x:y',
    });
    expect(echo.openChannels()).toBe(0);
    await expect(echo.say({ delayMs: 'slow' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      field: 'request.delayMs',
    });
    await expect(echo.say({ mesage: 'typo' })).rejects.toThrow(
      /request.mesage: Say: unknown field of EchoRequest; fields: message, delayMs, failWithCode/,
    );
    expect(echo.openChannels()).toBe(0);
    expect(() => createGrpcClient({ discovery } as never)).toThrow(/definition: must be a gRPC service definition/);
    expect(() => createGrpcClient({ definition: EchoService } as never)).toThrow(/discovery: must be a Discovery/);
    // Each used to pass silently (retryableStatuses of names turned every retry off) or as a TypeError.
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ retryableStatuses: ['UNAVAILABLE'] }, /retryableStatuses\[0\]: must be a gRPC status number/],
      [{ retryableStatuses: 14 }, /retryableStatuses: must be an array/],
      [{ tracing: 'yes' }, /tracing: must be true or false/],
      [{ port: 5 }, /port: must be the name of a registered port/],
      [{ policy: 'retry' }, /policy: must be a resilience Policy/],
      [{ credentials: {} }, /credentials: must be grpc-js ChannelCredentials/],
      [{ channelOptions: 'keepalive' }, /channelOptions: must be an object/],
    ];
    for (const [options, message] of bad) {
      expect(() => createGrpcClient({ definition: EchoService, discovery, ...options } as never)).toThrow(message);
    }
    expect(() =>
      createGrpcServer({ services: [{ definition: EchoService, implementation: { sai: () => ({}) } }] }),
    ).toThrow(/services\[0\].implementation.sai: is not a method of switchyard.echo.v1.Echo/);
  });

  it('fails fast with DEADLINE_EXCEEDED when no time is left, without touching the network', async () => {
    await registerDead('dead');
    const discovery = discover();
    await discovery.ready();
    const echo = client(discovery);
    await expect(echo.say({ message: 'x' }, { deadline: Date.now() - 1 })).rejects.toMatchObject({
      code: 'DEADLINE_EXCEEDED',
    });
    expect(echo.openChannels()).toBe(0);
  });
});
