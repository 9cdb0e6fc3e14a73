/**
 * The container path's start-up failures, with testcontainers replaced by a fake (no Docker engine
 * here): a redis-server in a host-networked container that cannot bind its port is PORT_TAKEN, so
 * startRedis / Sentinel / Cluster try other ports as they do on the binary path.
 */
import { PassThrough } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import { ContainerRedisNode } from './container-node.js';

const fake = vi.hoisted(() => ({ output: '', error: 'Log stream ended and message was not received' }));
vi.mock('./load-testcontainers.js', () => {
  class GenericContainer {
    private consumer: ((stream: PassThrough) => void) | undefined;
    withNetworkMode() {
      return this;
    }
    withCommand() {
      return this;
    }
    withLabels() {
      return this;
    }
    withWaitStrategy() {
      return this;
    }
    withStartupTimeout() {
      return this;
    }
    withCopyContentToContainer() {
      return this;
    }
    withLogConsumer(consumer: (stream: PassThrough) => void) {
      this.consumer = consumer;
      return this;
    }
    async start(): Promise<never> {
      // As testcontainers does: the log consumer gets the container's output, then the wait strategy fails
      // because redis-server exited.
      const logs = new PassThrough();
      this.consumer?.(logs);
      logs.write(fake.output);
      await new Promise((resolve) => setImmediate(resolve));
      throw new Error(fake.error);
    }
  }
  const testcontainers = {
    GenericContainer,
    Wait: { forLogMessage: () => ({}) },
    getContainerRuntimeClient: async () => ({ container: {} }),
  };
  return { loadTestcontainers: async () => testcontainers };
});

function node(): ContainerRedisNode {
  return new ContainerRedisNode({ label: 'redis', kind: 'server', port: 6390, args: [], startupTimeoutMs: 1_000 });
}

describe('ContainerRedisNode start-up failures', () => {
  it('reports a port taken before the containerised server bound it as PORT_TAKEN', async () => {
    fake.output = [
      '1:M 23 Nov 2026 01:00:00.000 # Warning: Could not create server TCP listening socket 127.0.0.1:6390: bind: Address already in use',
      '1:M 23 Nov 2026 01:00:00.000 # Failed listening on port 6390 (tcp), aborting.',
      '',
    ].join('\n');
    const error = await node()
      .start()
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'PORT_TAKEN', message: expect.stringMatching(/Address already in use/) });
  });

  it('reports any other start-up failure as START_FAILED', async () => {
    fake.output = '1:C 23 Nov 2026 01:00:00.000 # Fatal error, bad config\n';
    const error = await node()
      .start()
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'START_FAILED' });
  });
});

/** A node whose container is "running" (as after a successful start), over fake Docker calls. */
function runningNode(docker: { stop: () => Promise<unknown>; unpause: () => Promise<unknown> }): ContainerRedisNode {
  const started = node();
  const gone = Object.assign(new Error('(HTTP code 404) no such container'), { statusCode: 404 });
  Object.assign(started as unknown as Record<string, unknown>, {
    container: { getId: () => '0123456789abcdef', stop: docker.stop },
    runtime: {
      container: {
        getById: () => ({
          unpause: docker.unpause,
          pause: async () => undefined,
          remove: async () => Promise.reject(gone),
        }),
      },
    },
  });
  return started;
}

describe('ContainerRedisNode stop()', () => {
  it('treats a container removed behind its back (404) as stopped, and stays idempotent', async () => {
    const gone = Object.assign(new Error('(HTTP code 404) no such container'), { statusCode: 404 });
    const stopped = runningNode({ stop: () => Promise.reject(gone), unpause: async () => undefined });
    await expect(stopped.stop()).resolves.toBeUndefined();
    expect(stopped.running).toBe(false);
    await expect(stopped.stop()).resolves.toBeUndefined();
  });

  it('still fails on other Docker errors', async () => {
    const broken = Object.assign(new Error('(HTTP code 500) server error'), { statusCode: 500 });
    const stopped = runningNode({ stop: () => Promise.reject(broken), unpause: async () => undefined });
    await expect(stopped.stop()).rejects.toThrow(/server error/);
    expect(stopped.running).toBe(true);
  });

  it('bounds the unpause of a paused container it stops', async () => {
    vi.useFakeTimers();
    try {
      const stopped = runningNode({ stop: async () => undefined, unpause: () => new Promise(() => {}) });
      await stopped.pause();
      let outcome: unknown = 'pending';
      stopped.stop().then(
        () => (outcome = 'stopped'),
        (error: unknown) => (outcome = error),
      );
      await vi.advanceTimersByTimeAsync(60_000);
      expect(outcome).toMatchObject({ code: 'TIMEOUT' });
    } finally {
      vi.useRealTimers();
    }
  });
});
