/**
 * Which failed calls are retried: a call whose request may have reached a server (its connection
 * reset or dropped while the handler ran, an UNAVAILABLE the server replied, an attempt cut by a
 * per-attempt timeout) is retried, or hedged, only when its method is known to be safe to run twice
 * (the proto's `idempotency_level`, the client's `idempotentMethods`, a call's `idempotent: true`).
 * One whose request certainly never reached a server (connection refused, a stream the server
 * refused) is retried whatever the method. Real servers on loopback; instance `b` is reached through
 * a TCP proxy (@switchyard/testing's startTcpProxy) that the test resets, as the reviewer's was.
 */
import { createServer as createHttp2Server, constants as http2 } from 'node:http2';
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { status } from '@grpc/grpc-js';
import { createDiscovery, type Discovery } from '@switchyard/discovery';
import { createGrpcClient, createGrpcServer, type GrpcHandlerContext, grpcError, loadService } from '@switchyard/grpc';
import { MemoryRegistry } from '@switchyard/registry';
import { compose, hedge, type Policy, retry, timeout } from '@switchyard/resilience';
import { attemptsSideBySide, cutThenNextAttempt } from '@switchyard/resilience/testing';
import { startTcpProxy, type TcpProxy } from '@switchyard/testing';
import { describe, expect, it } from 'vitest';
import { cleanupsAfterEach } from './fixtures/cleanups.js';

const cleanups = cleanupsAfterEach();

const Ledger = loadService('ledger.proto', 'switchyard.test.v1.Ledger', {
  includeDirs: [fileURLToPath(new URL('./fixtures/protos', import.meta.url))],
});

type Entry = { id?: string; failWithCode?: number };
type Call = (request: Entry, options?: object) => Promise<{ servedBy: string }>;
type LedgerClient = { append: Call; put: Call; get: Call; close(): Promise<void> };

function listen(server: Server | ReturnType<typeof createHttp2Server>): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

/** How instance `b` is reached. */
type BKind =
  /** A ledger server behind a TCP proxy (startTcpProxy) the test breaks, whose handlers hold until their call ends. */
  | 'proxied'
  /** A ledger server, dialled directly, whose handlers hold for `holdMs` (then answer). */
  | 'direct'
  /** Nothing listens: connections are refused. */
  | 'refused'
  /** An HTTP/2 server that refuses every stream (RST_STREAM REFUSED_STREAM: never processed). */
  | 'refusing-streams'
  /** Accepts TCP connections and says nothing: the HTTP/2 connection never completes (a hung host). */
  | 'silent';

interface Fleet {
  ledger: LedgerClient;
  discovery: Discovery;
  /** Handler runs by instance and method: `{ 'a Append': 1 }`. */
  runs: Record<string, number>;
  /** A key the sticky balancer routes to `b` (a keyed retry goes to `a`, the key's alternative). */
  keyToB: string;
  /** Resolves when a handler of `b` next starts. */
  bStarted(): Promise<void>;
  proxy: TcpProxy | undefined;
}

