/**
 * A call still waiting for its connection when the client closes that channel (its instance left
 * the healthy view and `closeChannelsAfterMs` ran out, or `close()`): grpc-js fails it with
 * UNAVAILABLE "Channel closed before call started". It never reached the instance, so neither the
 * instance's health nor the circuit breaker may count it; it goes to another instance instead.
 */
import { once } from 'node:events';
import { createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { createDiscovery } from '@switchyard/discovery';
import { createGrpcClient, createGrpcServer } from '@switchyard/grpc';
import { MemoryRegistry } from '@switchyard/registry';
import { circuitBreaker, compose, retry } from '@switchyard/resilience';
import { initMetrics } from '@switchyard/tracing';
import { afterEach, expect, it, vi } from 'vitest';
import { EchoService, echoImplementation } from './fixtures/echo.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A TCP peer that accepts connections and never speaks HTTP/2: a call to it waits to connect. */
async function silentPeer() {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(() => {
    for (const socket of sockets) socket.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { server, port: (server.address() as AddressInfo).port };
}

type Echo = { say(request: object, options?: object): Promise<{ servedBy: string }>; close(): Promise<void> };

async function setup() {
  const registry = new MemoryRegistry();
  cleanups.push(() => registry.close());
  const silent = await silentPeer();
  const slow = await registry.register({ id: 'a', service: 'echo', host: '127.0.0.1', ports: { grpc: silent.port } });
  const server = createGrpcServer({ services: [{ definition: EchoService, implementation: echoImplementation('b') }] });
  const port = await server.listen(0, '127.0.0.1');
  cleanups.push(() => server.shutdown(100));
  const discovery = createDiscovery({
    registry,
    service: 'echo',
    balancer: 'round-robin',
    // One failure would eject.
    outlierDetection: { consecutiveFailures: 1 },
  });
  cleanups.push(() => discovery.close());
  await discovery.ready();
  const ejections: string[] = [];
  discovery.onEjection((event) => ejections.push(event.id));
  // One failure would open the circuit.
  const breaker = circuitBreaker({ minimumCalls: 1, failureRateThreshold: 0.5 });
  const echo = createGrpcClient({
    definition: EchoService,
    discovery,
    policy: compose(retry({ maxAttempts: 2, backoff: { initialMs: 1, maxMs: 1 } }), breaker),
    channelsPerInstance: 1,
    closeChannelsAfterMs: 0,
  }) as unknown as Echo;
  cleanups.push(() => echo.close());
  const addB = () => registry.register({ id: 'b', service: 'echo', host: '127.0.0.1', ports: { grpc: port } });
  return { silent, slow, addB, echo, breaker, ejections };
}

it('sends a call whose channel closed before it started to another instance, blaming neither instance nor breaker', async () => {
  const { silent, slow, addB, echo, breaker, ejections } = await setup();
  const connected = once(silent.server, 'connection');
  const reply = echo.say({ message: 'x' }, { deadlineMs: 10_000 });
  await connected; // the call waits on a's channel, which never finishes connecting
  await addB();
  await slow.update({ status: 'draining' }); // a leaves the healthy view: its channel closes at once
  await expect(reply).resolves.toMatchObject({ servedBy: 'b' });
  expect(breaker.state()).toBe('closed');
  expect(ejections).toEqual([]);
});

it('records the resent call as the one attempt it is: no UNAVAILABLE sample for the part that never left', async () => {
  const metrics = await initMetrics({ serviceName: 'grpc-closed-channel-resend', port: 0, host: '127.0.0.1' });
  cleanups.push(() => metrics.shutdown());
  const { silent, slow, addB, echo } = await setup();
  const connected = once(silent.server, 'connection');
  const reply = echo.say({ message: 'x' }, { deadlineMs: 10_000 });
  await connected;
  await addB();
  await slow.update({ status: 'draining' });
  await expect(reply).resolves.toMatchObject({ servedBy: 'b' });
  const counts = (await metrics.scrape())
    .split('\n')
    .filter((line) => line.startsWith('rpc_client_duration') && line.includes('_count{'))
    .filter((line) => line.includes('rpc_method="Say"'))
    .map((line) => `${/rpc_grpc_status_code="(\d+)"/.exec(line)?.[1]} ${line.slice(line.lastIndexOf(' ') + 1)}`);
  // Before: ['0 1', '14 1'], an UNAVAILABLE no server gave (which the breaker never heard of) beside the resend's OK.
  expect(counts).toEqual(['0 1']);
});

it('fails a call waiting to connect as closed when the client closes, without blaming the instance', async () => {
  const { silent, echo, ejections } = await setup();
  const connected = once(silent.server, 'connection');
  const reply = echo.say({ message: 'x' }, { deadlineMs: 10_000 }).catch((error: unknown) => error);
  await connected;
  await echo.close();
  expect(await reply).toMatchObject({ code: 'UNAVAILABLE', message: expect.stringMatching(/is closed/) });
  expect(ejections).toEqual([]);
});

it('does not send a call again once its deadline has passed, blaming an instance it never reached', async () => {
  const { silent, slow, addB, echo, ejections } = await setup();
  const connected = once(silent.server, 'connection');
  const deadline = Date.now() + 10_000;
  const reply = echo.say({ message: 'x' }, { deadline }).catch((error: unknown) => error);
  await connected; // the call waits on a's channel
  await addB();
  // The channel closes (a leaves) with the deadline already past by the clock the client reads,
  // while its deadline timer, armed on the real clock, has not fired: the moment this is about.
  // Holding the event loop past a real deadline instead depended on two timers firing in the same
  // loop iteration, and failed when they did not (a timeout of a, blamed).
  const realNow = Date.now.bind(Date);
  const clock = vi.spyOn(Date, 'now').mockImplementation(() => realNow() + 20_000);
  try {
    await slow.update({ status: 'draining' });
    expect(await reply).toMatchObject({ code: 'DEADLINE_EXCEEDED' });
  } finally {
    clock.mockRestore();
  }
  expect(ejections).toEqual([]);
});
