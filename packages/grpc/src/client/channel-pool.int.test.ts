/**
 * Channel pools under a test suite's fake clock (vi.useFakeTimers), over real loopback connections:
 * a close asked for under a fake clock must close the connection whatever the suite does with the
 * clock afterwards. The peer is a plain HTTP/2 server that completes the handshake and counts the
 * connections open to it.
 */
import { credentials } from '@grpc/grpc-js';
import { validateInstance } from '@switchyard/core';
import { catalogInstance } from '@switchyard/registry/testing';
import { afterEach, describe, it, vi } from 'vitest';
import { countingPeer, until } from '../../test/fixtures/counting-peer.js';
import { ChannelPools, DEFAULT_CHANNEL_OPTIONS } from './channel-pool.js';

const realSetImmediate = setImmediate;
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  vi.useRealTimers();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function poolsTo(port: number) {
  const pools = new ChannelPools('grpc', 1, credentials.createInsecure(), { ...DEFAULT_CHANNEL_OPTIONS }, 0);
  cleanups.push(() => pools.closeAll());
  const instance = validateInstance(catalogInstance('a', { service: 'echo', ports: { grpc: port } }));
  return { pools, instance };
}

describe('channel pools under a fake clock', () => {
  it('closes a connection whose close was asked for under a fake clock uninstalled right after', async () => {
    const peer = await countingPeer(cleanups);
    const { pools, instance } = poolsTo(peer.port);
    pools.channelFor(instance)?.getChannel().getConnectivityState(true);
    await until(() => peer.counted.open() === 1, 'the channel connected');

    vi.useFakeTimers();
    pools.closeAll();
    vi.useRealTimers();
    await until(() => peer.counted.open() === 0, 'the connection closed');
  });

  it('still closes the connection a channel closed in the turn it was opened makes when the fake clock runs on', async () => {
    // grpc-js resolves the address in a setImmediate, here the fake clock's: the close must also
    // come after it, or the connection it makes outlives the channel.
    const peer = await countingPeer(cleanups);
    const { pools, instance } = poolsTo(peer.port);
    vi.useFakeTimers();
    pools.channelFor(instance)?.getChannel().getConnectivityState(true);
    pools.closeAll();
    await new Promise((resolve) => realSetImmediate(resolve)); // a real turn of the event loop
    vi.advanceTimersByTime(0); // the resolution: the closed channel connects all the same
    vi.useRealTimers();
    // Time for such a connection to reach the peer. Closed after the resolution on the fake clock's
    // turn too, the channel never connects; closed on the real turn only (before the resolution),
    // it connected and stayed open, and this wait timed out.
    await new Promise((resolve) => setTimeout(resolve, 200));
    await until(() => peer.counted.open() === 0, 'the connection closed');
  });
});