async function fleet(
  b: BKind,
  options: { policy?: Policy; holdMs?: number; client?: Record<string, unknown> } = {},
): Promise<Fleet> {
  const registry = new MemoryRegistry();
  cleanups.push(() => registry.close());
  const runs: Record<string, number> = {};
  const onBStart: (() => void)[] = [];
  const implementation = (id: string, holdMs: number) => {
    const handler =
      (method: string) =>
      async ({ failWithCode }: Entry, context: GrpcHandlerContext) => {
        runs[`${id} ${method}`] = (runs[`${id} ${method}`] ?? 0) + 1;
        if (id === 'b') for (const resolve of onBStart.splice(0)) resolve();
        if (failWithCode) throw grpcError(failWithCode, `asked to fail with ${failWithCode}`);
        if (holdMs > 0) {
          // Until the call ends (its client went away, or it was cancelled), or holdMs passes.
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, holdMs);
            context.signal.addEventListener('abort', () => {
              clearTimeout(timer);
              resolve();
            });
          });
        }
        return { servedBy: id };
      };
    return { append: handler('Append'), put: handler('Put'), get: handler('Get') };
  };
  const ledgerServer = async (id: string, holdMs: number): Promise<number> => {
    const server = createGrpcServer({ services: [{ definition: Ledger, implementation: implementation(id, holdMs) }] });
    const port = await server.listen(0, '127.0.0.1');
    cleanups.push(() => server.shutdown(100));
    return port;
  };
  await registry.register({
    id: 'a',
    service: 'ledger',
    host: '127.0.0.1',
    ports: { grpc: await ledgerServer('a', 0) },
  });
  let proxy: TcpProxy | undefined;
  let bPort: number;
  if (b === 'proxied') {
    const started = await startTcpProxy({ port: await ledgerServer('b', 30_000) });
    cleanups.push(() => started.close());
    proxy = started;
    bPort = proxy.port;
  } else if (b === 'direct') {
    bPort = await ledgerServer('b', options.holdMs ?? 0);
  } else if (b === 'refused') {
    const probe = createServer();
    bPort = await listen(probe);
    await new Promise((resolve) => probe.close(resolve));
  } else if (b === 'silent') {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => {});
    });
    bPort = await listen(silent);
    cleanups.push(() => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => silent.close(resolve));
    });
  } else {
    const refusing = createHttp2Server();
    refusing.on('stream', (stream) => {
      runs['b refused-stream'] = (runs['b refused-stream'] ?? 0) + 1;
      stream.on('error', () => {}); // Node reports the refusal it sent as the stream's error
      stream.close(http2.NGHTTP2_REFUSED_STREAM);
    });
    bPort = await listen(refusing);
    cleanups.push(() => new Promise((resolve) => refusing.close(resolve)));
  }
  await registry.register({ id: 'b', service: 'ledger', host: '127.0.0.1', ports: { grpc: bPort } });
  const discovery = createDiscovery({ registry, service: 'ledger', balancer: 'maglev', outlierDetection: false });
  cleanups.push(() => discovery.close());
  await discovery.ready();
  const ledger = createGrpcClient({
    definition: Ledger,
    discovery,
    ...(options.policy ? { policy: options.policy } : {}),
    ...options.client,
  }) as unknown as LedgerClient;
  cleanups.push(() => ledger.close());
  return {
    ledger,
    discovery,
    runs,
    keyToB: keyRoutedTo(discovery, 'b'),
    bStarted: () => new Promise((resolve) => onBStart.push(resolve)),
    proxy,
  };
}

/** A key the sticky balancer routes to `id`. */
function keyRoutedTo(discovery: Discovery, id: string): string {
  for (let user = 0; ; user++) {
    const lease = discovery.pick({ key: `user-${user}` });
    lease.done({ ok: false, latencyMs: 0, notSent: true });
    if (lease.instance.id === id) return `user-${user}`;
  }
}

/** Three quick attempts, no budget to run out: only whether a retry happens is tested. */
const quickRetries = () => retry({ maxAttempts: 3, budget: false, backoff: { initialMs: 1, maxMs: 2 } });

/** Calls `call` on `b` and breaks b's connection (`how`) once the handler runs there. */
async function breakWhileRunning<T>(
  { bStarted, proxy }: Fleet,
  how: 'reset' | 'drop',
  call: () => Promise<T>,
): Promise<T> {
  const started = bStarted();
  const result = call();
  const settled = result.then(
    () => false,
    () => false,
  );
  // A call that ends before the handler starts (refused up front) has nothing to break.
  if (await Promise.race([started.then(() => true), settled])) {
    // reset: RST (the client reads ECONNRESET); drop: the connections closed (FIN), new ones accepted.
    if (how === 'reset') proxy?.reset();
    else {
      proxy?.cut();
      proxy?.heal();
    }
  }
  return result;
}

