import { createDiscovery } from '@switchyard/discovery';
import { createGrpcClient, createGrpcServer, GrpcStatus, grpcError } from '@switchyard/grpc';
import { MemoryRegistry } from '@switchyard/registry';
import { initTracing, type Tracing } from '@switchyard/tracing';
import { SpanKind } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EchoService, type EchoRequest, echoImplementation } from './fixtures/echo.js';

type Reply = { message: string; servedBy: string; remainingMs: number; traceId: string };
type EchoClient = { say(request: EchoRequest, options?: object): Promise<Reply>; close(): Promise<void> };

const HOP_DELAY_MS = 40;
// A timer may fire up to a millisecond early by Date.now() (libuv starts it from the loop's cached
// time), and each hop's remaining budget is a whole number of milliseconds: 2 ms of slack.
const TIMER_SLACK_MS = 2;
let tracing: Tracing;
const registry = new MemoryRegistry();
const cleanups: (() => Promise<unknown>)[] = [];

/** Starts service `name`; its handler waits, then calls `next` (if any) and returns that reply. */
async function startHop(name: string, next?: EchoClient, failFirst = false): Promise<void> {
  let calls = 0;
  const server = createGrpcServer({
    services: [
      {
        definition: EchoService,
        implementation: echoImplementation(name, async () => {
          if (failFirst && calls++ === 0) throw grpcError(GrpcStatus.UNAVAILABLE, 'warming up');
          await new Promise((resolve) => setTimeout(resolve, HOP_DELAY_MS));
          return next ? await next.say({ message: name }) : undefined;
        }),
      },
    ],
  });
  const port = await server.listen(0, '127.0.0.1');
  cleanups.push(() => server.shutdown(100));
  await registry.register({ id: `${name}-1`, service: name, host: '127.0.0.1', ports: { grpc: port } });
}

function clientFor(service: string): EchoClient {
  const discovery = createDiscovery({ registry, service });
  // Echo's Say has no side effects: retried after a status a server replied (see idempotent-retries).
  const client = createGrpcClient({
    definition: EchoService,
    discovery,
    idempotentMethods: ['Say'],
  }) as unknown as EchoClient;
  cleanups.push(async () => {
    await client.close();
    await discovery.close();
  });
  return client;
}

beforeAll(() => {
  tracing = initTracing({ serviceName: 'chain-test', exporter: 'memory' });
});
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await registry.close();
  await tracing.shutdown();
});

describe('a three-hop chain A → B → C', () => {
  it('shrinks the deadline hop by hop, keeps one trace with correct links, and shows each retry as its own attempt span', async () => {
    await startHop('c', undefined, true); // C fails its first call with UNAVAILABLE: B retries
    await startHop('b', clientFor('c'));
    await startHop('a', clientFor('b'));
    const entry = clientFor('a');

    const reply = await entry.say({ message: 'go' }, { deadlineMs: 1_000 });
    const fromB = JSON.parse(reply.message) as Reply;
    const fromC = JSON.parse(fromB.message) as Reply;
    // Each hop sees what is left: less at every step, by at least the time the hop before spent.
    expect(reply.remainingMs).toBeLessThanOrEqual(1_000);
    expect(fromB.remainingMs).toBeLessThanOrEqual(reply.remainingMs - HOP_DELAY_MS + TIMER_SLACK_MS);
    expect(fromC.remainingMs).toBeLessThanOrEqual(fromB.remainingMs - HOP_DELAY_MS + TIMER_SLACK_MS);
    expect(fromC.remainingMs).toBeGreaterThan(0);

    await tracing.forceFlush();
    const spans = tracing.getFinishedSpans();
    const traceIds = new Set(spans.map((span) => span.spanContext().traceId));
    expect(traceIds.size).toBe(1);
    expect(reply.traceId).toBe([...traceIds][0]);
    expect(fromC.traceId).toBe(reply.traceId);

    const byId = new Map(spans.map((span) => [span.spanContext().spanId, span]));
    const parentOf = (span: (typeof spans)[number]) => byId.get(span.parentSpanContext?.spanId ?? '');
    const clients = spans.filter((span) => span.kind === SpanKind.CLIENT);
    const servers = spans.filter((span) => span.kind === SpanKind.SERVER);
    // test→A, A→B, and two attempts B→C (the first failed with UNAVAILABLE).
    expect(clients).toHaveLength(4);
    expect(servers).toHaveLength(4); // A, B, C (failed), C (ok)
    for (const server of servers) expect(parentOf(server)?.kind).toBe(SpanKind.CLIENT);
    // B's two attempts to C are siblings under B's server span: the first failed, the second did not.
    const childClients = (span: (typeof spans)[number]) => clients.filter((client) => parentOf(client) === span);
    const serverB = servers.find((span) => childClients(span).length === 2);
    expect(serverB).toBeDefined();
    const attemptsToC = childClients(serverB as (typeof spans)[number]);
    expect(attemptsToC.map((span) => span.status.code).sort()).toEqual([0, 2]); // UNSET, ERROR
    const attemptNumbers = attemptsToC.map(
      (span) => Object.entries(span.attributes).find(([key]) => /attempt|resend/.test(key))?.[1],
    );
    expect(attemptNumbers.map(Number).sort()).toEqual([1, 2]);
    const failedAttempt = clients.find((span) => span.status.code === 2);
    expect(failedAttempt).toBeDefined();
    expect(parentOf(failedAttempt as (typeof spans)[number])?.kind).toBe(SpanKind.SERVER); // a child of B's server span
  });
});

describe('retries across hops', () => {
  it('retries at one layer only: a server whose own calls failed after retrying tells its caller not to retry', async () => {
    let calls = 0;
    const dead = createGrpcServer({
      services: [
        {
          definition: EchoService,
          implementation: echoImplementation('d1', async () => {
            calls++;
            throw grpcError(GrpcStatus.UNAVAILABLE, 'down');
          }),
        },
      ],
    });
    const port = await dead.listen(0, '127.0.0.1');
    cleanups.push(() => dead.shutdown(100));
    await registry.register({ id: 'down-1', service: 'down', host: '127.0.0.1', ports: { grpc: port } });
    await startHop('middle', clientFor('down'));
    const entry = clientFor('middle');
    await expect(entry.say({ message: 'x' }, { deadlineMs: 2_000 })).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      retryAfterMs: -1,
    });
    // middle retried 'down' 3 times; the entry did not retry middle (3, not 9).
    expect(calls).toBe(3);
  });
});
