import { connect } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerAvailable, type RedisServerHandle, SwitchyardTestingError, startRedis } from '@switchyard/testing';

const docker = await dockerAvailable();
if (!docker) console.warn('[switchyard/testing] no Docker engine answered: skipping the container-path tests');

/** Resolves with the error code of a fresh TCP connection attempt ('connected' if it succeeds). */
function connectOutcome(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

function client(url: string, options: { commandTimeout?: number } = {}): Redis {
  const redis = new Redis(url, { maxRetriesPerRequest: 1, retryStrategy: () => 100, ...options });
  redis.on('error', () => undefined); // expected while the server is killed or paused
  return redis;
}

for (const via of ['binary', 'container'] as const) {
  describe.runIf(via === 'binary' || docker)(`startRedis via ${via}`, { timeout: 30_000 }, () => {
    let redis: RedisServerHandle;
    const clients: Redis[] = [];
    const open = (url: string, options?: { commandTimeout?: number }) => {
      const opened = client(url, options);
      clients.push(opened);
      return opened;
    };

    beforeAll(async () => {
      redis = await startRedis({ via });
    }, 30_000);

    afterAll(async () => {
      for (const opened of clients) opened.disconnect();
      await redis?.stop();
    });

    it('answers PING, SET and GET on 127.0.0.1', async () => {
      expect(redis.via).toBe(via);
      expect(redis.host).toBe('127.0.0.1');
      expect(redis.url).toBe(`redis://127.0.0.1:${redis.port}`);
      const connection = open(redis.url);
      expect(await connection.ping()).toBe('PONG');
      await connection.set('greeting', 'hello');
      expect(await connection.get('greeting')).toBe('hello');
      expect(await connection.config('GET', 'save')).toEqual(['save', '']);
    });

    it('kill() refuses connections; restart() comes back on the same port with no data', async () => {
      const port = redis.port;
      const connection = open(redis.url);
      await connection.set('survives', 'no');
      await redis.kill();
      expect(await connectOutcome(port)).toBe('ECONNREFUSED');
      await redis.kill(); // idempotent

      await redis.restart();
      expect(redis.port).toBe(port);
      const fresh = open(redis.url);
      expect(await fresh.ping()).toBe('PONG');
      expect(await fresh.get('survives')).toBeNull();
    });

    it('pause() makes commands time out with the connection open; resume() recovers', async () => {
      const connection = open(redis.url, { commandTimeout: 300 });
      expect(await connection.ping()).toBe('PONG');
      await redis.pause();
      try {
        await expect(connection.ping()).rejects.toThrow(/timed out/i);
        expect(await connectOutcome(redis.port)).toBe('connected'); // the kernel still accepts
      } finally {
        await redis.resume();
      }
      expect(await connection.ping()).toBe('PONG');
    });

    it('restart() while running is stop + start; stop() is idempotent', async () => {
      await redis.restart();
      expect(await open(redis.url).ping()).toBe('PONG');
      await redis.stop();
      await redis.stop();
      expect(await connectOutcome(redis.port)).toBe('ECONNREFUSED');
      await redis.restart();
      expect(await open(redis.url).ping()).toBe('PONG');
    });

    it('applies password and extra args', async () => {
      const secured = await startRedis({ via, password: 's3cret/+', args: ['--maxmemory', '10mb'] });
      try {
        expect(secured.url).toBe(`redis://:s3cret%2F%2B@127.0.0.1:${secured.port}`);
        expect(await open(secured.url).config('GET', 'maxmemory')).toEqual(['maxmemory', '10485760']);
        await expect(open(`redis://127.0.0.1:${secured.port}`).get('any')).rejects.toThrow(/NOAUTH/);
      } finally {
        await secured.stop();
      }
    });
  });
}

describe('startRedis via env (REDIS_URL)', { timeout: 30_000 }, () => {
  let external: RedisServerHandle;
  const saved = process.env.REDIS_URL;

  beforeAll(async () => {
    external = await startRedis({ via: 'binary' });
    process.env.REDIS_URL = external.url;
  });

  afterAll(async () => {
    if (saved === undefined) delete process.env.REDIS_URL;
    else process.env.REDIS_URL = saved;
    await external?.stop();
  });

  it('uses REDIS_URL in auto mode and refuses to break a server it did not start', async () => {
    const redis = await startRedis({ via: 'auto' });
    expect(redis.via).toBe('env');
    expect(redis.url).toBe(external.url);
    const connection = client(redis.url);
    try {
      expect(await connection.ping()).toBe('PONG');
    } finally {
      connection.disconnect();
    }
    for (const operation of [redis.kill, redis.restart, redis.pause, redis.resume]) {
      const error = await operation.call(redis).catch((caught: unknown) => caught);
      expect(SwitchyardTestingError.isInstance(error) && error.code).toBe('UNSUPPORTED_OPERATION');
    }
    await redis.stop(); // a no-op: the server is not ours
    expect(await connectOutcome(external.port)).toBe('connected');
  });

  it('does not use REDIS_URL when args or a password are asked for', async () => {
    const redis = await startRedis({ via: 'auto', args: ['--maxmemory', '1mb'] });
    try {
      expect(redis.via).not.toBe('env');
    } finally {
      await redis.stop();
    }
  });
});