describe('a call whose connection breaks while its handler runs', () => {
  for (const how of ['reset', 'drop'] as const) {
    it(`(${how}) is not retried when its method is not idempotent: it ran once, and the error says it may have`, async () => {
      const fleetB = await fleet('proxied'); // the default policy: retry() and circuitBreaker()
      const failure = await breakWhileRunning(fleetB, how, () =>
        fleetB.ledger.append({ id: 'e-1' }, { key: fleetB.keyToB, deadlineMs: 5_000 }),
      ).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(fleetB.runs).toEqual({ 'b Append': 1 });
      expect(failure).toMatchObject({ code: 'UNAVAILABLE', retryable: false });
      const { message, details } = failure as { message: string; details: string };
      expect(message).toMatch(/switchyard\.test\.v1\.Ledger\/Append: UNAVAILABLE: .+/);
      expect(message).toMatch(/not retried: the request may have reached the server and run there/);
      expect(message).toMatch(/Append is not marked idempotent/);
      if (how === 'reset') expect(details).toMatch(/ECONNRESET/);
      expect(details).not.toMatch(/not retried/); // the server's (or grpc-js's) words, unchanged
    });

    it(`(${how}) is retried on another instance when its proto marks it IDEMPOTENT or NO_SIDE_EFFECTS`, async () => {
      for (const method of ['put', 'get'] as const) {
        const fleetB = await fleet('proxied');
        const reply = await breakWhileRunning(fleetB, how, () =>
          fleetB.ledger[method]({ id: 'e-1' }, { key: fleetB.keyToB, deadlineMs: 5_000 }),
        );
        expect(reply).toEqual({ servedBy: 'a' });
        const name = method === 'put' ? 'Put' : 'Get';
        expect(fleetB.runs).toEqual({ [`b ${name}`]: 1, [`a ${name}`]: 1 });
      }
    });
  }

  it("is retried when the client's idempotentMethods names the method (proto or client name)", async () => {
    for (const name of ['Append', 'append']) {
      const fleetB = await fleet('proxied', { client: { idempotentMethods: [name] } });
      const reply = await breakWhileRunning(fleetB, 'reset', () =>
        fleetB.ledger.append({ id: 'e-1' }, { key: fleetB.keyToB, deadlineMs: 5_000 }),
      );
      expect(reply).toEqual({ servedBy: 'a' });
      expect(fleetB.runs).toEqual({ 'b Append': 1, 'a Append': 1 });
    }
  });

  it('is retried when the call says { idempotent: true }; { idempotent: false } keeps a marked method from it', async () => {
    const fleetB = await fleet('proxied');
    const reply = await breakWhileRunning(fleetB, 'reset', () =>
      fleetB.ledger.append({ id: 'e-1' }, { key: fleetB.keyToB, deadlineMs: 5_000, idempotent: true }),
    );
    expect(reply).toEqual({ servedBy: 'a' });
    const failure = breakWhileRunning(fleetB, 'reset', () =>
      fleetB.ledger.put({ id: 'e-2' }, { key: fleetB.keyToB, deadlineMs: 5_000, idempotent: false }),
    );
    await expect(failure).rejects.toMatchObject({ code: 'UNAVAILABLE', retryable: false });
    await expect(failure).rejects.toThrow(/Put is not marked idempotent/);
    expect(fleetB.runs).toEqual({ 'b Append': 1, 'a Append': 1, 'b Put': 1 });
  });
});

describe('a call that certainly never reached a server is retried whatever its method', () => {
  it('a refused connection: Append runs once, on the other instance', async () => {
    const { ledger, runs, keyToB } = await fleet('refused');
    await expect(ledger.append({ id: 'e-1' }, { key: keyToB, deadlineMs: 5_000 })).resolves.toEqual({
      servedBy: 'a',
    });
    expect(runs).toEqual({ 'a Append': 1 });
  });

  it('a stream the server refused (RST_STREAM REFUSED_STREAM, never processed): Append runs once, elsewhere', async () => {
    const { ledger, runs, keyToB } = await fleet('refusing-streams');
    await expect(ledger.append({ id: 'e-1' }, { key: keyToB, deadlineMs: 5_000 })).resolves.toEqual({
      servedBy: 'a',
    });
    expect(runs).toEqual({ 'b refused-stream': 1, 'a Append': 1 });
  });

  it('an attempt a per-attempt timeout cut while it waited for a connection: Append runs once, elsewhere', async () => {
    // grpc-js holds a call until the connection is up (its HTTP/2 settings came): nothing was sent.
    const policy = compose(quickRetries(), timeout({ ms: 150 }));
    const { ledger, runs, keyToB } = await fleet('silent', { policy });
    await expect(ledger.append({ id: 'e-1' }, { key: keyToB, deadlineMs: 5_000 })).resolves.toEqual({
      servedBy: 'a',
    });
    expect(runs).toEqual({ 'a Append': 1 });
  });
});

