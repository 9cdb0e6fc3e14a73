/**
 * Channel pools under membership churn and client shutdown: no connection may outlive the channel
 * that opened it. Servers are plain HTTP/2 servers on loopback that count the connections (sessions)
 * open to them; instances come and go through a MemoryRegistry.
 */
import { createServer, type Http2Session } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { createDiscovery } from '@switchyard/discovery';
import { createGrpcClient } from '@switchyard/grpc';
import { MemoryRegistry } from '@switchyard/registry';
import { afterEach, describe, expect, it } from 'vitest';
import { EchoService } from './fixtures/echo.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** An HTTP/2 server that completes the handshake and never answers a call, counting its connections. */
async function countingPeer() {
  const sessions = new Set<Http2Session>();
  const counted = { accepted: 0, open: () => sessions.size };
  const server = createServer();
  server.on('session', (session) => {
    counted.accepted++;
    sessions.add(session);
    session.on('close', () => sessions.delete(session));
  });
  server.on('stream', () => {}); // calls stay in flight
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const session of sessions) session.destroy();
        server.close(() => resolve());
      }),
  );
  return { port: (server.address() as AddressInfo).port, counted };
}

/** Waits (bounded) until `condition` holds. */
async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  if (!condition()) throw new Error(`timed out waiting until ${what}`);
}

async function echoClient(port: number, options: { closeChannelsAfterMs?: number } = {}) {
  const registry = new MemoryRegistry();
  cleanups.push(() => registry.close());
  const registration = await registry.register({ id: 'a', service: 'echo', host: '127.0.0.1', ports: { grpc: port } });
  const discovery = createDiscovery({ registry, service: 'echo' });
  cleanups.push(() => discovery.close());
  await discovery.ready();
  const echo = createGrpcClient({
    definition: EchoService,
    discovery,
    policy: false,
    channelsPerInstance: 1,
    ...options,
  });
  cleanups.push(() => echo.close());
  return {
    registration,
    echo: echo as unknown as {
      say(request: object, options?: object): Promise<unknown>;
      openChannels(): number;
      close(): Promise<void>;
    },
  };
}

describe('channel pools', () => {
  it('leaves no connection open when the client closes right after a call opened a channel', async () => {
    const peer = await countingPeer();
    const { echo } = await echoClient(peer.port);
    // The call opens the instance's channel; grpc-js resolves its address on the next turn of the
    // event loop (setImmediate), after close() has closed the channel.
    const call = echo.say({ message: 'x' }, { deadlineMs: 5_000 }).catch((error: unknown) => error);
    expect(echo.openChannels()).toBe(1);
    await echo.close();
    await expect(call).resolves.toMatchObject({ code: 'UNAVAILABLE' });
    // grpc-js connects a channel closed before its address resolved all the same: that
    // connection must be closed with it, not held for good.
    await until(() => peer.counted.accepted > 0, 'the channel connected');
    await until(() => peer.counted.open() === 0, 'the connection closed');
  });
});
