/**
 * Channel pools under membership churn and client shutdown: no connection may outlive the channel
 * that opened it. Servers are plain HTTP/2 servers on loopback that count the connections (sessions)
 * open to them; instances come and go through a MemoryRegistry.
 */
import { createDiscovery } from '@switchyard/discovery';
import { createGrpcClient } from '@switchyard/grpc';
import { MemoryRegistry } from '@switchyard/registry';
import { afterEach, describe, expect, it } from 'vitest';
import { countingPeer, until } from './fixtures/counting-peer.js';
import { EchoService } from './fixtures/echo.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

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
    const peer = await countingPeer(cleanups);
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