describe('other failures after the request may have run', () => {
  it('an UNAVAILABLE replied by the server is retried for Put, not for Append', async () => {
    const { ledger, runs, keyToB } = await fleet('direct', { policy: quickRetries() });
    const failed = { id: 'e-1', failWithCode: status.UNAVAILABLE };
    const failure = ledger.append(failed, { key: keyToB, deadlineMs: 5_000 });
    await expect(failure).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      retryable: false,
      details: 'asked to fail with 14',
    });
    await expect(failure).rejects.toThrow(/may have reached the server/);
    // Put fails on b and a alike (asked to), so it is retried until the attempts run out.
    await expect(ledger.put(failed, { key: keyToB, deadlineMs: 5_000 })).rejects.toMatchObject({
      code: 'RETRY_EXHAUSTED',
    });
    expect(runs['b Append']).toBe(1);
    expect(runs['a Append']).toBeUndefined();
    expect((runs['a Put'] ?? 0) + (runs['b Put'] ?? 0)).toBe(3);
  });

  it('an attempt cut by a per-attempt timeout is retried for Put, not for Append', async () => {
    const retrying = quickRetries();
    let retries = 0;
    retrying.onRetry(() => retries++);
    const policy = compose(retrying, timeout({ ms: 150 }));
    const { ledger, runs, keyToB } = await fleet('direct', { policy, holdMs: 2_000 });
    const failure = ledger.append({ id: 'e-1' }, { key: keyToB, deadlineMs: 5_000 });
    await expect(failure).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED', retryable: false });
    await expect(failure).rejects.toThrow(/may have reached the server/);
    expect(runs).toEqual({ 'b Append': 1 });
    // The client refused further attempts as the timeout cut the first: retry() gave up at once,
    // where it used to wait its backoff and start an attempt the client then refused.
    expect(retries).toBe(0);
    await expect(ledger.put({ id: 'e-2' }, { key: keyToB, deadlineMs: 5_000 })).resolves.toEqual({ servedBy: 'a' });
    expect(runs).toEqual({ 'b Append': 1, 'b Put': 1, 'a Put': 1 });
  });

  // b answering after 400 ms (the second attempt starts while the first is out), or at once (it
  // starts after the first succeeded: that request ran too).
  it.each([400, 0])(
    "a policy of one's own running attempts side by side sends Append once, Put twice (b holds %i ms)",
    async (holdMs) => {
      // Not hedge(): a second attempt 30 ms after the first, whatever became of it.
      const sideBySide = attemptsSideBySide(30);
      const { ledger, runs, keyToB } = await fleet('direct', { policy: sideBySide, holdMs });
      await expect(ledger.append({ id: 'e-1' }, { key: keyToB, deadlineMs: 5_000 })).resolves.toEqual({
        servedBy: 'b',
      });
      await new Promise((resolve) => setTimeout(resolve, 100)); // the second attempt's time has come
      expect(runs).toEqual({ 'b Append': 1 }); // was { 'b Append': 1, 'a Append': 1 }
      await ledger.put({ id: 'e-2' }, { key: keyToB, deadlineMs: 5_000 });
      await expect.poll(() => runs).toEqual({ 'b Append': 1, 'b Put': 1, 'a Put': 1 });
    },
  );

  it("lets a policy of one's own start the next attempt at once after cutting one that was never sent", async () => {
    // Cuts its first attempt after 100 ms and starts the second in the same breath.
    const cutThenNext = cutThenNextAttempt(100);
    // b accepts connections and never answers: its channel never connects, nothing is sent.
    const { ledger, runs, keyToB } = await fleet('silent', { policy: cutThenNext });
    // Was CANCELLED "not sent beside its attempt still out": grpc-js reports the cut a tick later.
    await expect(ledger.append({ id: 'e-1' }, { key: keyToB, deadlineMs: 5_000 })).resolves.toEqual({
      servedBy: 'a',
    });
    expect(runs).toEqual({ 'a Append': 1 });
  });

  it('hedge() sends a second attempt of Get and Put, never of Append', async () => {
    const policy = hedge({ delayMs: 30, budget: false });
    const { ledger, runs, keyToB } = await fleet('direct', { policy, holdMs: 400 });
    await expect(ledger.append({ id: 'e-1' }, { key: keyToB, deadlineMs: 5_000 })).resolves.toEqual({
      servedBy: 'b',
    });
    expect(runs).toEqual({ 'b Append': 1 });
    await expect(ledger.get({ id: 'e-1' }, { key: keyToB, deadlineMs: 5_000 })).resolves.toEqual({ servedBy: 'a' });
    await expect(ledger.put({ id: 'e-1' }, { key: keyToB, deadlineMs: 5_000 })).resolves.toEqual({ servedBy: 'a' });
    expect(runs).toEqual({ 'b Append': 1, 'b Get': 1, 'a Get': 1, 'b Put': 1, 'a Put': 1 });
  });
});

describe('options', () => {
  it('idempotentMethods must name methods of the service; idempotent must be a boolean', async () => {
    const { discovery } = await fleet('refused');
    expect(() => createGrpcClient({ definition: Ledger, discovery, idempotentMethods: ['Apend'] } as never)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'idempotentMethods[0]' }),
    );
    expect(() => createGrpcClient({ definition: Ledger, discovery, idempotentMethods: 'Append' } as never)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'idempotentMethods' }),
    );
    const ledger = createGrpcClient({ definition: Ledger, discovery }) as unknown as LedgerClient;
    cleanups.push(() => ledger.close());
    await expect(ledger.append({ id: 'e-1' }, { idempotent: 'yes' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      field: 'options.idempotent',
    });
  });
});
