import { setTimeout as sleep } from 'node:timers/promises';
import { credentials } from '@grpc/grpc-js';
import { validateInstance } from '@switchyard/core';
import { catalogInstance } from '@switchyard/registry/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ChannelPools, closedByPool, DEFAULT_CHANNEL_OPTIONS } from './channel-pool.js';

// No connection is made: a channel connects on its first call, and these tests make none.
const instance = (id: string, port = 50051) =>
  validateInstance(catalogInstance(id, { service: 'echo', ports: { grpc: port } }));

const opened: ChannelPools[] = [];
function pools(closeAfterMs: number): ChannelPools {
  const made = new ChannelPools('grpc', 1, credentials.createInsecure(), { ...DEFAULT_CHANNEL_OPTIONS }, closeAfterMs);
  opened.push(made);
  return made;
}

describe('ChannelPools across a test suite changing clocks', () => {
  afterEach(() => {
    vi.useRealTimers();
    for (const made of opened.splice(0)) made.closeAll();
  });

  it('closes the pool of an instance that left under a fake clock uninstalled before the grace period ended', async () => {
    // A test suite's fake clock (vi.useFakeTimers) drops its pending timers when uninstalled: the
    // next view without the instance must start the grace period again, not take it as running.
    const channels = pools(20);
    const client = channels.channelFor(instance('a'));
    vi.useFakeTimers();
    channels.retain(new Set());
    vi.useRealTimers();
    channels.retain(new Set());
    await sleep(80);
    expect(channels.openPools).toBe(0);
    expect(closedByPool(client!)).toBe(true);
  });

  it('closes the old pool of an instance that moved under a fake clock uninstalled before the grace period ended', async () => {
    const channels = pools(20);
    const old = channels.channelFor(instance('a', 50051));
    vi.useFakeTimers();
    channels.channelFor(instance('a', 50052)); // re-registered at another port: the old pool retires
    vi.useRealTimers();
    channels.retain(new Set(['a']));
    await sleep(80);
    expect(closedByPool(old!)).toBe(true);
    expect(channels.openPools).toBe(1);
  });
});
